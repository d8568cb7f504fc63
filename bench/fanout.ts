// Fan-out benchmark: a creator with many followers online starts a drop, then sells it out.
//
//   npm run bench:fanout -- [--clients N] [--phase 1|2|both] [--units N] [--trials N] [--per-generator N]
//                           [--stock-subscribers N] [--lead-ms MS] [--idle-ms MS] [--quiet-wait S]
//
// Each phase runs the distributed deployment as separate processes (bench/lib/cluster.ts) on fresh
// engines: a scratch PostgreSQL database, a random Redis key prefix and a unique NATS JetStream stream
// (deleted afterwards), one `api` process, one `worker` (the drop scheduler and the outbox relay) and
// the gateways: phase 1 one `realtime` process with --clients sockets, phase 2 two of them with
// --clients sockets each, fed through NATS. Followers of one creator are seeded by SQL (users sharing
// one password hash, follow edges, the follower count) and their access tokens signed with the app's
// secret.
//
// The clients are `ws` sockets in load-generator processes (bench/lib/ws-clients-child.ts, at most
// --per-generator sockets each, since the open-file limit is per process), bound to source addresses
// 127.0.0.x. Every client opens /ws?access_token=... and waits for its `user` snapshot. Then:
//   - idle memory: the gateway's VmRSS after a warm-up, before the clients connect, and once they are all
//     connected and idle for --idle-ms; (after - before) / clients;
//   - the baseline's sockets: a bare `ws` server per gateway (bench/lib/ws-broadcast-child.ts) accepts
//     the same clients from the same generators and addresses, and they stay idle beside the app's;
//   - drop.started, --trials times: the creator makes a drop through the API starting --lead-ms later;
//     every client notes when drop.started reaches it (Date.now(); one clock for every process), latency
//     = receipt - the drop's start_time. Right after each, every bare server sends the very bytes of
//     that frame to its clients at a time T, latency = receipt - T. Alternating the two keeps them under
//     the same load on a shared machine; the percentiles pool all trials;
//   - stock: every client (or the first --stock-subscribers of them) subscribes to drop:<id> of the last
//     drop while a separate load process (bench/lib/orders-child.ts) sells its --units units out, one
//     order per user (per_user_limit 1, each with its own Idempotency-Key, 20% more buyers than units);
//     each client counts the stock.changed it receives in every calendar second.
//
// Targets (from the issue): 100% delivered; p99 <= 500 ms and <= 1.5x the bare ws p99; <= 4 stock
// messages per client per second; gateway RSS per idle connection <= 20 KB. Results are printed and
// written to bench/results/fanout.json. LIVEDROP_BENCH_NODE_ARGS is passed to the gateways' node
// (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").

import { readFileSync } from 'node:fs'
import { accessTokens } from '../src/modules/auth/tokens.js'
import { type Child, startChild } from './lib/child.js'
import { parseFlags, positiveInt } from './lib/cli.js'
import { type Cluster, clusterUnavailable, startCluster } from './lib/cluster.js'
import { type CpuUse, cpuMeter, machineBusyCores, quietPhases } from './lib/cpu.js'
import type { LoadResult } from './lib/load.js'
import { percentile } from './lib/load.js'
import { backgroundCores, verdict } from './lib/printout.js'
import { fmt, machine, progress, type Target, table, targetsTable, writeResult } from './lib/report.js'
import { call, createCreator, createProduct, md5Uuid, signTokens } from './lib/shop.js'

const TARGETS = { deliveredPct: 100, p99Ms: 500, p99Ratio: 1.5, stockPerSecond: 4, rssPerConnectionKb: 20 }
const PER_USER_LIMIT = 1

const flags = parseFlags(
  {
    clients: { type: 'string', default: '10000' },
    phase: { type: 'string', default: 'both' },
    units: { type: 'string' },
    'per-generator': { type: 'string', default: '5000' },
    'stock-subscribers': { type: 'string' },
    'lead-ms': { type: 'string', default: '2000' },
    trials: { type: 'string', default: '3' },
    'idle-ms': { type: 'string', default: '3000' },
    'connect-concurrency': { type: 'string', default: '64' },
    'order-connections': { type: 'string', default: '64' },
    addresses: { type: 'string', default: '4' },
    'quiet-wait': { type: 'string', default: '5' },
    help: { type: 'boolean', short: 'h' },
  },
  'Usage: npm run bench:fanout -- [--clients N per gateway, default 10000] [--phase 1|2|both]\n' +
    '         [--units N, default min(10000, --clients)] [--per-generator N, default 5000] [--stock-subscribers N]\n' +
    '         [--trials N, default 3] [--lead-ms MS] [--idle-ms MS] [--connect-concurrency N]\n' +
    '         [--order-connections N] [--addresses N source addresses per generator] [--quiet-wait S]\n' +
    'Engines: LIVEDROP_BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres),\n' +
    'LIVEDROP_BENCH_REDIS_URL (redis://127.0.0.1:6379), LIVEDROP_BENCH_NATS_URL (nats://127.0.0.1:4222);\n' +
    'a scratch database, Redis key prefix and JetStream stream are made per phase and removed afterwards.\n' +
    'Smoke run (under a minute): npm run bench:fanout -- --clients 500 --phase 1',
)

