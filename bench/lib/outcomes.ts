import autocannon, { type RequestSpec } from 'autocannon'
import { percentile } from './load.js'

/** Latency figures of a set of responses, in ms measured with the high-resolution clock. */
export interface LatencySummary {
  count: number
  p50: number
  p90: number
  p99: number
  max: number
  mean: number
}

export function summariseLatency(samples: number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort()
  let sum = 0
  for (const v of sorted) sum += v
  const list = sorted as unknown as number[]
  return {
    count: sorted.length,
    p50: percentile(list, 50),
    p90: percentile(list, 90),
    p99: percentile(list, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  }
}

export interface OutcomeLoadOptions {
  url: string
  connections: number
  /** Exactly this many requests (wins over `duration`). */
  amount?: number
  /** Seconds. */
  duration?: number
  /** Requests per second across all connections; unset: as fast as the server answers. */
  overallRate?: number
  method?: string
  path?: string
  headers?: Record<string, string>
  body?: string
  /** Builds every request (autocannon's setupRequest): a different user, key or path each time. */
  next?: (request: RequestSpec) => RequestSpec
  /** Names a response's outcome, e.g. `201` or `409 sold_out`; by default its status code. */
  classify?: (status: number, body: string) => string
  /** Sees every response as it arrives, with the ms elapsed since the run began. */
  onOutcome?: (outcome: string, elapsedMs: number) => void
}

export interface OutcomeLoadResult {
  seconds: number
  requests: number
  /** Responses per second over the whole run. */
  rate: number
  all: LatencySummary
  /** Latency per outcome. */
  outcomes: Record<string, LatencySummary>
  statusCodes: Record<string, number>
  errors: number
  timeouts: number
  /** Raw latencies per outcome (not written to results). */
  samples: Record<string, number[]>
}

const CODE = /"code"\s*:\s*"([^"]+)"/

/** `201`, or for a problem answer its status and code: `409 sold_out`. */
export function statusAndCode(status: number, body: string): string {
  if (status < 400) return String(status)
  const code = CODE.exec(body)?.[1]
  return code ? `${status} ${code}` : String(status)
}

/**
 * Closed-loop (or, with `overallRate`, paced) load with autocannon that keeps every response's latency,
 * to the microsecond, under the outcome `classify` names, so winners and losers of a sale (or any
 * other split) get their own percentiles.
 */
export async function outcomeLoad(options: OutcomeLoadOptions): Promise<OutcomeLoadResult> {
  const classify = options.classify ?? ((status: number) => String(status))
  const samples: Record<string, number[]> = {}
  const all: number[] = []
  const statusCodes: Record<string, number> = {}
  let lastOutcome = ''
  const request: RequestSpec = {
    method: options.method ?? 'GET',
    path: options.path ?? '/',
    headers: options.headers,
    body: options.body,
    onResponse: (status, body) => {
      lastOutcome = classify(status, body)
    },
  }
  if (options.next) {
    const next = options.next
    request.setupRequest = (spec) => next(spec)
  }
  const started = performance.now()
  let finished = started
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: 1,
    timeout: 30,
    ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? 10 }),
    ...(options.overallRate ? { overallRate: Math.max(1, Math.round(options.overallRate)) } : {}),
    requests: [request],
  })
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    finished = performance.now()
    const outcome = lastOutcome || String(status)
    lastOutcome = ''
    statusCodes[status] = (statusCodes[status] ?? 0) + 1
    let list = samples[outcome]
    if (!list) {
      list = []
      samples[outcome] = list
    }
    list.push(ms)
    all.push(ms)
    options.onOutcome?.(outcome, finished - started)
  })
  const result = await instance
  const seconds = (finished - started) / 1000
  return {
    seconds,
    requests: all.length,
    rate: all.length / seconds,
    all: summariseLatency(all),
    outcomes: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summariseLatency(v)])),
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
    samples,
  }
}

/** Latency of the responses whose outcome matches. */
export function latencyOf(result: OutcomeLoadResult, match: (outcome: string) => boolean): LatencySummary {
  return summariseLatency(
    Object.entries(result.samples)
      .filter(([outcome]) => match(outcome))
      .flatMap(([, list]) => list),
  )
}

/** The result without its raw samples, for JSON. */
export function withoutSamples(result: OutcomeLoadResult): Omit<OutcomeLoadResult, 'samples'> {
  const { samples: _samples, ...rest } = result
  return rest
}
