import { AckPolicy, DeliverPolicy, type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream'
import { nanos } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import type { BusEvent, EventBus, Subscription } from './index.js'

export interface NatsBusOptions {
  url: string
  /** JetStream stream holding every event. */
  stream: string
  /** Subjects are `<prefix>.<topic>`. */
  subjectPrefix: string
  onError: (error: unknown, event?: BusEvent) => void
}

const KEEP_EVENTS_NS = nanos(24 * 3600 * 1000)
/** Republishing the same event id within this window is dropped by the server (relay retries). */
const DEDUPE_WINDOW_NS = nanos(2 * 60 * 1000)
const REDELIVER_AFTER_MS = 1_000

/** The event bus on NATS JetStream: at-least-once, deduplicated by event id on publish. */
export async function natsBus(options: NatsBusOptions): Promise<EventBus> {
  const nc = await connect({ servers: options.url, maxReconnectAttempts: -1, name: 'livedrop' })
  const jsm = await jetstreamManager(nc)
  const subjects = [`${options.subjectPrefix}.>`]
  try {
    await jsm.streams.info(options.stream)
  } catch {
    await jsm.streams.add({
      name: options.stream,
      subjects,
      max_age: KEEP_EVENTS_NS,
      duplicate_window: DEDUPE_WINDOW_NS,
    })
  }
  const js = jetstream(nc)
  const subjectOf = (topic: string) => `${options.subjectPrefix}.${topic}`
  const stops = new Set<() => void>()
  const pending = new Set<Promise<unknown>>()

  const decode = (message: JsMsg): BusEvent => ({ ...(message.json() as BusEvent), seq: message.seq })

  /** Starts consuming; returns the function that stops it. */
  async function start(subscription: Subscription): Promise<() => void> {
    // Servers before 2.10 take one filter subject per consumer: one topic is filtered by the server,
    // several are taken from the whole stream and filtered here.
    const topics = subscription.topics
    const filter_subject =
      topics !== '*' && topics.length === 1 ? subjectOf(topics[0]!) : `${options.subjectPrefix}.>`
    const wanted = (event: BusEvent) => topics === '*' || topics.includes(event.topic)
    if (subscription.group) {
      const durable = subscription.group
      try {
        await jsm.consumers.add(options.stream, {
          durable_name: durable,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.New,
          filter_subject,
          ack_wait: nanos(30_000),
        })
      } catch {
        await jsm.consumers.update(options.stream, durable, { filter_subject })
      }
      const consumer = await js.consumers.get(options.stream, durable)
      const messages = await consumer.consume({
        callback: (message) => {
          const event = decode(message)
          if (!wanted(event)) return void message.ack()
          Promise.resolve()
            .then(() => subscription.handler(event))
            .then(
              () => message.ack(),
              (error: unknown) => {
                options.onError(error, event)
                message.nak(REDELIVER_AFTER_MS)
              },
            )
        },
      })
      return () => messages.stop()
    }
    const consumer = await js.consumers.get(options.stream, {
      filter_subjects: filter_subject,
      deliver_policy: DeliverPolicy.New,
    })
    const messages = await consumer.consume({
      callback: (message) => {
        const event = decode(message)
        if (!wanted(event)) return
        Promise.resolve()
          .then(() => subscription.handler(event))
          .catch((error: unknown) => options.onError(error, event))
      },
    })
    return () => messages.stop()
  }

  return {
    async publish(events) {
      await Promise.all(
        events.map((event) => js.publish(subjectOf(event.topic), JSON.stringify(event), { msgID: event.id })),
      )
    },
    subscribe(subscription) {
      let active = true
      let stop: (() => void) | undefined
      const starting = start(subscription).then(
        (stopConsuming) => {
          stop = () => {
            stopConsuming()
            stops.delete(stop!)
          }
          if (active) stops.add(stop)
          else stopConsuming()
        },
        (error: unknown) => options.onError(error),
      )
      pending.add(starting)
      void starting.finally(() => pending.delete(starting))
      return () => {
        active = false
        stop?.()
      }
    },
    async ready() {
      await Promise.all(pending)
    },
    async ping() {
      await nc.flush()
    },
    async close() {
      await Promise.all(pending)
      for (const stop of stops) stop()
      stops.clear()
      await nc.drain()
    },
  }
}
