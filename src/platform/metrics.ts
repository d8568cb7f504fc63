import { collectDefaultMetrics, Histogram, Registry } from 'prom-client'

export interface Metrics {
  registry: Registry
  httpDuration: Histogram<'method' | 'route' | 'status_code'>
  /** Time from an event's commit to its publication on the bus. */
  relayLag: Histogram
}

/** One registry per app instance, so several instances in one process (tests) never collide. */
export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const httpDuration = new Histogram({
    name: 'livedrop_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  const relayLag = new Histogram({
    name: 'livedrop_outbox_relay_lag_seconds',
    help: 'Time from writing an outbox event to publishing it on the bus',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  })
  return { registry, httpDuration, relayLag }
}
