import autocannon, { type RequestSpec, type Result } from 'autocannon'
import { Pool } from 'undici'

export interface LoadResult {
  /** Wall time of the run, in seconds. */
  seconds: number
  requests: number
  /** Responses per second over the whole run. */
  rate: number
  /** Latency in ms (autocannon's histogram, whole-ms resolution). */
  latency: { p50: number; p90: number; p99: number; max: number; mean: number }
  statusCodes: Record<string, number>
  errors: number
  timeouts: number
}

export interface LoadOptions {
  url: string
  connections: number
  /** Seconds; ignored when `amount` is set. */
  duration?: number
  amount?: number
  method?: string
  path?: string
  headers?: Record<string, string>
  body?: string
  /** Called for every request; return the request to send (e.g. a different token each time). */
  setupRequest?: (request: RequestSpec) => RequestSpec | undefined
  /** Stops the run early when it returns true (checked on every response). */
  stopWhen?: () => boolean
}

function summarise(result: Result): LoadResult {
  const statusCodes: Record<string, number> = {}
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = count
  const responses = Object.values(statusCodes).reduce((a, b) => a + b, 0)
  const seconds = (result.finish.getTime() - result.start.getTime()) / 1000
  return {
    seconds,
    requests: responses,
    rate: responses / seconds,
    latency: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.mean,
    },
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
  }
}

/** Closed-loop load with autocannon: `connections` keep-alive connections, one request in flight each. */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const request: RequestSpec = {
    method: options.method ?? 'GET',
    path: options.path ?? '/',
    headers: options.headers,
    body: options.body,
  }
  if (options.setupRequest) request.setupRequest = options.setupRequest
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: 1,
    timeout: 30,
    ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? 10 }),
    requests: [request],
  })
  if (options.stopWhen) {
    const stopWhen = options.stopWhen
    let stopped = false
    instance.on('response', () => {
      if (!stopped && stopWhen()) {
        stopped = true
        instance.stop()
      }
    })
  }
  return summarise(await instance)
}

export interface LatencyResult {
  requests: number
  /** Milliseconds, measured with the high-resolution clock. */
  p50: number
  p90: number
  p99: number
  max: number
  mean: number
  statusCodes: Record<string, number>
}

/** Percentile of an ascending list (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

/**
 * Latency of one request at a time over a kept-alive connection: what a single client sees when the
 * server is not queueing, measured to the microsecond.
 */
export async function sequentialLatency(options: {
  url: string
  path: string
  requests: number
  warmup?: number
  headers?: Record<string, string>
}): Promise<LatencyResult> {
  const pool = new Pool(options.url, { connections: 1, pipelining: 1 })
  const times: number[] = []
  const statusCodes: Record<string, number> = {}
  try {
    const total = (options.warmup ?? 0) + options.requests
    for (let i = 0; i < total; i++) {
      const started = performance.now()
      const response = await pool.request({ method: 'GET', path: options.path, headers: options.headers })
      await response.body.arrayBuffer()
      const elapsed = performance.now() - started
      if (i < (options.warmup ?? 0)) continue
      times.push(elapsed)
      statusCodes[response.statusCode] = (statusCodes[response.statusCode] ?? 0) + 1
    }
  } finally {
    await pool.close()
  }
  times.sort((a, b) => a - b)
  return {
    requests: times.length,
    p50: percentile(times, 50),
    p90: percentile(times, 90),
    p99: percentile(times, 99),
    max: times[times.length - 1] ?? Number.NaN,
    mean: times.reduce((a, b) => a + b, 0) / times.length,
    statusCodes,
  }
}
