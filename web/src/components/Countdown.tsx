import { countdown } from '../lib/format'
import { useNow } from '../lib/now'

/** Time left until `to`, to the second, in fixed-width digits. */
export function Countdown({ to, className = '' }: { to: string; className?: string }) {
  const now = useNow()
  const left = new Date(to).getTime() - now
  return (
    <time className={`countdown num ${className}`} dateTime={to} aria-live="off">
      {countdown(left)}
    </time>
  )
}
