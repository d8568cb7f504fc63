import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { Link, useNavigate } from 'react-router'
import { Alert, Empty, ErrorState, PageHeader, Skeleton } from '../components/ui'
import { api } from '../lib/api'
import { minorDigits, parseMoney } from '../lib/format'
import type { Described } from '../lib/problems'
import { useMyCreator, useProducts } from '../lib/queries'
import type { Drop, Product } from '../lib/types'

interface ItemRow {
  key: number
  productId: string
  variantId: string
  price: string
  stock: string
}

let nextKey = 1

/** A `datetime-local` value (local wall time) for a moment. */
function localInput(ms: number): string {
  const date = new Date(ms)
  date.setSeconds(0, 0)
  const offset = date.getTimezoneOffset() * 60_000
  return new Date(date.getTime() - offset).toISOString().slice(0, 16)
}

const priceText = (product: Product) =>
  (product.base_price / 10 ** minorDigits(product.currency)).toFixed(minorDigits(product.currency))

function DropForm({ products }: { products: Product[] }) {
  const navigate = useNavigate()
  const client = useQueryClient()
  const first = products[0]!
  const [name, setName] = useState('')
  const [description, setDescription] = useState('')
  const [startNow, setStartNow] = useState(false)
  const [start, setStart] = useState(() => localInput(Date.now() + 15 * 60_000))
  const [end, setEnd] = useState(() => localInput(Date.now() + 3 * 3_600_000))
  const [limit, setLimit] = useState('1')
  const [threshold, setThreshold] = useState('10')
  const [items, setItems] = useState<ItemRow[]>([
    { key: nextKey++, productId: first.product_id, variantId: '', price: priceText(first), stock: '50' },
  ])
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()
  const [invalid, setInvalid] = useState<Described>()

  const productOf = (id: string) => products.find((p) => p.product_id === id)
  const update = (key: number, change: Partial<ItemRow>) =>
    setItems((rows) => rows.map((r) => (r.key === key ? { ...r, ...change } : r)))

  async function submit(event: FormEvent) {
    event.preventDefault()
    setError(undefined)
    const problems: string[] = []
    const startMs = startNow ? Date.now() : new Date(start).getTime()
    const endMs = new Date(end).getTime()
    if (!startNow && Number.isNaN(startMs)) problems.push('Pick a start time')
    if (Number.isNaN(endMs)) problems.push('Pick an end time')
    else if (endMs <= Math.max(startMs, Date.now()))
      problems.push('The drop must end after it starts, in the future')
    const perUser = Number(limit)
    if (!Number.isInteger(perUser) || perUser < 1)
      problems.push('The limit per person is a whole number, at least 1')
    const low = Number(threshold)
    if (!Number.isInteger(low) || low < 0) problems.push('The low-stock alert is a whole number')
    const body = items.map((row, index) => {
      const product = productOf(row.productId)
      const price = parseMoney(row.price, product?.currency)
      const stock = Number(row.stock)
      if (!product) problems.push(`Item ${index + 1}: pick a product`)
      if (price === undefined) problems.push(`Item ${index + 1}: the price must be an amount like 19.99`)
      if (!Number.isInteger(stock) || stock < 0) problems.push(`Item ${index + 1}: stock is a whole number`)
      return {
        product_id: row.productId,
        ...(row.variantId ? { variant_id: row.variantId } : {}),
        drop_price: price ?? 0,
        initial_stock: stock,
      }
    })
    if (problems.length > 0) {
      setInvalid({
        title: 'Please check the drop',
        detail: 'Some fields need a fix.',
        fields: problems,
        tone: 'error',
      })
      return
    }
    setInvalid(undefined)
    setBusy(true)
    try {
      const drop = await api.post<Drop>('/drops', {
        name: name.trim(),
        description: description.trim() || undefined,
        start_time: new Date(startMs).toISOString(),
        end_time: new Date(endMs).toISOString(),
        per_user_limit: perUser,
        low_stock_threshold: low,
        items: body,
      })
      await client.invalidateQueries({ queryKey: ['drops'] })
      navigate(`/studio/drops/${drop.drop_id}`)
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="card form" onSubmit={submit}>
      {invalid && <Alert described={invalid} />}
      {error !== undefined && <Alert error={error} />}
      <div className="field">
        <label htmlFor="drop-name">Drop name</label>
        <input
          id="drop-name"
          required
          maxLength={200}
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="drop-description">
          Description <span className="optional">optional</span>
        </label>
        <textarea
          id="drop-description"
          rows={2}
          maxLength={5000}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
      </div>

      <fieldset className="fieldset">
        <legend>When</legend>
        <label className="check">
          <input type="checkbox" checked={startNow} onChange={(e) => setStartNow(e.target.checked)} />
          Start now
        </label>
        <div className="field-row">
          <div className="field">
            <label htmlFor="drop-start">Starts</label>
            <input
              id="drop-start"
              type="datetime-local"
              disabled={startNow}
              required={!startNow}
              value={start}
              onChange={(e) => setStart(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="drop-end">Ends</label>
            <input
              id="drop-end"
              type="datetime-local"
              required
              value={end}
              onChange={(e) => setEnd(e.target.value)}
            />
          </div>
        </div>
        <p className="hint">Followers are told the moment the drop starts.</p>
      </fieldset>

      <div className="field-row">
        <div className="field">
          <label htmlFor="drop-limit">Limit per person</label>
          <input
            id="drop-limit"
            type="number"
            min={1}
            max={1000}
            required
            value={limit}
            onChange={(e) => setLimit(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="drop-threshold">Low-stock alert at</label>
          <input
            id="drop-threshold"
            type="number"
            min={0}
            required
            value={threshold}
            onChange={(e) => setThreshold(e.target.value)}
            aria-describedby="threshold-hint"
          />
          <p id="threshold-hint" className="hint">
            Units left when shoppers see “Almost gone”.
          </p>
        </div>
      </div>

      <fieldset className="fieldset">
        <legend>Items</legend>
        {items.map((row, index) => {
          const product = productOf(row.productId)
          return (
            <div className="item-row" key={row.key}>
              <div className="field field--grow">
                <label htmlFor={`item-product-${row.key}`}>Item {index + 1} product</label>
                <select
                  id={`item-product-${row.key}`}
                  value={row.productId}
                  onChange={(e) => {
                    const next = productOf(e.target.value)
                    update(row.key, {
                      productId: e.target.value,
                      variantId: '',
                      price: next ? priceText(next) : row.price,
                    })
                  }}
                >
                  {products.map((p) => (
                    <option key={p.product_id} value={p.product_id}>
                      {p.name}
                    </option>
                  ))}
                </select>
              </div>
              {product && product.variants.length > 1 && (
                <div className="field">
                  <label htmlFor={`item-variant-${row.key}`}>
                    <span className="visually-hidden">Item {index + 1} </span>Variant
                  </label>
                  <select
                    id={`item-variant-${row.key}`}
                    value={row.variantId || product.variants[0]!.variant_id}
                    onChange={(e) => update(row.key, { variantId: e.target.value })}
                  >
                    {product.variants.map((v) => (
                      <option key={v.variant_id} value={v.variant_id}>
                        {v.name}
                      </option>
                    ))}
                  </select>
                </div>
              )}
              <div className="field field--small">
                <label htmlFor={`item-price-${row.key}`}>
                  <span className="visually-hidden">Item {index + 1} </span>Drop price
                </label>
                <input
                  id={`item-price-${row.key}`}
                  inputMode="decimal"
                  required
                  value={row.price}
                  onChange={(e) => update(row.key, { price: e.target.value })}
                />
              </div>
              <div className="field field--small">
                <label htmlFor={`item-stock-${row.key}`}>
                  <span className="visually-hidden">Item {index + 1} </span>Stock
                </label>
                <input
                  id={`item-stock-${row.key}`}
                  type="number"
                  min={0}
                  required
                  value={row.stock}
                  onChange={(e) => update(row.key, { stock: e.target.value })}
                />
              </div>
              <button
                type="button"
                className="button button--ghost"
                aria-label={`Remove item ${index + 1}`}
                disabled={items.length === 1}
                onClick={() => setItems((rows) => rows.filter((r) => r.key !== row.key))}
              >
                Remove
              </button>
            </div>
          )
        })}
        <button
          type="button"
          className="button button--secondary"
          onClick={() =>
            setItems((rows) => [
              ...rows,
              {
                key: nextKey++,
                productId: first.product_id,
                variantId: '',
                price: priceText(first),
                stock: '50',
              },
            ])
          }
        >
          Add item
        </button>
      </fieldset>

      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? 'Scheduling…' : startNow ? 'Start drop now' : 'Schedule drop'}
        </button>
        <Link className="button button--ghost" to="/studio">
          Cancel
        </Link>
      </div>
    </form>
  )
}

export function NewDrop() {
  const creator = useMyCreator()
  const products = useProducts({ creator_id: creator.data?.creator_id, limit: 100 }, Boolean(creator.data))
  return (
    <div className="narrow">
      <PageHeader title="Schedule a drop" eyebrow={<Link to="/studio">← Studio</Link>}>
        Pick products, set prices and stock, and choose when it goes live.
      </PageHeader>
      {creator.isPending || (creator.data && products.isPending) ? (
        <Skeleton rows={3} height={80} />
      ) : creator.isError ? (
        <ErrorState error={creator.error} />
      ) : !creator.data ? (
        <Empty
          title="Become a creator first"
          action={
            <Link className="button button--primary" to="/studio">
              Go to studio
            </Link>
          }
        />
      ) : products.isError ? (
        <ErrorState error={products.error} onRetry={() => products.refetch()} />
      ) : !products.data || products.data.items.length === 0 ? (
        <Empty
          title="Create a product first"
          action={
            <Link className="button button--primary" to="/studio/products/new">
              New product
            </Link>
          }
        >
          A drop sells your products.
        </Empty>
      ) : (
        <DropForm products={products.data.items} />
      )}
    </div>
  )
}
