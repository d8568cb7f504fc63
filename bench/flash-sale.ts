// Flash-sale benchmark: one drop, 10,000 units, a stampede of order attempts.
//
//   npm run bench:flash-sale -- [--shape postgres|embedded|both] [--units N] [--users N]
//                               [--attempts-per-user N] [--connections C] [--warmup-attempts N]
//                               [--fresh-connections]
//
// For each shape it starts the app (buildApp, as `serve` does) in a child process on fresh engines
// (postgres: a scratch PostgreSQL database and a random Redis key prefix; embedded: PGlite in a temp
// directory), makes a creator, a product and a live drop through the API, inserts the shoppers by SQL
// and signs their access tokens with the app's secret. Then, over HTTP, with C connections (each opened
// with one GET /healthz before the attempts start, as the proxy in front keeps its connections to the
// app open; --fresh-connections opens them with the first attempts instead, see outcomes.ts):
//   - a rehearsal on another drop (warms the JIT and the caches; not measured);
//   - the sale: every user makes --attempts-per-user attempts, each with its own Idempotency-Key, in a
//     shuffled order; per_user_limit is 1, so 20,000 users compete for 10,000 units;
// and, in the same run, the bare node:http hello-world measured with the same load generator and
// connections. Afterwards the database is checked: no unit oversold (confirmed + pending units <=
// initial stock, current_stock >= 0, initial_stock + sum(ledger) = current_stock), no (user, key) twice,
// nobody above the per-user limit, one order per 201 answer.
//
// Targets: PostgreSQL + Redis: attempts/s >= 0.20x hello-world, winners' p99 <= 100 ms; embedded:
// >= 0.05x; both: 0 oversold, 0 duplicates. LIVEDROP_BENCH_PROFILE_DIR=<dir> writes a CPU profile of
// the app during the sale.

import { helloWorldBaseline } from './lib/baseline.js'
import { parseFlags, positive, positiveInt } from './lib/cli.js'
import { type CpuUse, cpuMeter, quietPhases } from './lib/cpu.js'
import type { LoadResult } from './lib/load.js'
import {
  type LatencySummary,
  latencyOf,
  type OutcomeLoadResult,
  outcomeLoad,
  statusAndCode,
  withoutSamples,
} from './lib/outcomes.js'
import { backgroundCores, cpuCell, machineSummary, verdictLines } from './lib/printout.js'
import { fmt, machine, progress, type Target, table, writeResult } from './lib/report.js'
import {
  type AppShape,
  engineTitle,
  profiled,
  runShapes,
  SHAPE_USAGE,
  type ShapeApp,
  startShape,
} from './lib/shape.js'
import {
  type BenchDrop,
  call,
  createCreator,
  createLiveDrop,
  createProduct,
  insertShoppers,
  signTokens,
} from './lib/shop.js'

const TARGETS: Record<AppShape, { ratio: number; winnersP99Ms?: number }> = {
  postgres: { ratio: 0.2, winnersP99Ms: 100 },
  embedded: { ratio: 0.05 },
}
const PER_USER_LIMIT = 1

