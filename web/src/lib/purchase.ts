import { ApiError, NetworkError, request } from './api'
import type { Order } from './types'

export interface OrderRequest {
  drop_id: string
  items: { product_id: string; variant_id?: string; quantity: number }[]
  payment?: { method: 'card'; token: string }
}

/** Waits before each retry of the same attempt. */
const RETRY_DELAYS_MS = [300, 800, 1_500, 3_000, 5_000]

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Places one purchase attempt. `key` is the attempt's Idempotency-Key: every retry of this attempt
 * sends the same one, so a request that did arrive (its answer lost to the network) is answered
 * again by the server instead of buying twice. Retries only what cannot have a different outcome:
 * no answer at all, "still processing", rate limits and server errors.
 */
export async function placeOrder(
  body: OrderRequest,
  key: string,
  onRetry?: (attempt: number) => void,
): Promise<{ status: number; order: Order; replayed: boolean }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const reply = await request<Order>('POST', '/orders', {
        body,
        headers: { 'idempotency-key': key },
        timeoutMs: 20_000,
      })
      return {
        status: reply.status,
        order: reply.body,
        replayed: reply.headers.get('idempotent-replayed') === 'true',
      }
    } catch (error) {
      const retryable =
        error instanceof NetworkError ||
        (error instanceof ApiError &&
          (error.code === 'idempotency_key_in_use' || error.status === 429 || error.status >= 500))
      const delay = RETRY_DELAYS_MS[attempt]
      if (!retryable || delay === undefined) throw error
      onRetry?.(attempt + 1)
      const asked = error instanceof ApiError && error.retryAfter ? error.retryAfter * 1000 : 0
      await sleep(Math.max(delay, Math.min(asked, 10_000)))
    }
  }
}

/** The built-in test payment provider's cards (API.md, Orders). */
export const TEST_CARDS = [
  { token: 'tok_visa', label: 'Test card •••• 4242 — pays' },
  { token: 'tok_declined', label: 'Test card •••• 0002 — declined' },
  { token: 'tok_async', label: 'Test card •••• 3155 — pays later' },
] as const
