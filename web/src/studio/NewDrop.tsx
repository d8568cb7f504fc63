import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { Link, useNavigate } from 'react-router'
import {
  AddButton,
  Field,
  Form,
  FormActions,
  InputField,
  RemoveButton,
  SubmitButton,
  TextAreaField,
  useRows,
  useSubmit,
} from '../components/form'
import { Empty, ErrorState, PageHeader, Skeleton } from '../components/ui'
import { api } from '../lib/api'
import { minorDigits, parseMoney } from '../lib/format'
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
  const newItem = (): ItemRow => ({
    key: nextKey++,
    productId: first.product_id,
    variantId: '',
    price: priceText(first),
    stock: '50',
  })
  const items = useRows<ItemRow>([newItem()])
  const form = useSubmit('Please check the drop')

  const productOf = (id: string) => products.find((p) => p.product_id === id)

  async function submit(event: FormEvent) {
    event.preventDefault()
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
    const body = items.rows.map((row, index) => {
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
    await form.run(problems, async () => {
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
    })
  }

  return (
    <Form state={form} onSubmit={submit}>
      <InputField id="drop-name" label="Drop name" required maxLength={200} value={name} onValue={setName} />
      <TextAreaField
        id="drop-description"
        label="Description"
        optional
        rows={2}
        maxLength={5000}
        value={description}
        onValue={setDescription}
      />

      <fieldset className="fieldset">
        <legend>When</legend>
        <label className="check">
          <input type="checkbox" checked={startNow} onChange={(e) => setStartNow(e.target.checked)} />
          Start now
        </label>
        <div className="field-row">
          <InputField
            id="drop-start"
            label="Starts"
            type="datetime-local"
            disabled={startNow}
            required={!startNow}
            value={start}
            onValue={setStart}
          />
          <InputField
            id="drop-end"
            label="Ends"
            type="datetime-local"
            required
            value={end}
            onValue={setEnd}
          />
        </div>
        <p className="hint">Followers are told the moment the drop starts.</p>
      </fieldset>

      <div className="field-row">
        <InputField
          id="drop-limit"
          label="Limit per person"
          type="number"
          min={1}
          max={1000}
          required
          value={limit}
          onValue={setLimit}
        />
        <InputField
          id="drop-threshold"
          label="Low-stock alert at"
          type="number"
          min={0}
          required
          value={threshold}
          onValue={setThreshold}
          aria-describedby="threshold-hint"
        >
          <p id="threshold-hint" className="hint">
            Units left when shoppers see “Almost gone”.
          </p>
        </InputField>
      </div>

      <fieldset className="fieldset">
        <legend>Items</legend>
        {items.rows.map((row, index) => {
          const product = productOf(row.productId)
          return (
            <div className="item-row" key={row.key}>
              <Field
                id={`item-product-${row.key}`}
                label={`Item ${index + 1} product`}
                className="field--grow"
              >
                <select
                  id={`item-product-${row.key}`}
                  value={row.productId}
                  onChange={(e) => {
                    const next = productOf(e.target.value)
                    items.update(row.key, {
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
              </Field>
              {product && product.variants.length > 1 && (
                <Field id={`item-variant-${row.key}`} label="Variant" hiddenPrefix={`Item ${index + 1} `}>
                  <select
                    id={`item-variant-${row.key}`}
                    value={row.variantId || product.variants[0]!.variant_id}
                    onChange={(e) => items.update(row.key, { variantId: e.target.value })}
                  >
                    {product.variants.map((v) => (
                      <option key={v.variant_id} value={v.variant_id}>
                        {v.name}
                      </option>
                    ))}
                  </select>
                </Field>
              )}
              <InputField
                id={`item-price-${row.key}`}
                label="Drop price"
                hiddenPrefix={`Item ${index + 1} `}
                className="field--small"
                inputMode="decimal"
                required
                value={row.price}
                onValue={(price) => items.update(row.key, { price })}
              />
              <InputField
                id={`item-stock-${row.key}`}
                label="Stock"
                hiddenPrefix={`Item ${index + 1} `}
                className="field--small"
                type="number"
                min={0}
                required
                value={row.stock}
                onValue={(stock) => items.update(row.key, { stock })}
              />
              <RemoveButton
                label={`Remove item ${index + 1}`}
                disabled={items.rows.length === 1}
                onClick={() => items.remove(row.key)}
              />
            </div>
          )
        })}
        <AddButton onClick={() => items.add(newItem())}>Add item</AddButton>
      </fieldset>

      <FormActions cancelTo="/studio">
        <SubmitButton busy={form.busy} busyLabel="Scheduling…">
          {startNow ? 'Start drop now' : 'Schedule drop'}
        </SubmitButton>
      </FormActions>
    </Form>
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