const options = {
  clients: positiveInt('clients', flags.clients),
  /** 10,000 at full scale; a smaller run sells as many units as a gateway has clients. */
  units: flags.units === undefined ? undefined : positiveInt('units', flags.units),
  perGenerator: positiveInt('per-generator', flags['per-generator']),
  stockSubscribers:
    flags['stock-subscribers'] === undefined
      ? undefined
      : positiveInt('stock-subscribers', flags['stock-subscribers']),
  leadMs: positiveInt('lead-ms', flags['lead-ms']),
  /** drop.started measurements per phase, each followed by a bare ws one; percentiles pool them all. */
  trials: positiveInt('trials', flags.trials),
  idleMs: positiveInt('idle-ms', flags['idle-ms']),
  connectConcurrency: positiveInt('connect-concurrency', flags['connect-concurrency']),
  orderConnections: positiveInt('order-connections', flags['order-connections']),
  addresses: positiveInt('addresses', flags.addresses),
  quietWait: Number(flags['quiet-wait']),
}
if (!['1', '2', 'both'].includes(flags.phase ?? '')) throw new Error('--phase must be 1, 2 or both')
const phases = flags.phase === 'both' ? [1, 2] : [Number(flags.phase)]
if (options.perGenerator > 9_000) throw new Error('--per-generator must stay well under the open-file limit')

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Every child process this run started, so they are all stopped whatever happens. */
const running = new Set<{ stop(): Promise<void> }>()
async function stopAll() {
  const all = [...running]
  running.clear()
  await Promise.all(all.map((c) => c.stop().catch((error) => progress(`  stopping failed: ${error}`))))
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping every child process`)
    stopAll().finally(() => process.exit(130))
  })
}

async function child(entry: string, env: Record<string, string> = {}): Promise<Child> {
  const started = await startChild(entry, env)
  running.add(started)
  return started
}

function rssKb(pid: number | undefined): number {
  if (!pid) return Number.NaN
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1])
  } catch {
    return Number.NaN
  }
}

interface Latency {
  clients: number
  delivered: number
  deliveredPct: number
  /** The first client's latency: where the fan-out began. */
  min: number
  p50: number
  p90: number
  p99: number
  max: number
  mean: number
}

/** Latencies of every client; -1 marks a client that never got the message. */
function latencySummary(samples: number[]): Latency {
  const got = Float64Array.from(samples.filter((v) => v >= 0)).sort()
  const list = got as unknown as number[]
  let sum = 0
  for (const v of got) sum += v
  return {
    clients: samples.length,
    delivered: got.length,
    deliveredPct: samples.length ? (100 * got.length) / samples.length : Number.NaN,
    min: got.length ? got[0]! : Number.NaN,
    p50: percentile(list, 50),
    p90: percentile(list, 90),
    p99: percentile(list, 99),
    max: got.length ? got[got.length - 1]! : Number.NaN,
    mean: got.length ? sum / got.length : Number.NaN,
  }
}

interface GeneratorStatus {
  clients: number
  ready: number
  open: number
  started: number
  dropSnapshots: number
  soldOut: number
  messages: number
  failures: number
  errors: Record<string, number>
}

/** The app's sockets, and the same clients' sockets on the bare ws servers. */
type Group = 'app' | 'bare'

/** The load generators of one phase: generator i belongs to gateway `gatewayOf[i]`. */
class Generators {
  constructor(
    readonly children: Child[],
    readonly gatewayOf: number[],
    /** The tokens (users) each generator connects with. */
    readonly tokens: string[][],
    readonly addresses: string[][],
  ) {}

  static async start(gateways: number, perGateway: number, tokens: string[]): Promise<Generators> {
    const generatorsPerGateway = Math.ceil(perGateway / options.perGenerator)
    const children: Child[] = []
    const gatewayOf: number[] = []
    const slices: string[][] = []
    const addresses: string[][] = []
    for (let g = 0; g < gateways; g++) {
      for (let k = 0; k < generatorsPerGateway; k++) {
        const lo = g * perGateway + Math.floor((k * perGateway) / generatorsPerGateway)
        const hi = g * perGateway + Math.floor(((k + 1) * perGateway) / generatorsPerGateway)
        const index = children.length
        gatewayOf.push(g)
        slices.push(tokens.slice(lo, hi))
        addresses.push(
          Array.from(
            { length: options.addresses },
            (_, a) => `127.0.0.${10 + index * options.addresses + a}`,
          ),
        )
        children.push(await child('./ws-clients-child.ts'))
      }
    }
    progress(
      `  ${children.length} load generators (${slices.map((s) => s.length).join(' + ')} sockets; ` +
        `sources ${addresses[0]![0]}..${addresses.at(-1)!.at(-1)})`,
    )
    return new Generators(children, gatewayOf, slices, addresses)
  }

  pids() {
    return Object.fromEntries(this.children.map((c, i) => [`generator_${i}`, c.process.pid]))
  }

  async status(group: Group = 'app'): Promise<GeneratorStatus> {
    const all = await Promise.all(
      this.children.map((c) => c.call<GeneratorStatus>({ type: 'status', group })),
    )
    const sum = (key: keyof GeneratorStatus) => all.reduce((a, s) => a + (s[key] as number), 0)
    const errors: Record<string, number> = {}
    for (const s of all) for (const [k, v] of Object.entries(s.errors)) errors[k] = (errors[k] ?? 0) + v
    return {
      clients: sum('clients'),
      ready: sum('ready'),
      open: sum('open'),
      started: sum('started'),
      dropSnapshots: sum('dropSnapshots'),
      soldOut: sum('soldOut'),
      messages: sum('messages'),
      failures: sum('failures'),
      errors,
    }
  }

  /** Connects every generator's clients (of `group`) to `urlOf(gateway, token)`, printing progress. */
  async connect(
    label: string,
    group: Group,
    urlOf: (gateway: number, token: string) => string,
    limit?: number,
  ) {
    const started = performance.now()
    const total = this.tokens.reduce((a, t) => a + Math.min(t.length, limit ?? t.length), 0)
    let done = false
    const ticker = (async () => {
      while (!done) {
        await sleep(2000)
        if (done) break
        const s = await this.status(group)
        progress(
          `  ${label}: ${fmt.int(s.ready)} / ${fmt.int(total)} ready` +
            `${s.failures ? `, ${s.failures} failed ${JSON.stringify(s.errors)}` : ''}`,
        )
      }
    })()
    try {
      const results = await Promise.all(
        this.children.map((c, i) =>
          c.call<{ opened: number; failed: number }>({
            type: 'connect',
            group,
            urls: this.tokens[i]!.slice(0, limit).map((token) => urlOf(this.gatewayOf[i]!, token)),
            localAddresses: this.addresses[i],
            concurrency: options.connectConcurrency,
            timeoutMs: 60_000,
          }),
        ),
      )
      const opened = results.reduce((a, r) => a + r.opened, 0)
      const seconds = (performance.now() - started) / 1000
      progress(`  ${label}: ${fmt.int(opened)} / ${fmt.int(total)} ready in ${fmt.seconds(seconds)}`)
      return { opened, failed: total - opened, seconds, rate: opened / seconds }
    } finally {
      done = true
      await ticker
    }
  }

  /** Waits until `count(status)` reaches `want` or `timeoutMs` passes; returns the last status. */
  async waitFor(
    group: Group,
    count: (s: GeneratorStatus) => number,
    want: number,
    timeoutMs: number,
    label?: string,
  ) {
    const deadline = Date.now() + timeoutMs
    let lastPrint = Date.now()
    let s = await this.status(group)
    while (count(s) < want && Date.now() < deadline) {
      await sleep(100)
      s = await this.status(group)
      if (label && Date.now() - lastPrint > 2000) {
        lastPrint = Date.now()
        progress(`  ${label}: ${fmt.int(count(s))} / ${fmt.int(want)}`)
      }
    }
    return s
  }

  /** Every client's latency, relative to `fromOf(gateway)`. */
  async latencies(group: Group, fromOf: (gateway: number) => number): Promise<number[]> {
    const lists = await Promise.all(
      this.children.map((c, i) =>
        c.call<number[]>({ type: 'latencies', group, from: fromOf(this.gatewayOf[i]!) }),
      ),
    )
    return lists.flat()
  }

  /** Ready clients per gateway (or per bare server). */
  async readyPerGateway(gateways: number, group: Group): Promise<number[]> {
    const all = await Promise.all(
      this.children.map((c) => c.call<GeneratorStatus>({ type: 'status', group })),
    )
    return Array.from({ length: gateways }, (_, g) =>
      all.filter((_, i) => this.gatewayOf[i] === g).reduce((a, s) => a + s.ready, 0),
    )
  }

  async each(request: Record<string, unknown>) {
    return Promise.all(this.children.map((c) => c.call<unknown>(request)))
  }

  async stop() {
    await Promise.all(
      this.children.map((c) => {
        running.delete(c)
        return c.stop()
      }),
    )
  }
}

interface Trial {
  drop_id: string
  app: Latency
  bare: Latency
  ratio_p99: number
  event_written_after_start_ms: number
  bare_loop_ms: number[]
  cpu: { app: CpuUse; bare: CpuUse }
}

interface StockFigures {
  total: number[]
  perSecond: number[]
  sliding: number[]
  minGapMs: number | null
  secondsOverFour: number
  shortGaps: number
  gaps: number
}

async function seed(cluster: Cluster, users: number) {
  const started = performance.now()
  const url = cluster.api.url
  const creator = await createCreator(url, 'Fan-out Creator')
  const product = await createProduct(url, creator, { name: 'Fan-out Sneaker', base_price: 12000 })
  const tag = `fo${Date.now().toString(36)}_`
  const batch = 10_000
  for (let lo = 1; lo <= users; lo += batch) {
    const hi = Math.min(users, lo + batch - 1)
    await cluster.sql(`
      INSERT INTO users (user_id, email, username, password_hash)
      SELECT md5('${tag}' || i)::uuid, '${tag}' || i || '@bench.invalid', '${tag}' || i,
             (SELECT password_hash FROM users WHERE user_id = '${creator.userId}')
      FROM generate_series(${lo}, ${hi}) AS i`)
    await cluster.sql(`
      INSERT INTO follows (creator_id, user_id, created_at)
      SELECT '${creator.creatorId}', md5('${tag}' || i)::uuid, now() - i * interval '1 millisecond'
      FROM generate_series(${lo}, ${hi}) AS i`)
    progress(`  seeding followers: ${fmt.int(hi)} / ${fmt.int(users)} users and follow edges`)
  }
  await cluster.sql(`
    INSERT INTO follower_counts (creator_id, follower_count) VALUES ('${creator.creatorId}', ${users})
    ON CONFLICT (creator_id) DO UPDATE SET follower_count = EXCLUDED.follower_count, updated_at = now()`)
  await cluster.sql('VACUUM ANALYZE users')
  await cluster.sql('VACUUM ANALYZE follows')
  const [check] = await cluster.sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM follows WHERE creator_id = '${creator.creatorId}'`,
  )
  if (Number(check?.n) !== users) throw new Error(`seeded ${check?.n} follow edges, wanted ${users}`)
  const userIds = Array.from({ length: users }, (_, i) => md5Uuid(`${tag}${i + 1}`))
  progress(`  seeded ${fmt.int(users)} followers in ${fmt.seconds((performance.now() - started) / 1000)}`)
  return { creator, product, userIds }
}