const flags = parseFlags(
  {
    shape: { type: 'string', default: 'both' },
    units: { type: 'string', default: '10000' },
    users: { type: 'string', default: '20000' },
    'attempts-per-user': { type: 'string', default: '5' },
    connections: { type: 'string', default: '256' },
    'warmup-attempts': { type: 'string', default: '10000' },
    'baseline-duration': { type: 'string', default: '10' },
    'quiet-wait': { type: 'string', default: '60' },
    seed: { type: 'string', default: '20261122' },
    'fresh-connections': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
  'Usage: npm run bench:flash-sale -- [--shape postgres|embedded|both] [--units N] [--users N]\n' +
    '         [--attempts-per-user N] [--connections C] [--warmup-attempts N] [--baseline-duration S]\n' +
    '         [--quiet-wait S] [--seed N] [--fresh-connections]\n' +
    SHAPE_USAGE +
    ' LIVEDROP_BENCH_NODE_ARGS is\n' +
    'passed to the app process; LIVEDROP_BENCH_PROFILE_DIR=<dir> writes a CPU profile of the app\n' +
    'during the sale only.',
)

const options = {
  units: positiveInt('units', flags.units),
  users: positiveInt('users', flags.users),
  attemptsPerUser: positiveInt('attempts-per-user', flags['attempts-per-user']),
  connections: positiveInt('connections', flags.connections),
  warmupAttempts: Math.floor(Number(flags['warmup-attempts'])),
  baselineDuration: positive('baseline-duration', flags['baseline-duration']),
  quietWait: Number(flags['quiet-wait']),
  seed: Math.floor(Number(flags.seed)),
  freshConnections: flags['fresh-connections'] === true,
}
const attempts = options.users * options.attemptsPerUser

/** mulberry32: a small deterministic generator, so every run shuffles the same way. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Every user `perUser` times, shuffled: the order in which attempts are sent. */
function shuffledAttempts(users: number, perUser: number, seed: number): Int32Array {
  const order = new Int32Array(users * perUser)
  for (let i = 0; i < order.length; i++) order[i] = i % users
  const next = random(seed)
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    const t = order[i]!
    order[i] = order[j]!
    order[j] = t
  }
  return order
}

/**
 * The attempts' requests, written out from a template: attempt i goes to user order[i] with that
 * user's next key (`<prefix><n>`), buying one unit. Requests asked for beyond the planned attempts
 * (autocannon may send one ahead per connection) get keys of their own, so no key is ever sent twice.
 */
function attemptRequests(
  url: string,
  drop: BenchDrop & { product_id: string },
  tokens: string[],
  order: Int32Array,
  keyPrefix: string,
) {
  const body = JSON.stringify({
    drop_id: drop.drop_id,
    items: [{ product_id: drop.product_id, quantity: 1 }],
  })
  const head =
    'POST /api/v1/orders HTTP/1.1\r\n' +
    `Host: ${new URL(url).host}\r\n` +
    'Connection: keep-alive\r\n' +
    'content-type: application/json\r\n' +
    `content-length: ${Buffer.byteLength(body)}\r\n` +
    'authorization: Bearer '
  const used = new Int32Array(tokens.length)
  let built = 0
  return {
    next(): Buffer {
      const i = built++
      const user = i < order.length ? order[i]! : i % tokens.length
      const key = i < order.length ? `${keyPrefix}${used[user]!++}` : `${keyPrefix}x${i}`
      return Buffer.from(`${head}${tokens[user]}\r\nidempotency-key: ${key}\r\n\r\n${body}`)
    },
    built: () => built,
  }
}

/**
 * The answer rate while units were left (winners wait for their order to be written, so fewer
 * connections are free to send) and after the sell-out (every attempt is refused by the gate alone).
 */
function ratesAroundSellOut(run: SaleRun) {
  const sellOutS = run.sellOutMs / 1000
  const afterS = run.load.seconds - sellOutS
  return {
    attempts_answered_by_sell_out: run.answeredBySellOut,
    attempts_per_second_while_selling: run.answeredBySellOut / sellOutS,
    attempts_per_second_after_sell_out: (run.load.requests - run.answeredBySellOut) / afterS,
  }
}

interface SaleRun {
  load: OutcomeLoadResult
  cpu: CpuUse
  /** ms from the first attempt to the answer that sold the last unit; Infinity when it never sold out. */
  sellOutMs: number
  /** ms from the first attempt to the first winning answer. */
  firstWinMs: number
  /** Attempts answered by the time the last unit sold (that answer included). */
  answeredBySellOut: number
  built: number
}

