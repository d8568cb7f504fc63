import { useQueryClient } from '@tanstack/react-query'
import { useId, useState } from 'react'
import { Link, useLocation, useNavigate, useParams } from 'react-router'
import { Countdown } from '../components/Countdown'
import { Cover } from '../components/Cover'
import { StockBar } from '../components/StockBar'
import { Alert, DropStatusPill, ErrorState, Notice, Skeleton } from '../components/ui'
import { uuid } from '../lib/api'
import { clock, money, plural, when } from '../lib/format'
import { describe } from '../lib/problems'
import { placeOrder, TEST_CARDS } from '../lib/purchase'
import {
  useCreator,
  useDrop,
  useDropItems,
  useInventory,
  useLiveDrop,
  useProduct,
  useSession,
} from '../lib/queries'
import type { Drop, DropItem, Order } from '../lib/types'

type Attempt =
  | { state: 'idle' }
  | { state: 'placing'; retries: number }
  | { state: 'done'; status: number; order: Order }
  | { state: 'failed'; error: unknown }

function ItemImage({ productId, alt }: { productId: string; alt: string }) {
  const product = useProduct(productId)
  const [broken, setBroken] = useState(false)
  const src = product.data?.images_urls[0]
  return (
    <div className="item__image">
      {src && !broken ? (
        <img src={src} alt={alt} loading="lazy" decoding="async" onError={() => setBroken(true)} />
      ) : (
        <Cover id={productId} label={alt} />
      )}
    </div>
  )
}