async function runPhase(phase: number) {
  const gateways = phase
  const perGateway = options.clients
  const clients = gateways * perGateway
  const units = options.units ?? Math.min(10_000, perGateway)
  const attempts = Math.ceil(units * 1.2)
  const users = Math.max(clients, attempts)
  progress(
    `=== phase ${phase}: ${fmt.int(clients)} clients on ${gateways} gateway process${gateways > 1 ? 'es' : ''}, ` +
      `${fmt.int(units)}-unit sell-out`,
  )
  const cluster = await startCluster({
    gateways,
    env: {
      WS_MAX_CONNECTIONS_PER_IP: '1000000',
      WS_HEARTBEAT_MS: '3600000',
    },
    // LIVEDROP_BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the gateways.
    gatewayNodeArgs: process.env.LIVEDROP_BENCH_NODE_ARGS?.split(' ').filter(Boolean),
  })
  const clusterEntry = { stop: cluster.cleanup }
  running.add(clusterEntry)
  let generators: Generators | undefined
  const bareServers: Child[] = []
  try {
    const { creator, product, userIds } = await seed(cluster, users)
    const signStarted = performance.now()
    const tokens = await signTokens(cluster.jwtSecret, userIds)
    progress(
      `  ${fmt.int(tokens.length)} access tokens signed in ${fmt.seconds((performance.now() - signStarted) / 1000)}`,
    )
    const wsUrl = (gateway: number, token: string) =>
      `${cluster.gateways[gateway]!.url.replace(/^http/, 'ws')}/ws?access_token=${token}`
    generators = await Generators.start(gateways, perGateway, tokens.slice(0, clients))
    const gens = generators
    const { background, quiet } = quietPhases(options.quietWait, { note: false })

    // Idle memory: a few sockets through every gateway first (then closed), so start-up allocations
    // are behind the "before" figure.
    await gens.connect('warm-up', 'app', wsUrl, Math.min(200, options.perGenerator))
    await gens.each({ type: 'close', group: 'app' })
    await sleep(1500)
    await quiet('connect')
    const rssBefore = cluster.gateways.map((g) => rssKb(g.process.pid))
    const connected = await gens.connect('connecting', 'app', wsUrl)
    await sleep(options.idleMs)
    const rssAfter = cluster.gateways.map((g) => rssKb(g.process.pid))
    const openOn = await gens.readyPerGateway(gateways, 'app')
    const rssPerConnection = cluster.gateways.map((_, g) => (rssAfter[g]! - rssBefore[g]!) / openOn[g]!)
    const idle = await gens.status('app')
    progress(
      `  idle: ${fmt.int(idle.open)} sockets open; gateway RSS ${rssBefore.map((b, g) => `${fmt.int(b / 1024)} -> ${fmt.int(rssAfter[g]! / 1024)} MB`).join(', ')}` +
        ` = ${rssPerConnection.map((r) => r.toFixed(1)).join(', ')} KB per connection`,
    )

    // The same clients on bare ws servers (one per gateway), connected now and left idle, so the
    // baseline broadcasts run right after the app's, on the same machine in the same state.
    for (let g = 0; g < gateways; g++) bareServers.push(await child('./ws-broadcast-child.ts'))
    await sleep(1000)
    const bareRssBefore = bareServers.map((b) => rssKb(b.process.pid))
    const bareConnected = await gens.connect('bare ws: connecting', 'bare', (g) => bareServers[g]!.url)
    await sleep(options.idleMs)
    const bareRssAfter = bareServers.map((b) => rssKb(b.process.pid))
    const bareOn = await gens.readyPerGateway(gateways, 'bare')
    const bareRssPerConnection = bareServers.map(
      (_, g) => (bareRssAfter[g]! - bareRssBefore[g]!) / bareOn[g]!,
    )

    // drop.started, --trials times, each followed by the baseline: a drop starts --lead-ms after it is
    // made, every client idle; then each bare server sends the very bytes of that frame to its clients
    // at a time T. Alternating keeps both measured under the same (shared, busy) machine.
    const signer = accessTokens(cluster.jwtSecret)
    const appPids = {
      ...Object.fromEntries(cluster.gateways.map((g, i) => [`gateway_${i}`, g.process.pid])),
      api: cluster.api.process.pid,
      worker: cluster.worker.process.pid,
    }
    const barePids = Object.fromEntries(bareServers.map((b, i) => [`bare_${i}`, b.process.pid]))
    const bareIdle = await gens.status('bare')
    const trials: Trial[] = []
    const appSamples: number[] = []
    const bareSamples: number[] = []
    let drop: { drop_id: string; start_time: string; status: string } | undefined
    let frame = ''
    for (let trial = 1; trial <= options.trials; trial++) {
      await gens.each({ type: 'reset', group: 'app' })
      background[`drop_${trial}`] = await machineBusyCores(1000)
      const creatorToken = await signer.sign({ userId: creator.userId, roles: ['shopper', 'creator'] })
      const startAt = Date.now() + options.leadMs
      drop = await call<{ drop_id: string; start_time: string; status: string }>(
        cluster.api.url,
        'POST',
        '/api/v1/drops',
        {
          token: creatorToken,
          body: {
            name: `Fan-out drop ${trial}`,
            start_time: new Date(startAt).toISOString(),
            end_time: new Date(startAt + 3_600_000).toISOString(),
            per_user_limit: PER_USER_LIMIT,
            low_stock_threshold: 10,
            items: [{ product_id: product.product_id, drop_price: 9900, initial_stock: units }],
          },
        },
      )
      const startTime = Date.parse(drop.start_time)
      await sleep(Math.max(0, startTime - Date.now() - 500))
      const appMeter = cpuMeter({ ...appPids, ...gens.pids() })
      await gens.waitFor('app', (s) => s.started, idle.ready, 15_000 + options.leadMs)
      const appCpu = appMeter()
      const samples = await gens.latencies('app', () => startTime)
      appSamples.push(...samples)
      const app = latencySummary(samples)
      const frames = await gens.each({ type: 'frame' })
      frame = (frames.find((f) => typeof f === 'string') as string | undefined) ?? ''
      if (!frame) throw new Error('no client received drop.started')
      const written = Date.parse((JSON.parse(frame) as { at: string }).at) - startTime

      await gens.each({ type: 'reset', group: 'bare' })
      await sleep(1000)
      const at = Date.now() + 500
      const bareMeter = cpuMeter({ ...barePids, ...gens.pids() })
      const broadcasts = await Promise.all(
        bareServers.map((b) =>
          b.call<{ started: number; sent: number; loopMs: number }>({
            type: 'broadcast',
            payload: frame,
            at,
          }),
        ),
      )
      await gens.waitFor('bare', (s) => s.started, bareIdle.ready, 15_000)
      const bareCpu = bareMeter()
      const bareTrial = await gens.latencies('bare', (g) => broadcasts[g]!.started)
      bareSamples.push(...bareTrial)
      const bare = latencySummary(bareTrial)
      trials.push({
        drop_id: drop.drop_id,
        app,
        bare,
        ratio_p99: app.p99 / bare.p99,
        event_written_after_start_ms: written,
        bare_loop_ms: broadcasts.map((b) => b.loopMs),
        cpu: { app: appCpu, bare: bareCpu },
      })
      progress(
        `  trial ${trial}: drop.started ${fmt.int(app.delivered)} / ${fmt.int(idle.ready)}, p50 ${fmt.ms(app.p50)}, ` +
          `p99 ${fmt.ms(app.p99)} (written ${fmt.ms(written)} after start_time, first client ${fmt.ms(app.min)}); ` +
          `bare ws ${fmt.int(bare.delivered)}, p50 ${fmt.ms(bare.p50)}, p99 ${fmt.ms(bare.p99)}; ratio ${fmt.ratio(app.p99 / bare.p99)}`,
      )
    }
    if (!drop) throw new Error('no trial ran')
    const started = latencySummary(appSamples)
    const bare = latencySummary(bareSamples)
    await gens.each({ type: 'close', group: 'bare' })
    for (const b of bareServers.splice(0)) {
      running.delete(b)
      await b.stop()
    }

    // Stock: subscribe to the drop channel, then sell the drop out from a separate load process.
    const subscribers = Math.min(options.stockSubscribers ?? clients, idle.ready)
    const perGenerator = Math.ceil(subscribers / gens.children.length)
    await gens.each({ type: 'subscribe', channel: `drop:${drop.drop_id}`, limit: perGenerator })
    const subscribeStarted = performance.now()
    const subscribed = await gens.waitFor(
      'app',
      (s) => s.dropSnapshots,
      subscribers,
      60_000,
      'drop snapshots',
    )
    const subscribeSeconds = (performance.now() - subscribeStarted) / 1000
    progress(
      `  ${fmt.int(subscribed.dropSnapshots)} clients subscribed to drop:${drop.drop_id} in ${fmt.seconds(subscribeSeconds)}`,
    )
    const orders = await child('./orders-child.ts')
    await gens.each({ type: 'counting', on: true })
    const saleMeter = cpuMeter({ ...appPids, orders: orders.process.pid, ...gens.pids() })
    progress(`  sell-out: ${fmt.int(attempts)} order attempts by ${fmt.int(attempts)} users`)
    const sale = await orders.call<LoadResult & { startedAt: number; finishedAt: number }>({
      type: 'run',
      url: cluster.api.url,
      dropId: drop.drop_id,
      productId: product.product_id,
      tokens: tokens.slice(0, attempts),
      connections: options.orderConnections,
    })
    const saleCpu = saleMeter()
    running.delete(orders)
    await orders.stop()
    const soldOutStatus = await gens.waitFor('app', (s) => s.soldOut, subscribed.dropSnapshots, 15_000)
    // The conflated last figures may trail drop.sold_out by one interval.
    await sleep(1000)
    await gens.each({ type: 'counting', on: false })
    const figures = (await gens.each({ type: 'stock' })) as StockFigures[]
    const soldOutTimes = ((await gens.each({ type: 'soldOut' })) as number[][])
      .flat()
      .filter((t) => t > 0)
      .sort((a, b) => a - b)
    const soldOutAt = soldOutTimes.length ? soldOutTimes[Math.floor(soldOutTimes.length / 2)]! : Number.NaN
    const saleSeconds = (soldOutAt - sale.startedAt) / 1000
    const totals = figures.flatMap((f) => f.total).filter((n) => n > 0)
    const meanCount = totals.reduce((a, b) => a + b, 0) / Math.max(1, totals.length)
    const stock = {
      subscribers: subscribed.dropSnapshots,
      subscribe_seconds: subscribeSeconds,
      clients_with_stock_messages: totals.length,
      sold_out_delivered: soldOutStatus.soldOut,
      sale_seconds: saleSeconds,
      messages_per_client_mean: meanCount,
      per_second_mean: meanCount / saleSeconds,
      per_second_max: Math.max(0, ...figures.flatMap((f) => f.perSecond)),
      per_1000ms_window_max: Math.max(0, ...figures.flatMap((f) => f.sliding)),
      min_gap_ms: Math.min(...figures.map((f) => f.minGapMs ?? Number.POSITIVE_INFINITY)),
      client_seconds_over_4: figures.reduce((a, f) => a + f.secondsOverFour, 0),
      clients_over_4: figures.reduce((a, f) => a + f.perSecond.filter((n) => n > 4).length, 0),
      gaps_under_200ms: figures.reduce((a, f) => a + f.shortGaps, 0),
      gaps: figures.reduce((a, f) => a + f.gaps, 0),
      orders: {
        rate: sale.rate,
        requests: sale.requests,
        seconds: sale.seconds,
        statusCodes: sale.statusCodes,
        errors: sale.errors,
        timeouts: sale.timeouts,
        latency: sale.latency,
      },
      cpu: saleCpu,
    }
    progress(
      `  sell-out: ${fmt.int(sale.rate)} orders/s, ${JSON.stringify(sale.statusCodes)}; sold out after ${fmt.seconds(saleSeconds)}; ` +
        `stock.changed per client per second max ${stock.per_second_max}, mean ${stock.per_second_mean.toFixed(2)}`,
    )

    const ratio = started.p99 / bare.p99
    const targets: Target[] = [
      {
        name: 'drop.started delivered',
        measured: `${started.deliveredPct.toFixed(2)}% (${fmt.int(started.delivered)} / ${fmt.int(started.clients)})`,
        target: `${TARGETS.deliveredPct}%`,
        pass: started.delivered === started.clients && trials.every((t) => t.app.clients === clients),
      },
      {
        name: 'drop.started p99 from start_time',
        measured: fmt.ms(started.p99),
        target: `<= ${TARGETS.p99Ms} ms`,
        pass: started.p99 <= TARGETS.p99Ms,
      },
      {
        name: 'p99 / bare ws p99',
        measured: `${fmt.ms(started.p99)} / ${fmt.ms(bare.p99)} = ${fmt.ratio(ratio)}`,
        target: `<= ${TARGETS.p99Ratio}x`,
        pass: ratio <= TARGETS.p99Ratio,
      },
      {
        name: 'stock.changed per client per second (max)',
        measured: `${stock.per_second_max} (mean ${stock.per_second_mean.toFixed(2)})`,
        target: `<= ${TARGETS.stockPerSecond}`,
        pass: stock.per_second_max <= TARGETS.stockPerSecond && stock.clients_with_stock_messages > 0,
      },
      {
        name: 'gateway RSS per idle connection',
        measured: rssPerConnection.map((r) => `${r.toFixed(1)} KB`).join(', '),
        target: `<= ${TARGETS.rssPerConnectionKb} KB`,
        pass: Math.max(...rssPerConnection) <= TARGETS.rssPerConnectionKb,
      },
    ]
    return {
      phase,
      gateways,
      clients_per_gateway: perGateway,
      units,
      order_attempts: attempts,
      generators: gens.children.length,
      engine: cluster.engine,
      background_cores_before: background,
      connect: { ...connected, clients_ready: idle.ready, errors: idle.errors },
      memory: {
        gateway_rss_before_kb: rssBefore,
        gateway_rss_after_kb: rssAfter,
        connections_per_gateway: openOn,
        rss_per_connection_kb: rssPerConnection,
        bare_ws_rss_before_kb: bareRssBefore,
        bare_ws_rss_after_kb: bareRssAfter,
        bare_ws_connections: bareOn,
        bare_ws_rss_per_connection_kb: bareRssPerConnection,
      },
      drop: { drop_id: drop.drop_id, start_time: drop.start_time, frame_bytes: Buffer.byteLength(frame) },
      drop_started: started,
      bare_ws: { ...bare, connect: bareConnected },
      trials,
      ratio_p99: ratio,
      stock,
      targets,
      pass: targets.every((t) => t.pass),
    }
  } finally {
    for (const b of bareServers) running.delete(b)
    await Promise.all(bareServers.map((b) => b.stop().catch(() => {})))
    await generators?.stop().catch(() => {})
    progress('  stopping the cluster and removing its database, Redis keys and stream')
    running.delete(clusterEntry)
    await cluster.cleanup()
  }
}

