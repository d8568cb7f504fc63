import { collectDefaultMetrics, Histogram, Registry } from 'prom-client'
import { LatencyHistogram } from './latency-histogram.js'

export interface Metrics {
  registry: Registry
  /** Labelled by method, route and status_code. */
  httpDuration: LatencyHistogram
  /** Time from an event's commit to its publication on the bus. */
  relayLag: Histogram
}

/** One registry per app instance, so several instances in one process (tests) never collide. */
export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const httpDuration = new LatencyHistogram(
    'livedrop_http_request_duration_seconds',
    'HTTP request latency by route and status',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registry,
  )
  const relayLag = new Histogram({
    name: 'livedrop_outbox_relay_lag_seconds',
    help: 'Time from writing an outbox event to publishing it on the bus',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  })
  return { registry, httpDuration, relayLag }
}
