/** An event as it travels from the outbox to consumers. Consumers dedupe by `id`. */
export interface BusEvent<Payload = unknown> {
  id: string
  topic: string
  key: string
  payload: Payload
  created_at: string
}

export type EventHandler = (event: BusEvent) => Promise<void> | void

export interface Subscription {
  /** Topics to receive; `*` receives every topic. */
  topics: string[] | '*'
  handler: EventHandler
}

/** The event bus port: in-process for the embedded shape, NATS JetStream for the distributed one. */
export interface EventBus {
  publish(events: BusEvent[]): Promise<void>
  subscribe(subscription: Subscription): () => void
  close(): Promise<void>
}

/** Delivers to this process's subscribers, in publish order, after the publisher's await returns. */
export function inProcessBus(onError: (error: unknown, event: BusEvent) => void): EventBus {
  const subscriptions = new Set<Subscription>()
  return {
    async publish(events) {
      for (const event of events) {
        for (const subscription of subscriptions) {
          if (subscription.topics !== '*' && !subscription.topics.includes(event.topic)) continue
          try {
            await subscription.handler(event)
          } catch (error) {
            onError(error, event)
          }
        }
      }
    },
    subscribe(subscription) {
      subscriptions.add(subscription)
      return () => subscriptions.delete(subscription)
    },
    async close() {
      subscriptions.clear()
    },
  }
}
