import autocannon, { type Client, type RequestSpec } from 'autocannon'
import { type Dispatcher, Pool } from 'undici'
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
  /**
   * The bytes of every request (a different user, key or path each time), a whole HTTP/1.1 request
   * each, written as they are. autocannon's own request builder (setupRequest) costs the load
   * generator ~11 µs of the two shared cores per request; written from a template it is ~1 µs, close
   * to the one prebuilt request the hello-world baseline sends over and over.
   */
  raw?: () => Buffer
  /**
   * With `raw` and `amount`: every connection first sends `GET <open>`, and no request of the run goes
   * out until every connection has had its answer; those answers are not counted, and the run's time
   * starts when the last one arrives. See `connectionsOpenedFirst`.
   */
  open?: string
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
 * Every connection's first request is `GET <path>`, and its next one waits until all `connections`
 * have been answered: the run starts on connections that are open, as a proxy in front of the app
 * (deploy/haproxy.cfg) keeps them. Node (libuv >= 1.45) accepts one new connection per turn of its
 * event loop (nodejs/node#57364), so 256 connections opened as a busy server's stampede begins are
 * accepted over hundreds of its turns, and the requests on the last of them wait that long before
 * they are even read; that measures connection set-up, not the answers.
 */
function connectionsOpenedFirst(url: string, path: string, connections: number, allOpen: () => void) {
  const request = Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: ${new URL(url).host}\r\nConnection: keep-alive\r\n\r\n`,
  )
  const opened = new Set<Client>()
  const waiting: (() => void)[] = []
  return {
    setUp(client: Client) {
      const next = client.getRequestBuffer
      const send = client._doRequest
      let sent = false
      client.getRequestBuffer = function (this: Client) {
        if (sent) return next.call(this)
        sent = true
        return request
      }
      client._doRequest = function (this: Client) {
        if (sent && opened.size < connections) waiting.push(() => send.call(this))
        else send.call(this)
      }
    },
    /** True for a connection's opening answer (not to be counted); the last one releases the run. */
    answered(client: Client): boolean {
      if (opened.has(client)) return false
      opened.add(client)
      if (opened.size === connections) {
        allOpen()
        for (const go of waiting.splice(0)) go()
      }
      return true
    },
  }
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
  const raw = options.raw
  let started = performance.now()
  let finished = started
  const opening =
    raw && options.open && options.amount
      ? connectionsOpenedFirst(options.url, options.open, options.connections, () => {
          started = performance.now()
        })
      : undefined
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: 1,
    timeout: 30,
    ...(options.amount
      ? { amount: options.amount + (opening ? options.connections : 0) }
      : { duration: options.duration ?? 10 }),
    ...(options.overallRate ? { overallRate: Math.max(1, Math.round(options.overallRate)) } : {}),
    ...(raw
      ? {
          setupClient: (client) => {
            client.getRequestBuffer = raw
            opening?.setUp(client)
          },
        }
      : {}),
    requests: [request],
  })
  instance.on('response', (client: Client, status: number, _bytes: number, ms: number) => {
    if (opening?.answered(client)) {
      lastOutcome = ''
      return
    }
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

export interface PacedLoadOptions {
  url: string
  path: string
  /** Requests per second, sent evenly spaced (open loop). */
  rate: number
  /** Seconds. */
  duration: number
  /** Keep-alive connections to spread the requests over. */
  connections: number
  /** Seconds sent at the same pace before the measured ones, not counted: opens the connections. */
  warmup?: number
}

/**
 * Open-loop load at an even pace: request i is sent at start + i / rate, whatever the answers before
 * it, over a pool of keep-alive connections (undici). autocannon's `overallRate` instead gives each
 * connection a quota per second that it spends as fast as it can at the start of every second, so
 * its latencies are those of full speed for part of each second; this is the steady half-load a
 * latency target means. Requests are sent on schedule whether or not earlier ones were answered
 * (waiting in the pool when every connection is busy counts as latency); timers tick every
 * millisecond, so requests due within the same millisecond leave together.
 */
export async function pacedLoad(options: PacedLoadOptions): Promise<OutcomeLoadResult> {
  const pool = new Pool(options.url, { connections: options.connections, pipelining: 1 })
  const samples: number[] = []
  const statusCodes: Record<string, number> = {}
  let errors = 0
  const warmupCount = Math.round(options.rate * (options.warmup ?? 1))
  const total = warmupCount + Math.max(1, Math.round(options.rate * options.duration))
  const interval = 1000 / options.rate
  const started = performance.now()
  // The measured part starts after the warm-up (a new pool opens its connections as load needs them).
  const measuredFrom = started + warmupCount * interval
  let finished = started
  let answered = 0
  let allAnswered: () => void = () => {}
  const everyAnswer = new Promise<void>((resolve) => {
    allAnswered = resolve
  })
  const settle = () => {
    answered += 1
    if (answered === total) allAnswered()
  }
  // undici's dispatch API with a handler of callbacks, not `request`: no promise and no body stream per
  // response, which takes the load generator from ~0.65 to ~0.4 of a core at 18,000 requests/s on
  // these two shared cores, every bit of it taken from the server under test.
  const send = () => {
    const sentAt = performance.now()
    let status = 0
    const handler: Dispatcher.DispatchHandlers = {
      onConnect: () => {},
      onHeaders: (statusCode) => {
        status = statusCode
        return true
      },
      onData: () => true,
      onComplete: () => {
        if (sentAt >= measuredFrom) {
          finished = performance.now()
          samples.push(finished - sentAt)
          statusCodes[status] = (statusCodes[status] ?? 0) + 1
        }
        settle()
      },
      onError: () => {
        errors += 1
        settle()
      },
    }
    pool.dispatch({ method: 'GET', path: options.path }, handler)
  }
  try {
    let sent = 0
    while (sent < total) {
      const now = performance.now()
      // Send everything that is due; then sleep until the next one (timers are ~1 ms coarse).
      while (sent < total && started + sent * interval <= now) {
        send()
        sent += 1
      }
      // Never spin: a busy-waiting load generator takes the CPU the server under test needs.
      const wait = started + sent * interval - performance.now()
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.floor(wait))))
    }
    await everyAnswer
  } finally {
    await pool.close()
  }
  const seconds = (finished - measuredFrom) / 1000
  return {
    seconds,
    requests: samples.length,
    rate: samples.length / seconds,
    all: summariseLatency(samples),
    outcomes: { all: summariseLatency(samples) },
    statusCodes,
    errors,
    timeouts: 0,
    samples: { all: samples },
  }
}
