import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { Link, useParams } from 'react-router'
import { Countdown } from '../components/Countdown'
import { StockBar } from '../components/StockBar'
import {
  Alert,
  DropStatusPill,
  Empty,
  ErrorState,
  OrderStatusPill,
  PageHeader,
  Skeleton,
} from '../components/ui'
import { api, qs } from '../lib/api'
import { clock, duration, money, shortId, when } from '../lib/format'
import { useNow } from '../lib/now'
import { keys, useDrop, useDropItems, useInventory, useLiveDrop } from '../lib/queries'
import type { Drop, Order, Page } from '../lib/types'
import { OrdersChart } from './OrdersChart'

/** Orders fetched for the chart and the pace: the newest this many. */
const ORDER_PAGES = 5
const PACE_WINDOW_MS = 5 * 60_000

function useDropOrders(dropId: string) {
  return useQuery({
    queryKey: keys.dropOrders(dropId),
    queryFn: async ({ signal }) => {
      const orders: Order[] = []
      let cursor: string | undefined
      for (let page = 0; page < ORDER_PAGES; page++) {
        const reply = await api.get<Page<Order>>(
          `/drops/${dropId}/orders${qs({ limit: 100, cursor })}`,
          signal,
        )
        orders.push(...reply.items)
        if (!reply.next_cursor) return { orders, complete: true }
        cursor = reply.next_cursor
      }
      return { orders, complete: false }
    },
    refetchInterval: 10_000,
    placeholderData: (previous) => previous,
  })
}

function Stat({ label, value, note }: { label: string; value: string; note?: string }) {
  return (
    <div className="stat card">
      <p className="stat__label">{label}</p>
      <p className="stat__value num">{value}</p>
      {note && <p className="stat__note muted small">{note}</p>}
    </div>
  )
}

function sellOut(
  drop: Drop,
  sold: number,
  remaining: number,
  orders: Order[],
  now: number,
): { value: string; note: string } {
  const start = new Date(drop.start_time).getTime()
  if (drop.status === 'scheduled') return { value: '—', note: 'Not started yet' }
  if (remaining === 0) {
    const last = orders.find((o) => o.status !== 'cancelled' && o.status !== 'expired')
    const at = last ? new Date(last.created_at).getTime() : now
    return { value: duration(at - start), note: `Sold out at ${clock(at)}` }
  }
  if (drop.status === 'ended') return { value: '—', note: `${sold.toLocaleString()} sold before the end` }
  const recent = orders.filter((o) => now - new Date(o.created_at).getTime() <= PACE_WINDOW_MS)
  const units = recent.reduce((n, o) => n + o.items.reduce((m, i) => m + i.quantity, 0), 0)
  if (units === 0) return { value: '—', note: 'No sales in the last 5 minutes' }
  const perMs = units / Math.min(PACE_WINDOW_MS, Math.max(now - start, 60_000))
  return { value: `≈ ${duration(remaining / perMs)}`, note: 'At the pace of the last 5 minutes' }
}

function OrderRow({ order, names }: { order: Order; names: Map<string, string> }) {
  const client = useQueryClient()
  const ship = useMutation({
    mutationFn: () => api.put<Order>(`/orders/${order.order_id}`, { status: 'shipped' }),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.dropOrders(order.drop_id) }),
  })
  return (
    <tr data-order-id={order.order_id}>
      <td className="num">{clock(order.created_at)}</td>
      <td className="num">#{shortId(order.order_id)}</td>
      <td>{order.items.map((i) => `${i.quantity} × ${names.get(i.variant_id) ?? 'item'}`).join(', ')}</td>
      <td className="num align-end">{money(order.total_amount, order.currency)}</td>
      <td>
        <OrderStatusPill status={order.status} />
      </td>
      <td className="align-end">
        {order.status === 'confirmed' && (
          <button
            type="button"
            className="button button--small button--secondary"
            disabled={ship.isPending}
            onClick={() => ship.mutate()}
          >
            {ship.isPending ? 'Saving…' : 'Mark shipped'}
          </button>
        )}
        {ship.isError && <Alert error={ship.error} />}
      </td>
    </tr>
  )
}