async function sale(
  app: ShapeApp,
  drop: BenchDrop & { product_id: string },
  tokens: string[],
  order: Int32Array,
  keyPrefix: string,
): Promise<SaleRun> {
  const requests = attemptRequests(app.app.url, drop, tokens, order, keyPrefix)
  let wins = 0
  let sellOutMs = Number.POSITIVE_INFINITY
  let firstWinMs = Number.POSITIVE_INFINITY
  let answered = 0
  let answeredBySellOut = 0
  const meter = cpuMeter({ server: app.app.process.pid })
  const load = await outcomeLoad({
    url: app.app.url,
    connections: options.connections,
    amount: order.length,
    raw: requests.next,
    ...(options.freshConnections ? {} : { open: '/healthz' }),
    classify: statusAndCode,
    onOutcome: (outcome, elapsedMs) => {
      answered += 1
      if (outcome !== '201') return
      wins += 1
      if (wins === 1) firstWinMs = elapsedMs
      if (wins === drop.total_inventory) {
        sellOutMs = elapsedMs
        answeredBySellOut = answered
      }
    },
  })
  return { load, cpu: meter(), sellOutMs, firstWinMs, answeredBySellOut, built: requests.built() }
}

interface Audit {
  initial_stock: number
  current_stock: number
  min_item_stock: number
  remaining_inventory: number
  held_units: number
  confirmed_orders: number
  pending_orders: number
  all_orders: number
  duplicate_keys: number
  users_over_limit: number
  max_units_per_user: number
  ledger_mismatches: number
  ledger_rows: number
  purchases_units: number
  durable_keys: number
  gate_remaining: number
}

/** Everything the sale must not have broken, read from the database (and the gate) afterwards. */
async function audit(app: ShapeApp, drop: BenchDrop): Promise<Audit> {
  const id = `'${drop.drop_id}'::uuid`
  const [row] = await app.sql<Record<string, number>>(`
    WITH held AS (
      SELECT o.user_id, o.idempotency_key, oi.quantity
      FROM orders o JOIN order_items oi USING (order_id)
      WHERE o.drop_id = ${id} AND o.status IN ('confirmed', 'pending')
    ), per_user AS (SELECT user_id, sum(quantity) AS units FROM held GROUP BY user_id)
    SELECT
      (SELECT sum(initial_stock)::int FROM drop_items WHERE drop_id = ${id}) AS initial_stock,
      (SELECT sum(current_stock)::int FROM drop_items WHERE drop_id = ${id}) AS current_stock,
      (SELECT min(current_stock)::int FROM drop_items WHERE drop_id = ${id}) AS min_item_stock,
      (SELECT remaining_inventory FROM drops WHERE drop_id = ${id}) AS remaining_inventory,
      (SELECT coalesce(sum(quantity), 0)::int FROM held) AS held_units,
      (SELECT count(*)::int FROM orders WHERE drop_id = ${id} AND status = 'confirmed') AS confirmed_orders,
      (SELECT count(*)::int FROM orders WHERE drop_id = ${id} AND status = 'pending') AS pending_orders,
      (SELECT count(*)::int FROM orders WHERE drop_id = ${id}) AS all_orders,
      (SELECT count(*)::int FROM (
        SELECT 1 FROM orders WHERE drop_id = ${id} GROUP BY user_id, idempotency_key HAVING count(*) > 1) d
      ) AS duplicate_keys,
      (SELECT count(*)::int FROM per_user
        WHERE units > (SELECT per_user_limit FROM drops WHERE drop_id = ${id})) AS users_over_limit,
      (SELECT coalesce(max(units), 0)::int FROM per_user) AS max_units_per_user,
      (SELECT count(*)::int FROM drop_items di
        WHERE di.drop_id = ${id} AND di.initial_stock + coalesce((
          SELECT sum(change) FROM inventory_ledger l
          WHERE l.drop_id = di.drop_id AND l.variant_id = di.variant_id), 0) <> di.current_stock
      ) AS ledger_mismatches,
      (SELECT count(*)::int FROM inventory_ledger WHERE drop_id = ${id}) AS ledger_rows,
      (SELECT coalesce(sum(quantity), 0)::int FROM drop_purchases WHERE drop_id = ${id}) AS purchases_units,
      (SELECT count(*)::int FROM idempotency_keys k JOIN orders o
        ON o.user_id = k.user_id AND o.idempotency_key = k.key WHERE o.drop_id = ${id}) AS durable_keys`)
  const inventory = await call<{ remaining_inventory: number }>(
    app.app.url,
    'GET',
    `/api/v1/drops/${drop.drop_id}/inventory`,
  )
  const numbers = Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, Number(v)]))
  return { ...(numbers as unknown as Audit), gate_remaining: inventory.remaining_inventory }
}