function BuyItem({
  drop,
  item,
  available,
  card,
}: {
  drop: Drop
  item: DropItem
  available: number
  card: string
}) {
  const session = useSession()
  const navigate = useNavigate()
  const location = useLocation()
  const client = useQueryClient()
  const quantityId = useId()
  const [quantity, setQuantity] = useState(1)
  const [attempt, setAttempt] = useState<Attempt>({ state: 'idle' })

  const maxQuantity = Math.max(1, Math.min(drop.per_user_limit, 10))
  const live = drop.status === 'live'
  const soldOut = available === 0

  async function buy() {
    // One key per purchase attempt; retries of this attempt reuse it.
    const key = uuid()
    setAttempt({ state: 'placing', retries: 0 })
    try {
      const placed = await placeOrder(
        {
          drop_id: drop.drop_id,
          items: [{ product_id: item.product_id, variant_id: item.variant_id, quantity }],
          payment: { method: 'card', token: card },
        },
        key,
        (retries) => setAttempt({ state: 'placing', retries }),
      )
      setAttempt({ state: 'done', status: placed.status, order: placed.order })
      void client.invalidateQueries({ queryKey: ['orders'] })
    } catch (error) {
      setAttempt({ state: 'failed', error })
    }
  }

  let label: string
  if (!live) label = drop.status === 'scheduled' ? 'Not started yet' : 'Drop ended'
  else if (soldOut) label = 'Sold out'
  else if (attempt.state === 'placing')
    label = attempt.retries > 0 ? `Retrying… (${attempt.retries})` : 'Placing order…'
  else label = `Buy now · ${money(item.drop_price * quantity, item.currency)}`

  return (
    <article className="card item" data-variant-id={item.variant_id}>
      <ItemImage productId={item.product_id} alt={item.name} />
      <div className="item__body">
        <h3 className="item__name">{item.name}</h3>
        <p className="item__price num">{money(item.drop_price, item.currency)}</p>
        <StockBar
          available={available}
          total={item.initial_stock}
          lowThreshold={drop.low_stock_threshold}
          label={`${item.name} left`}
        />
        <div className="item__buy">
          {drop.per_user_limit > 1 && (
            <div className="field field--inline">
              <label htmlFor={quantityId}>Qty</label>
              <select
                id={quantityId}
                value={quantity}
                disabled={!live || soldOut}
                onChange={(event) => setQuantity(Number(event.target.value))}
              >
                {Array.from({ length: maxQuantity }, (_, i) => i + 1).map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </div>
          )}
          {session ? (
            <button
              type="button"
              className="button button--primary button--buy"
              disabled={!live || soldOut || attempt.state === 'placing'}
              aria-busy={attempt.state === 'placing'}
              onClick={buy}
            >
              {label}
            </button>
          ) : (
            <button
              type="button"
              className="button button--primary button--buy"
              onClick={() => navigate(`/signin?next=${encodeURIComponent(location.pathname)}`)}
            >
              Sign in to buy
            </button>
          )}
        </div>
        <div className="item__result" aria-live="polite">
          {attempt.state === 'done' &&
            (attempt.status === 202 ? (
              <Notice tone="info" title="Payment pending">
                We’re holding your {plural(quantity, 'item')} until{' '}
                {attempt.order.hold_expires_at
                  ? clock(attempt.order.hold_expires_at)
                  : 'the payment completes'}
                . <Link to="/orders">My orders</Link>
              </Notice>
            ) : (
              <Notice title="Order confirmed">
                {plural(
                  attempt.order.items.reduce((n, i) => n + i.quantity, 0),
                  'item',
                )}{' '}
                · {money(attempt.order.total_amount, attempt.order.currency)}.{' '}
                <Link to="/orders">View in My orders</Link>
              </Notice>
            ))}
          {attempt.state === 'failed' && (
            <Alert described={describe(attempt.error, { perUserLimit: drop.per_user_limit })} />
          )}
        </div>
      </div>
    </article>
  )
}

export function DropPage() {
  const { dropId = '' } = useParams()
  useLiveDrop(dropId)
  const drop = useDrop(dropId)
  const items = useDropItems(dropId)
  const inventory = useInventory(dropId)
  const creator = useCreator(drop.data?.creator_id)
  const cardId = useId()
  const [card, setCard] = useState<string>('tok_visa')

  if (drop.isPending) return <Skeleton rows={2} height={240} />
  if (drop.isError) return <ErrorState error={drop.error} onRetry={() => drop.refetch()} />
  const d = drop.data
  const remaining = inventory.data?.remaining_inventory ?? d.remaining_inventory
  const availableOf = (variantId: string, fallback: number) =>
    inventory.data?.items.find((i) => i.variant_id === variantId)?.available ?? fallback

  return (
    <article className="drop-page">
      <section className="drop-hero card">
        <Cover id={d.drop_id} label={d.name} className="drop-hero__cover" />
        <div className="drop-hero__body">
          <div className="drop-hero__meta">
            <DropStatusPill status={d.status} soldOut={remaining === 0} />
            {creator.data && (
              <Link to={`/creators/${d.creator_id}`} className="drop-hero__creator">
                by {creator.data.creator_name}
              </Link>
            )}
          </div>
          <h1>{d.name}</h1>
          {d.description && <p className="drop-hero__description">{d.description}</p>}
          <div className="drop-hero__timing">
            {d.status === 'scheduled' && (
              <>
                <span>Starts in</span> <Countdown to={d.start_time} className="countdown--hero" />
                <span className="muted small">{when(d.start_time)}</span>
              </>
            )}
            {d.status === 'live' && (
              <>
                <span>Ends in</span> <Countdown to={d.end_time} />
              </>
            )}
            {d.status === 'ended' && <span>Ended {when(d.end_time)}</span>}
          </div>
          <StockBar
            available={remaining}
            total={d.total_inventory}
            lowThreshold={d.low_stock_threshold}
            label="Drop stock left"
          />
          <p className="muted small">Limit {plural(d.per_user_limit, 'unit')} per person.</p>
        </div>
      </section>

      <section className="section" aria-labelledby="items-heading">
        <div className="section__head">
          <h2 id="items-heading">In this drop</h2>
          <div className="field field--inline">
            <label htmlFor={cardId}>Pay with</label>
            <select id={cardId} value={card} onChange={(event) => setCard(event.target.value)}>
              {TEST_CARDS.map((c) => (
                <option key={c.token} value={c.token}>
                  {c.label}
                </option>
              ))}
            </select>
          </div>
        </div>
        {d.status === 'scheduled' && (
          <Notice tone="info" title="This drop hasn’t started yet">
            Buying opens when the countdown ends; this page updates by itself.
          </Notice>
        )}
        {items.isPending ? (
          <Skeleton rows={3} height={160} />
        ) : items.isError ? (
          <ErrorState error={items.error} onRetry={() => items.refetch()} />
        ) : (
          <div className="items">
            {items.data.map((item) => (
              <BuyItem
                key={item.variant_id}
                drop={d}
                item={item}
                available={availableOf(item.variant_id, item.current_stock)}
                card={card}
              />
            ))}
          </div>
        )}
      </section>
    </article>
  )
}
