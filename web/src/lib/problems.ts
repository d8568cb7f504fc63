import { ApiError, NetworkError } from './api'

export interface Described {
  title: string
  detail: string
  /** Field messages of a `validation_failed` answer. */
  fields?: string[]
  tone: 'error' | 'warning'
}

/** Turns any failure into words for people: the problem `code` first, the server's `detail` otherwise. */
export function describe(error: unknown, context: { perUserLimit?: number } = {}): Described {
  if (error instanceof NetworkError) {
    return {
      title: 'Connection problem',
      detail: 'We couldn’t reach LiveDrop. Check your connection and try again.',
      tone: 'warning',
    }
  }
  if (!(error instanceof ApiError)) {
    return {
      title: 'Something went wrong',
      detail: error instanceof Error ? error.message : 'Please try again.',
      tone: 'error',
    }
  }
  const detail = error.problem.detail ?? 'Please try again.'
  switch (error.code) {
    case 'sold_out':
      return {
        title: 'Sold out',
        detail: 'There isn’t enough stock left for this order. Try a smaller quantity or another item.',
        tone: 'warning',
      }
    case 'purchase_limit_exceeded':
      return {
        title: 'Limit reached',
        detail: context.perUserLimit
          ? `This drop allows ${context.perUserLimit} per person, and this order would go over it.`
          : 'This order would go over the per-person limit of this drop.',
        tone: 'warning',
      }
    case 'payment_declined':
      return {
        title: 'Payment declined',
        detail: 'Your card was declined. Nothing was charged and the items went back on sale.',
        tone: 'error',
      }
    case 'drop_not_live':
      return {
        title: 'Drop not live',
        detail: 'This drop isn’t taking orders right now: it hasn’t started yet, or it has ended.',
        tone: 'warning',
      }
    case 'idempotency_key_in_use':
      return {
        title: 'Still processing',
        detail: 'Your previous attempt is still being processed. Check My orders in a moment.',
        tone: 'warning',
      }
    case 'rate_limited':
      return {
        title: 'Too many requests',
        detail: error.retryAfter
          ? `Please wait ${error.retryAfter} s and try again.`
          : 'Please wait a moment and try again.',
        tone: 'warning',
      }
    case 'unauthenticated':
      return {
        title: 'Please sign in',
        detail: 'Your session has ended. Sign in to continue.',
        tone: 'warning',
      }
    case 'invalid_credentials':
      return {
        title: 'Wrong email or password',
        detail: 'Check both and try again.',
        tone: 'error',
      }
    case 'already_exists':
      return { title: 'Already taken', detail, tone: 'error' }
    case 'validation_failed':
      return {
        title: 'Please check the form',
        detail,
        fields: error.problem.errors?.map((e) => `${fieldName(e.path)} ${e.message}`),
        tone: 'error',
      }
    case 'forbidden':
      return { title: 'Not allowed', detail, tone: 'error' }
    case 'not_found':
      return { title: 'Not found', detail, tone: 'error' }
    default:
      return {
        title: error.status >= 500 ? 'Something went wrong on our side' : 'That didn’t work',
        detail: error.status >= 500 ? 'Please try again in a moment.' : detail,
        tone: 'error',
      }
  }
}

/** `/body/items/0/drop_price` → `items 1 drop price`. */
function fieldName(path: string): string {
  const parts = path
    .split('/')
    .filter((p) => p && p !== 'body' && p !== 'querystring' && p !== 'headers')
    .map((p) => (/^\d+$/.test(p) ? String(Number(p) + 1) : p.replace(/_/g, ' ')))
  return parts.length ? parts.join(' ') : 'This'
}