type PhaseResult = Awaited<ReturnType<typeof runPhase>>

function latencyRow(name: string, l: Latency) {
  return [
    name,
    `${l.deliveredPct.toFixed(2)}% (${fmt.int(l.delivered)}/${fmt.int(l.clients)})`,
    fmt.ms(l.min),
    fmt.ms(l.p50),
    fmt.ms(l.p90),
    fmt.ms(l.p99),
    fmt.ms(l.max),
    fmt.ms(l.mean),
  ]
}

function print(results: PhaseResult[], file: string) {
  const lines: string[] = ['', `== bench/fanout — ${machineLine()}`]
  for (const r of results) {
    const s = r.drop_started
    const b = r.bare_ws
    lines.push(
      '',
      `-- phase ${r.phase}: ${fmt.int(r.clients_per_gateway * r.gateways)} clients on ${r.gateways} gateway process(es) ` +
        `+ api + worker, ${r.generators} load generators; ${r.engine.engine} (PostgreSQL ${r.engine.server_version}, ` +
        `Redis ${r.engine.redis_version}, NATS ${r.engine.nats_version})`,
      `   other work on the machine before each step, in cores: ${backgroundCores(r.background_cores_before)}`,
      `   clients connected: ${fmt.int(r.connect.clients_ready)} / ${fmt.int(r.clients_per_gateway * r.gateways)} ` +
        `in ${fmt.seconds(r.connect.seconds)} (${fmt.int(r.connect.rate)}/s)`,
      '',
      table([
        ['drop.started', 'delivered', 'min', 'p50', 'p90', 'p99', 'max', 'mean'],
        latencyRow(`LiveDrop, ${r.trials.length} drops pooled (from start_time)`, s),
        latencyRow(`bare ws, ${r.trials.length} broadcasts pooled (from T)`, b),
        ...r.trials.flatMap((t, i) => [
          latencyRow(`  drop ${i + 1}: LiveDrop`, t.app),
          latencyRow(`  drop ${i + 1}: bare ws`, t.bare),
        ]),
      ]),
      `   ratio p99 / bare p99 = ${fmt.ratio(r.ratio_p99)} pooled; per drop ${r.trials.map((t) => fmt.ratio(t.ratio_p99)).join(', ')}; ` +
        `p50 ratio ${fmt.ratio(s.p50 / b.p50)}; frame ${r.drop.frame_bytes} bytes`,
      `   drop.started written ${r.trials.map((t) => fmt.ms(t.event_written_after_start_ms)).join(', ')} after start_time (scheduler); ` +
        `first client after ${r.trials.map((t) => fmt.ms(t.app.min)).join(', ')}; ` +
        `bare send loops ${r.trials.map((t) => t.bare_loop_ms.map((m) => `${m} ms`).join(' + ')).join(', ')}`,
      `   stock.changed per client per second: max ${r.stock.per_second_max} (calendar seconds), ` +
        `max in any 1000 ms ${r.stock.per_1000ms_window_max}, mean ${r.stock.per_second_mean.toFixed(2)} ` +
        `(${r.stock.messages_per_client_mean.toFixed(1)} per client over ${fmt.seconds(r.stock.sale_seconds)}; ` +
        `${fmt.int(r.stock.subscribers)} subscribers; min gap ${r.stock.min_gap_ms} ms)`,
      `   client-seconds with more than 4: ${fmt.int(r.stock.client_seconds_over_4)} (${fmt.int(r.stock.clients_over_4)} clients); ` +
        `gaps under 200 ms between two stock.changed: ${fmt.int(r.stock.gaps_under_200ms)} of ${fmt.int(r.stock.gaps)}`,
      `   sell-out: ${fmt.int(r.stock.orders.rate)} orders/s, ${JSON.stringify(r.stock.orders.statusCodes)}, ` +
        `drop.sold_out delivered to ${fmt.int(r.stock.sold_out_delivered)}`,
      `   RSS per idle connection: gateway ${r.memory.rss_per_connection_kb.map((k) => `${k.toFixed(1)} KB`).join(', ')}; ` +
        `bare ws ${r.memory.bare_ws_rss_per_connection_kb.map((k) => `${k.toFixed(1)} KB`).join(', ')}`,
      ...r.trials.map(
        (t, i) =>
          `   CPU cores, drop ${i + 1}: LiveDrop ${cpuLine(t.cpu.app)}; bare ws ${cpuLine(t.cpu.bare)}`,
      ),
      `   CPU cores busy during the sell-out: ${cpuLine(r.stock.cpu)}`,
      '',
      targetsTable(r.targets),
      `   phase ${r.phase}: ${verdict(r.pass)}`,
    )
  }
  lines.push('', `JSON: ${file}`, '')
  console.log(lines.join('\n'))
}

