/** An event as it travels from the outbox to consumers. Consumers dedupe by `id`. */
export interface BusEvent<Payload = unknown> {
  id: string
  topic: string
  key: string
  payload: Payload
  created_at: string
  /** Position in the bus, increasing in publish order; set on delivery. Every gateway sees the same number. */
  seq?: number
}

export type EventHandler = (event: BusEvent) => Promise<void> | void

export interface Subscription {
  /** Topics to receive; `*` receives every topic. */
  topics: string[] | '*'
  handler: EventHandler
  /**
   * With a group, each event goes to one member of the group across the fleet and is redelivered
   * until handled (work such as writing notifications). Without, every process gets every event
   * from now on (cache invalidation, socket fan-out).
   */
  group?: string
}

/** The event bus port: in-process for the embedded shape, NATS JetStream for the distributed one. */
export interface EventBus {
  publish(events: BusEvent[]): Promise<void>
  subscribe(subscription: Subscription): () => void
  /** Resolves once every subscription made so far receives events. */
  ready(): Promise<void>
  /** Fails when the bus cannot be reached (readiness). */
  ping(): Promise<void>
  close(): Promise<void>
}

/**
 * Delivers to this process's subscribers; the publisher's await returns once all have handled the
 * batch. Plain subscribers get events one after another in publish order. Group members (work such as
 * writing notifications) take a batch's events all at once, as a NATS consumer hands them out, so
 * they can write them together.
 */
export function inProcessBus(onError: (error: unknown, event: BusEvent) => void): EventBus {
  const subscriptions = new Set<Subscription>()
  let seq = 0
  const deliver = async (subscription: Subscription, event: BusEvent) => {
    try {
      await subscription.handler(event)
    } catch (error) {
      onError(error, event)
    }
  }
  return {
    async publish(events) {
      const work: Promise<void>[] = []
      for (const published of events) {
        seq += 1
        const event = { ...published, seq }
        for (const subscription of subscriptions) {
          if (subscription.topics !== '*' && !subscription.topics.includes(event.topic)) continue
          if (subscription.group) work.push(deliver(subscription, event))
          else await deliver(subscription, event)
        }
      }
      await Promise.all(work)
    },
    subscribe(subscription) {
      subscriptions.add(subscription)
      return () => subscriptions.delete(subscription)
    },
    async ready() {},
    async ping() {},
    async close() {
      subscriptions.clear()
    },
  }
}