async function runShape(shape: AppShape) {
  progress(
    `=== flash sale, ${shape}: ${fmt.int(options.units)} units, ${fmt.int(attempts)} attempts from ` +
      `${fmt.int(options.users)} users, ${options.connections} connections`,
  )
  const app = await startShape(shape)
  try {
    const url = app.app.url
    const creator = await createCreator(url, 'Flash Creator')
    const product = await createProduct(url, creator, { name: 'Flash Sneaker', base_price: 12000 })
    const warmProduct = await createProduct(url, creator, { name: 'Rehearsal Sneaker', base_price: 12000 })
    const userIds = await insertShoppers(app, 'fs', options.users, creator.userId)
    const tokenStarted = performance.now()
    const tokens = await signTokens(app.jwtSecret, userIds)
    progress(
      `  ${fmt.int(tokens.length)} access tokens signed in ${fmt.seconds((performance.now() - tokenStarted) / 1000)}`,
    )

    const { background, quiet } = quietPhases(options.quietWait)

    await quiet('hello-world')
    const hello = await helloWorldBaseline({
      connections: options.connections,
      duration: options.baselineDuration,
      warmup: 2,
    })

    let rehearsal: SaleRun | undefined
    if (options.warmupAttempts > 0) {
      const warmUnits = Math.max(1, Math.floor(options.warmupAttempts / 5))
      const warmDrop = await createLiveDrop(url, creator, {
        name: 'Rehearsal drop',
        per_user_limit: PER_USER_LIMIT,
        items: [{ product_id: warmProduct.product_id, drop_price: 9900, initial_stock: warmUnits }],
      })
      progress(
        `  rehearsal: ${fmt.int(options.warmupAttempts)} attempts on another drop (${warmUnits} units)`,
      )
      const warmOrder = shuffledAttempts(options.users, options.attemptsPerUser, options.seed + 1).slice(
        0,
        options.warmupAttempts,
      )
      rehearsal = await sale(app, { ...warmDrop, product_id: warmProduct.product_id }, tokens, warmOrder, 'w')
      progress(`  rehearsal: ${fmt.int(rehearsal.load.rate)} attempts/s`)
    }

    const drop = await createLiveDrop(url, creator, {
      name: 'Flash sale',
      per_user_limit: PER_USER_LIMIT,
      items: [{ product_id: product.product_id, drop_price: 9900, initial_stock: options.units }],
    })
    const order = shuffledAttempts(options.users, options.attemptsPerUser, options.seed)
    await quiet('sale')
    progress(`  the sale: ${fmt.int(attempts)} attempts`)
    const run = await profiled(app, `flash-sale-${shape}`, 'during the sale', () =>
      sale(app, { ...drop, product_id: product.product_id }, tokens, order, 'k'),
    )
    progress(
      `  the sale: ${fmt.int(run.load.rate)} attempts/s; sold out after ${fmt.seconds(run.sellOutMs / 1000)}`,
    )
    // Let the outbox relay and housekeeping settle before reading the figures.
    await new Promise((resolve) => setTimeout(resolve, 500))
    const checks = await audit(app, drop)

    const wins = run.load.statusCodes['201'] ?? 0
    const winners = latencyOf(run.load, (o) => o === '201')
    const rejected = latencyOf(run.load, (o) => o.startsWith('409'))
    const unexpected = Object.entries(run.load.outcomes)
      .filter(([o]) => o !== '201' && !o.startsWith('409 sold_out') && !o.startsWith('409 purchase_limit'))
      .map(([o, l]) => `${o} x${l.count}`)
    const oversold =
      Math.max(0, checks.held_units - checks.initial_stock) + Math.max(0, -checks.min_item_stock)
    const duplicates = checks.duplicate_keys + checks.users_over_limit
    const ratio = run.load.rate / hello.rate
    const target = TARGETS[shape]
    const consistent =
      checks.ledger_mismatches === 0 &&
      checks.current_stock === checks.initial_stock - checks.held_units &&
      checks.remaining_inventory === checks.current_stock &&
      checks.purchases_units === checks.held_units &&
      checks.confirmed_orders === wins &&
      checks.durable_keys === checks.all_orders &&
      checks.gate_remaining === checks.current_stock

    const targets: Target[] = [
      {
        name: 'attempts/s vs hello-world',
        measured: `${fmt.int(run.load.rate)} / ${fmt.int(hello.rate)} = ${fmt.ratio(ratio)}`,
        target: `>= ${target.ratio}x`,
        pass: ratio >= target.ratio,
      },
      ...(target.winnersP99Ms
        ? [
            {
              name: "winners' p99 (201)",
              measured: fmt.ms(winners.p99),
              target: `<= ${target.winnersP99Ms} ms`,
              pass: winners.p99 <= target.winnersP99Ms,
            },
          ]
        : []),
      {
        name: 'oversold units',
        measured: `${oversold} (held ${fmt.int(checks.held_units)} of ${fmt.int(checks.initial_stock)}, min stock ${checks.min_item_stock})`,
        target: '0',
        pass: oversold === 0 && checks.min_item_stock >= 0 && checks.held_units <= checks.initial_stock,
      },
      {
        name: 'duplicate orders',
        measured: `${checks.duplicate_keys} (user, key) twice; ${checks.users_over_limit} users over the limit`,
        target: '0',
        pass: duplicates === 0,
      },
      {
        name: 'ledger, gate and answers agree',
        measured: consistent ? 'yes' : 'NO (see audit)',
        target: 'yes',
        pass: consistent,
      },
      {
        name: 'only 201 / 409 answers, no errors',
        measured:
          unexpected.length === 0 && run.load.errors + run.load.timeouts === 0
            ? 'yes'
            : `${unexpected.join(', ')} errors ${run.load.errors} timeouts ${run.load.timeouts}`,
        target: 'yes',
        pass: unexpected.length === 0 && run.load.errors + run.load.timeouts === 0,
      },
    ]

    const result = {
      benchmark: 'flash-sale',
      shape,
      at: new Date().toISOString(),
      machine: machine(),
      engine: app.engine,
      settings: { ...options, attempts, perUserLimit: PER_USER_LIMIT },
      background_cores_before: background,
      baseline: { hello_world: hello },
      sale: {
        attempts_per_second: run.load.rate,
        ratio_to_hello_world: ratio,
        attempts: run.load.requests,
        seconds: run.load.seconds,
        wins,
        time_to_sell_out_s: run.sellOutMs / 1000,
        time_to_first_win_s: run.firstWinMs / 1000,
        ...ratesAroundSellOut(run),
        winners_latency: winners,
        rejected_latency: rejected,
        latency_by_outcome: run.load.outcomes,
        status_codes: run.load.statusCodes,
        errors: run.load.errors,
        timeouts: run.load.timeouts,
        requests_built: run.built,
        cpu: run.cpu,
      },
      rehearsal: rehearsal
        ? {
            load: withoutSamples(rehearsal.load),
            cpu: rehearsal.cpu,
            time_to_sell_out_s: rehearsal.sellOutMs / 1000,
          }
        : null,
      audit: { ...checks, oversold, duplicates },
      targets,
      pass: targets.every((t) => t.pass),
    }
    const file = writeResult(`flash-sale-${shape}`, result)
    print(result, hello, run, winners, rejected, file)
    return result
  } finally {
    await new Promise((resolve) => setTimeout(resolve, 500))
    await app.cleanup()
  }
}