/** Cores used by gateways / bare servers, generators together, the rest named, and the machine. */
function cpuLine(cpu: { cores: Record<string, number>; machine_cores_busy: number }) {
  const generators = Object.entries(cpu.cores)
    .filter(([k]) => k.startsWith('generator_'))
    .reduce((a, [, v]) => a + v, 0)
  const named = Object.entries(cpu.cores)
    .filter(([k]) => !k.startsWith('generator_') && k !== 'load_generator')
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
  return `${[...named, `generators ${generators.toFixed(2)}`].join(', ')}, machine ${cpu.machine_cores_busy.toFixed(2)}`
}

function machineLine() {
  const m = machine()
  return `${m.cpus} CPUs (${m.cpu_model}), ${m.memory_gb} GB, Node ${m.node}`
}

async function main() {
  const missing = await clusterUnavailable()
  if (missing) throw new Error(missing)
  const results: PhaseResult[] = []
  try {
    for (const phase of phases) results.push(await runPhase(phase))
  } finally {
    await stopAll()
  }
  const file = writeResult('fanout', {
    benchmark: 'fanout',
    at: new Date().toISOString(),
    machine: machine(),
    settings: { ...options, phases },
    targets: TARGETS,
    phases: results,
    pass: results.every((r) => r.pass),
  })
  print(results, file)
  process.exitCode = results.every((r) => r.pass) ? 0 : 1
}

await main()