export function DropDashboard() {
  const { dropId = '' } = useParams()
  useLiveDrop(dropId)
  const client = useQueryClient()
  const now = useNow()
  const drop = useDrop(dropId)
  const items = useDropItems(dropId)
  const inventory = useInventory(dropId)
  const orders = useDropOrders(dropId)
  const [confirmEnd, setConfirmEnd] = useState(false)
  const end = useMutation({
    mutationFn: () => api.put<Drop>(`/drops/${dropId}`, { status: 'ended' }),
    onSuccess: (updated) => {
      client.setQueryData(keys.drop(dropId), updated)
      setConfirmEnd(false)
    },
  })

  if (drop.isPending) return <Skeleton rows={3} height={120} />
  if (drop.isError) return <ErrorState error={drop.error} onRetry={() => drop.refetch()} />
  const d = drop.data
  const remaining = inventory.data?.remaining_inventory ?? d.remaining_inventory
  const sold = d.total_inventory - remaining
  const list = orders.data?.orders ?? []
  const names = new Map((items.data ?? []).map((i) => [i.variant_id, i.name]))
  const availableOf = (variantId: string, fallback: number) =>
    inventory.data?.items.find((i) => i.variant_id === variantId)?.available ?? fallback
  const revenue = (items.data ?? []).reduce(
    (n, i) => n + (i.initial_stock - availableOf(i.variant_id, i.current_stock)) * i.drop_price,
    0,
  )
  const currency = items.data?.[0]?.currency ?? 'USD'
  const pace = sellOut(d, sold, remaining, list, now)

  return (
    <>
      <PageHeader
        title={d.name}
        eyebrow={
          <>
            <Link to="/studio">← Studio</Link> · <Link to={`/drops/${d.drop_id}`}>Shopper view</Link>
          </>
        }
      >
        <span className="dashboard__status">
          <DropStatusPill status={d.status} soldOut={remaining === 0} />
          {d.status === 'scheduled' && (
            <>
              Starts in <Countdown to={d.start_time} />
            </>
          )}
          {d.status === 'live' && (
            <>
              Ends in <Countdown to={d.end_time} />
            </>
          )}
          {d.status === 'ended' && <>Ended {when(d.end_time)}</>}
        </span>
      </PageHeader>

      <div className="stats">
        <Stat
          label="Units sold"
          value={sold.toLocaleString()}
          note={`of ${d.total_inventory.toLocaleString()}`}
        />
        <Stat
          label="Remaining"
          value={remaining.toLocaleString()}
          note={remaining === 0 ? 'Sold out' : 'Live figure'}
        />
        <Stat label="Revenue" value={money(revenue, currency)} note="Units held by orders" />
        <Stat label="Time to sell out" value={pace.value} note={pace.note} />
      </div>

      <section className="section card panel" aria-labelledby="opm-heading">
        <div className="section__head">
          <h2 id="opm-heading">Orders per minute</h2>
          {orders.data && !orders.data.complete && (
            <span className="muted small">Newest {list.length} orders</span>
          )}
        </div>
        <OrdersChart times={list.map((o) => new Date(o.created_at).getTime())} now={now} />
      </section>

      <section className="section card panel" aria-labelledby="items-heading">
        <div className="section__head">
          <h2 id="items-heading">Items</h2>
        </div>
        {items.isPending ? (
          <Skeleton rows={2} height={40} />
        ) : items.isError ? (
          <ErrorState error={items.error} onRetry={() => items.refetch()} />
        ) : (
          <ul className="dashboard-items">
            {items.data.map((item) => (
              <li key={item.variant_id}>
                <span className="dashboard-items__name">{item.name}</span>
                <span className="num muted small">{money(item.drop_price, item.currency)}</span>
                <StockBar
                  available={availableOf(item.variant_id, item.current_stock)}
                  total={item.initial_stock}
                  lowThreshold={d.low_stock_threshold}
                  label={`${item.name} left`}
                  compact
                />
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="section card panel" aria-labelledby="orders-heading">
        <div className="section__head">
          <h2 id="orders-heading">Recent orders</h2>
        </div>
        {orders.isPending ? (
          <Skeleton rows={3} height={36} />
        ) : orders.isError ? (
          <ErrorState error={orders.error} onRetry={() => orders.refetch()} />
        ) : list.length === 0 ? (
          <Empty title="No orders yet">Orders appear here as they come in.</Empty>
        ) : (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Order</th>
                  <th scope="col">Items</th>
                  <th scope="col" className="align-end">
                    Total
                  </th>
                  <th scope="col">Status</th>
                  <th scope="col" className="align-end">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.slice(0, 25).map((order) => (
                  <OrderRow key={order.order_id} order={order} names={names} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {d.status === 'live' && (
        <section className="section danger-zone">
          {confirmEnd ? (
            <div className="order__confirm">
              <span>End this drop now? Nobody can buy after this.</span>
              <button
                type="button"
                className="button button--danger"
                disabled={end.isPending}
                onClick={() => end.mutate()}
              >
                {end.isPending ? 'Ending…' : 'Yes, end it'}
              </button>
              <button type="button" className="button button--ghost" onClick={() => setConfirmEnd(false)}>
                Keep it live
              </button>
            </div>
          ) : (
            <button type="button" className="button button--secondary" onClick={() => setConfirmEnd(true)}>
              End drop early
            </button>
          )}
          {end.isError && <Alert error={end.error} />}
        </section>
      )}
    </>
  )
}
