import { uuidv7 } from 'uuidv7'

export type PaymentOutcome = 'succeeded' | 'declined' | 'pending'

export interface PaymentRequest {
  orderId: string
  amount: number
  currency: string
  token: string
}

/** The payment provider port. Synchronous providers decide at once; asynchronous ones answer `pending`
 * and report the outcome later through the signed webhook. */
export interface PaymentProvider {
  readonly name: string
  authorize(request: PaymentRequest): Promise<{ outcome: PaymentOutcome; paymentId: string }>
  /** Cancels an authorisation whose order could not be written. */
  void(paymentId: string): Promise<void>
}

/** The built-in test provider: `tok_visa` succeeds, `tok_async` stays pending, anything else declines. */
export function testPaymentProvider(): PaymentProvider {
  return {
    name: 'test',
    async authorize({ token }) {
      const paymentId = `pay_test_${uuidv7()}`
      if (token === 'tok_visa') return { outcome: 'succeeded', paymentId }
      if (token === 'tok_async') return { outcome: 'pending', paymentId }
      return { outcome: 'declined', paymentId }
    },
    async void() {},
  }
}

/** What an order without `payment` is paid with while the test provider is in use. */
export const DEFAULT_TEST_TOKEN = 'tok_visa'