const latencyRow = (name: string, l: LatencySummary) => [
  name,
  fmt.int(l.count),
  fmt.ms(l.p50),
  fmt.ms(l.p90),
  fmt.ms(l.p99),
  fmt.ms(l.max),
]

function print(
  result: any,
  hello: LoadResult & { cpu: CpuUse },
  run: SaleRun,
  winners: LatencySummary,
  rejected: LatencySummary,
  file: string,
): void {
  const a = result.audit as Audit & { oversold: number }
  const lines = [
    '',
    `== bench/flash-sale — ${result.shape} (${engineTitle(result.engine)})`,
    `   ${machineSummary(result.machine)}; ` +
      `${fmt.int(options.units)} units, ${fmt.int(attempts)} attempts by ${fmt.int(options.users)} users ` +
      `(${options.attemptsPerUser} keys each, per_user_limit ${PER_USER_LIMIT}), ${options.connections} connections` +
      (options.freshConnections ? ' opened by the first attempts' : ' opened before the sale'),
    `   other work on the machine just before each phase, in cores: ${backgroundCores(result.background_cores_before)}`,
    '',
    table([
      [
        'throughput',
        'req/s',
        'requests',
        'seconds',
        'status codes',
        'errors',
        'CPU cores: server / loadgen / machine',
      ],
      [
        'hello-world (node:http)',
        fmt.int(hello.rate),
        fmt.int(hello.requests),
        hello.seconds.toFixed(1),
        JSON.stringify(hello.statusCodes),
        hello.errors + hello.timeouts,
        cpuCell(hello.cpu),
      ],
      [
        'POST /orders (the sale)',
        fmt.int(run.load.rate),
        fmt.int(run.load.requests),
        run.load.seconds.toFixed(1),
        JSON.stringify(run.load.statusCodes),
        run.load.errors + run.load.timeouts,
        cpuCell(run.cpu),
      ],
    ]),
    `   ratio attempts/s : hello-world = ${fmt.ratio(result.sale.ratio_to_hello_world)}`,
    `   time to sell out (first attempt -> ${fmt.int(result.sale.wins)}th unit sold): ${fmt.seconds(result.sale.time_to_sell_out_s)}` +
      ` (first win after ${fmt.seconds(result.sale.time_to_first_win_s)})`,
    `   attempts/s while units were left: ${fmt.int(result.sale.attempts_per_second_while_selling)}; after the sell-out: ${fmt.int(result.sale.attempts_per_second_after_sell_out)}`,
    '',
    table([
      ['latency', 'count', 'p50', 'p90', 'p99', 'max'],
      latencyRow('winners (201)', winners),
      latencyRow('rejected (409, all codes)', rejected),
      ...Object.entries(run.load.outcomes)
        .filter(([o]) => o !== '201')
        .sort(([, x], [, y]) => y.count - x.count)
        .map(([o, l]) => latencyRow(`  ${o}`, l)),
    ]),
    '',
    `   audit: held ${fmt.int(a.held_units)} / ${fmt.int(a.initial_stock)} units in ${fmt.int(a.confirmed_orders)} confirmed + ` +
      `${a.pending_orders} pending orders; current_stock ${a.current_stock} (min ${a.min_item_stock}), ` +
      `remaining ${a.remaining_inventory}, gate ${a.gate_remaining}; ledger rows ${fmt.int(a.ledger_rows)}, mismatches ${a.ledger_mismatches}; ` +
      `max units per user ${a.max_units_per_user}; durable idempotency records ${fmt.int(a.durable_keys)}`,
    ...verdictLines(result.targets, result.pass, file),
  ]
  console.log(lines.join('\n'))
}

await runShapes(flags.shape, runShape)
