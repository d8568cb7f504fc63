import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { Link } from 'react-router'
import { Alert, Empty, ErrorState, OrderStatusPill, PageHeader, Skeleton } from '../components/ui'
import { api, qs } from '../lib/api'
import { clock, money, shortId, when } from '../lib/format'
import { keys, useDrop, useDropItems, useSession } from '../lib/queries'
import type { Order, Page } from '../lib/types'

function OrderCard({ order }: { order: Order }) {
  const client = useQueryClient()
  const drop = useDrop(order.drop_id)
  const items = useDropItems(order.drop_id)
  const [confirming, setConfirming] = useState(false)
  const cancel = useMutation({
    mutationFn: () => api.put<Order>(`/orders/${order.order_id}`, { status: 'cancelled' }),
    onSuccess: () => {
      setConfirming(false)
      void client.invalidateQueries({ queryKey: ['orders'] })
    },
  })
  const nameOf = (variantId: string) => items.data?.find((i) => i.variant_id === variantId)?.name ?? 'Item'
  const cancellable = order.status === 'pending' || order.status === 'confirmed'

  return (
    <li className="card order" data-order-id={order.order_id} data-status={order.status}>
      <div className="order__head">
        <div>
          <h2 className="order__title">
            {drop.data ? <Link to={`/drops/${order.drop_id}`}>{drop.data.name}</Link> : 'Drop'}
          </h2>
          <p className="muted small">
            Order <span className="num">#{shortId(order.order_id)}</span> · {when(order.created_at)}
          </p>
        </div>
        <OrderStatusPill status={order.status} />
      </div>
      <ul className="order__items">
        {order.items.map((item) => (
          <li key={item.variant_id}>
            <span>
              {item.quantity} × {nameOf(item.variant_id)}
            </span>
            <span className="num">{money(item.total_price, order.currency)}</span>
          </li>
        ))}
      </ul>
      <div className="order__foot">
        <p>
          Total <strong className="num">{money(order.total_amount, order.currency)}</strong>
          {order.status === 'pending' && order.hold_expires_at && (
            <span className="muted small"> · held until {clock(order.hold_expires_at)}</span>
          )}
        </p>
        {cancellable &&
          (confirming ? (
            <div className="order__confirm">
              <span className="small">Cancel this order?</span>
              <button
                type="button"
                className="button button--danger"
                disabled={cancel.isPending}
                onClick={() => cancel.mutate()}
              >
                {cancel.isPending ? 'Cancelling…' : 'Yes, cancel'}
              </button>
              <button type="button" className="button button--ghost" onClick={() => setConfirming(false)}>
                Keep it
              </button>
            </div>
          ) : (
            <button type="button" className="button button--secondary" onClick={() => setConfirming(true)}>
              Cancel order
            </button>
          ))}
      </div>
      {cancel.isError && <Alert error={cancel.error} />}
    </li>
  )
}

export function OrdersPage() {
  const session = useSession()
  const userId = session?.user.user_id ?? ''
  const orders = useInfiniteQuery({
    queryKey: keys.orders(userId),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<Order>>(`/users/${userId}/orders${qs({ limit: 20, cursor: pageParam })}`, signal),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    enabled: Boolean(userId),
  })
  const all = orders.data?.pages.flatMap((p) => p.items) ?? []

  return (
    <>
      <PageHeader title="My orders">Newest first. Confirmed and pending orders can be cancelled.</PageHeader>
      {orders.isPending ? (
        <Skeleton rows={3} height={140} />
      ) : orders.isError ? (
        <ErrorState error={orders.error} onRetry={() => orders.refetch()} />
      ) : all.length === 0 ? (
        <Empty
          title="No orders yet"
          action={
            <Link className="button button--primary" to="/">
              See live drops
            </Link>
          }
        >
          What you buy shows up here the moment it’s confirmed.
        </Empty>
      ) : (
        <>
          <ul className="orders">
            {all.map((order) => (
              <OrderCard key={order.order_id} order={order} />
            ))}
          </ul>
          {orders.hasNextPage && (
            <div className="more">
              <button
                type="button"
                className="button button--secondary"
                disabled={orders.isFetchingNextPage}
                onClick={() => orders.fetchNextPage()}
              >
                {orders.isFetchingNextPage ? 'Loading…' : 'Show older orders'}
              </button>
            </div>
          )}
        </>
      )}
    </>
  )
}
