import type { Order } from './service.js'

type OrderPayload = Order & { creator_id: string }

export interface OrderEvents {
  'order.created': OrderPayload
  'order.confirmed': OrderPayload
  'order.cancelled': OrderPayload & { reason: string }
  'order.expired': OrderPayload
  'order.shipped': OrderPayload
  'payment.failed': { order_id: string; user_id: string; drop_id: string }
}
export type OrderTopic = keyof OrderEvents

export function orderEvent<T extends OrderTopic>(topic: T, orderId: string, payload: OrderEvents[T]) {
  return { topic, key: orderId, payload }
}
