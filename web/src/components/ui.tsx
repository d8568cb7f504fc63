import type { ReactNode } from 'react'
import { type Described, describe } from '../lib/problems'
import type { DropStatus, OrderStatus } from '../lib/types'

/** A failure in words: the title, what it means, and the fields to fix. */
export function Alert({
  error,
  described,
  action,
}: {
  error?: unknown
  described?: Described
  action?: ReactNode
}) {
  const words = described ?? describe(error)
  return (
    <div className={`alert alert--${words.tone}`} role="alert">
      <div>
        <p className="alert__title">{words.title}</p>
        <p className="alert__detail">{words.detail}</p>
        {words.fields && words.fields.length > 0 && (
          <ul className="alert__fields">
            {words.fields.map((field) => (
              <li key={field}>{field}</li>
            ))}
          </ul>
        )}
      </div>
      {action}
    </div>
  )
}

export function Notice({
  tone = 'success',
  title,
  children,
}: {
  tone?: 'success' | 'info'
  title: string
  children?: ReactNode
}) {
  return (
    <div className={`alert alert--${tone}`} role="status">
      <div>
        <p className="alert__title">{title}</p>
        {children && <div className="alert__detail">{children}</div>}
      </div>
    </div>
  )
}

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return <span className="spinner" role="status" aria-label={label} />
}

/** Placeholder blocks in the shape of what is loading, so nothing jumps when it arrives. */
export function Skeleton({ rows = 3, height = 96 }: { rows?: number; height?: number }) {
  return (
    <div className="skeletons" role="status" aria-busy="true" aria-label="Loading">
      {Array.from({ length: rows }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: identical placeholders that never reorder
        <div key={i} className="skeleton" style={{ height }} />
      ))}
    </div>
  )
}

export function Empty({
  title,
  children,
  action,
}: {
  title: string
  children?: ReactNode
  action?: ReactNode
}) {
  return (
    <div className="empty">
      <svg className="empty__icon" viewBox="0 0 24 24" aria-hidden="true">
        <path d="M12 3c3.6 4.4 5.5 7.6 5.5 10a5.5 5.5 0 0 1-11 0c0-2.4 1.9-5.6 5.5-10z" />
      </svg>
      <p className="empty__title">{title}</p>
      {children && <p className="empty__text">{children}</p>}
      {action}
    </div>
  )
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <Alert
      error={error}
      action={
        onRetry && (
          <button type="button" className="button button--secondary" onClick={onRetry}>
            Try again
          </button>
        )
      }
    />
  )
}

const DROP_STATUS: Record<DropStatus, string> = { live: 'Live', scheduled: 'Upcoming', ended: 'Ended' }

export function DropStatusPill({ status, soldOut }: { status: DropStatus; soldOut?: boolean }) {
  if (status === 'live' && soldOut) return <span className="pill pill--out">Sold out</span>
  return (
    <span className={`pill pill--${status}`}>
      {status === 'live' && <span className="pulse" aria-hidden="true" />}
      {DROP_STATUS[status]}
    </span>
  )
}

const ORDER_STATUS: Record<OrderStatus, string> = {
  pending: 'Payment pending',
  confirmed: 'Confirmed',
  cancelled: 'Cancelled',
  expired: 'Expired',
  shipped: 'Shipped',
}

export function OrderStatusPill({ status }: { status: OrderStatus }) {
  return <span className={`pill pill--order-${status}`}>{ORDER_STATUS[status]}</span>
}

export function PageHeader({
  title,
  children,
  eyebrow,
}: {
  title: ReactNode
  children?: ReactNode
  eyebrow?: ReactNode
}) {
  return (
    <header className="page-header">
      {eyebrow && <div className="page-header__eyebrow">{eyebrow}</div>}
      <h1>{title}</h1>
      {children && <div className="page-header__text">{children}</div>}
    </header>
  )
}
