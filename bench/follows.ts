// Benchmark of the follow graph at celebrity scale: one creator with a million followers.
//
//   npm run bench:follows -- [--shape postgres|pglite|both] [--followers N] [--duration S]
//                            [--connections C] [--page-duration S] [--page-requests N]
//
// For each shape it starts the app (buildApp, as `serve` does) in a child process on a fresh database,
// seeds the followers with bulk SQL, then measures over HTTP:
//   - follows per second for that one creator, every request a different user (C connections);
//   - follower-page latency (limit 50) at the first, middle and last page: one client at a time (the
//     figure the target is judged on), and under C connections (printed for reference);
//   - how long GET /creators/{id} takes to show the exact follower_count after the last follow;
// and, in the same run, the bare node:http hello-world rate measured the same way, plus (PostgreSQL)
// the raw rate of the follow statement itself through node-postgres.
//
// Targets (from the issue): follows/s >= 0.10x hello-world; follower page p99 <= 10 ms at every depth;
// follower_count exact within 2 s. Each measurement first waits (--quiet-wait) for other work on the
// machine to stop and records what it saw.

import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { uuidv7 } from 'uuidv7'
import { accessTokens } from '../src/modules/auth/tokens.js'
import { helloWorldBaseline, rawSqlRate } from './lib/baseline.js'
import { type Child, startAppChild } from './lib/child.js'
import { parseFlags, positive, positiveInt, runAll } from './lib/cli.js'
import { type CpuUse, cpuMeter, quietPhases } from './lib/cpu.js'
import { type LatencyResult, type LoadResult, load, sequentialLatency } from './lib/load.js'
import {
  benchServerUrl,
  createScratchDatabase,
  postgresUnavailable,
  type ScratchDatabase,
  serverSettings,
} from './lib/postgres.js'
import { backgroundCores, cpuCell, machineSummary, verdictLines } from './lib/printout.js'
import { fmt, machine, progress, type Target, table, writeResult } from './lib/report.js'
import { profiled } from './lib/shape.js'

type Shape = 'postgres' | 'pglite'

const TARGETS = { followRatio: 0.1, pageP99Ms: 10, convergenceS: 2 }
const PAGE_LIMIT = 50
const SEED_BATCH = 100_000
const DEFAULT_FOLLOWERS: Record<Shape, number> = { postgres: 1_000_000, pglite: 1_000_000 }

const flags = parseFlags(
  {
    shape: { type: 'string', default: 'both' },
    followers: { type: 'string' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    'page-duration': { type: 'string', default: '5' },
    'page-requests': { type: 'string', default: '500' },
    warmup: { type: 'string', default: '2' },
    'quiet-wait': { type: 'string', default: '60' },
    help: { type: 'boolean', short: 'h' },
  },
  'Usage: npm run bench:follows -- [--shape postgres|pglite|both] [--followers N] [--duration S]\n' +
    '         [--connections C] [--page-duration S] [--page-requests N] [--warmup S] [--quiet-wait S]\n' +
    'PostgreSQL: LIVEDROP_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres);\n' +
    'a scratch database is created on it and dropped afterwards.',
)

const options = {
  followers: flags.followers === undefined ? undefined : positiveInt('followers', flags.followers),
  duration: positive('duration', flags.duration),
  connections: positiveInt('connections', flags.connections),
  pageDuration: positive('page-duration', flags['page-duration']),
  pageRequests: positiveInt('page-requests', flags['page-requests']),
  warmup: positive('warmup', flags.warmup),
  /** Seconds to wait, before each measurement, for other work on the machine to stop. */
  quietWait: Number(flags['quiet-wait']),
}
if (!['postgres', 'pglite', 'both'].includes(flags.shape ?? '')) {
  throw new Error('--shape must be postgres, pglite or both')
}

/** The uuid PostgreSQL's `md5(text)::uuid` gives, so seeded ids can be recomputed here without a query. */
function md5Uuid(text: string): string {
  const h = createHash('md5').update(text).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

function cursorOf(createdAt: string, userId: string): string {
  return Buffer.from(JSON.stringify([createdAt, userId])).toString('base64url')
}

/** The statement src/modules/follows/repository.ts runs for a group of follows, here sent for one follow at a time: the raw-SQL baseline. */
const FOLLOW_SQL = `
  WITH relaxed AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true)), wanted AS (
    SELECT DISTINCT ON (creator_id, user_id) creator_id, user_id, event_id
    FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS w (creator_id, user_id, event_id)
  ), inserted AS (
    INSERT INTO follows (creator_id, user_id) SELECT creator_id, user_id FROM wanted
    ON CONFLICT DO NOTHING RETURNING creator_id, user_id, created_at
  ), counted AS (
    INSERT INTO follower_count_deltas (creator_id, delta)
    SELECT creator_id, count(*) FROM inserted GROUP BY creator_id
  ), announced AS (
    INSERT INTO outbox (id, topic, key, payload)
    SELECT w.event_id, 'follow.created', i.user_id::text,
      jsonb_build_object('user_id', i.user_id::text, 'creator_id', i.creator_id::text)
    FROM inserted i JOIN wanted w ON w.creator_id = i.creator_id AND w.user_id = i.user_id
  )
  SELECT creator_id::text, user_id::text, created_at FROM inserted WHERE EXISTS (SELECT FROM relaxed)`
/** The app's default pool size (DATABASE_POOL_SIZE), so the raw baseline gets the same database concurrency. */
const RAW_SQL_POOL = 10

const ISO_MS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`

class Bench {
  constructor(
    readonly app: Child,
    readonly creatorId: string,
  ) {}

  sql<T = Record<string, unknown>>(text: string): Promise<T[]> {
    return this.app.call<T[]>({ type: 'sql', text })
  }

  async exactCount(): Promise<number> {
    const [row] = await this.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM follows WHERE creator_id = '${this.creatorId}'`,
    )
    return Number(row?.n)
  }

  /** Users `<prefix>1..<prefix>n`, ids md5(`<prefix>i`)::uuid, inserted in batches. */
  async insertUsers(prefix: string, from: number, to: number, label: string): Promise<void> {
    for (let lo = from; lo <= to; lo += SEED_BATCH) {
      const hi = Math.min(to, lo + SEED_BATCH - 1)
      await this.sql(`
        INSERT INTO users (user_id, email, username, password_hash)
        SELECT md5('${prefix}' || i)::uuid, '${prefix}' || i || '@bench.invalid', '${prefix}' || i, 'not-a-password-hash'
        FROM generate_series(${lo}, ${hi}) AS i`)
      progress(`  ${label}: ${fmt.int(hi - from + 1)} / ${fmt.int(to - from + 1)} users`)
    }
  }
}

/** The seeded creator plus `followers` follow edges (and their users), spread over past timestamps. */
async function seed(bench: Bench, creatorUserId: string, followers: number): Promise<number> {
  const started = performance.now()
  await bench.sql(`
    INSERT INTO users (user_id, email, username, password_hash, roles)
    VALUES ('${creatorUserId}', 'celebrity@bench.invalid', 'celebrity', 'not-a-password-hash', '{shopper,creator}')`)
  await bench.sql(`
    INSERT INTO creators (creator_id, user_id, creator_name, bio, is_verified)
    VALUES ('${bench.creatorId}', '${creatorUserId}', 'Celebrity', 'One creator, many followers', true)`)
  await bench.insertUsers('s', 1, followers, 'seeding follower users')
  for (let lo = 1; lo <= followers; lo += SEED_BATCH) {
    const hi = Math.min(followers, lo + SEED_BATCH - 1)
    // Two followers per millisecond tick, so pages also cross ties broken by user_id.
    await bench.sql(`
      INSERT INTO follows (creator_id, user_id, created_at)
      SELECT '${bench.creatorId}', md5('s' || i)::uuid,
             timestamptz '2024-01-01 00:00:00+00' + (i / 2) * interval '7 milliseconds'
      FROM generate_series(${lo}, ${hi}) AS i`)
    progress(`  seeding follow edges: ${fmt.int(hi)} / ${fmt.int(followers)}`)
  }
  await bench.sql(`
    INSERT INTO follower_counts (creator_id, follower_count) VALUES ('${bench.creatorId}', ${followers})`)
  progress('  VACUUM ANALYZE (what autovacuum would do after a bulk load)')
  await bench.sql('VACUUM ANALYZE users')
  await bench.sql('VACUUM ANALYZE follows')
  await bench.sql('VACUUM ANALYZE follower_counts')
  return (performance.now() - started) / 1000
}

/** Fresh users that follow nobody, each with a signed access token. */
async function freshFollowers(bench: Bench, sign: ReturnType<typeof accessTokens>, from: number, to: number) {
  await bench.insertUsers('f', from, to, 'fresh users for the follow phase')
  const tokens: string[] = []
  for (let i = from; i <= to; i++)
    tokens.push(await sign.sign({ userId: md5Uuid(`f${i}`), roles: ['shopper'] }))
  return tokens
}

/**
 * `tokens.length - connections` follows, each by a different user. A fixed number of requests (not a
 * duration) so that every request is answered before the run ends and the 201s are exactly the edges
 * created. autocannon builds one request ahead per connection, hence the spare tokens.
 */
async function followLoad(bench: Bench, tokens: string[]): Promise<LoadResult & { tokensUsed: number }> {
  let next = 0
  const body = JSON.stringify({ creator_id: bench.creatorId })
  const result = await load({
    url: bench.app.url,
    connections: options.connections,
    amount: tokens.length - options.connections,
    method: 'POST',
    path: '/api/v1/follows',
    body,
    headers: { 'content-type': 'application/json' },
    setupRequest: (request) => {
      const token = tokens[next++]
      if (token === undefined) throw new Error('more requests than follow tokens')
      return { ...request, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }
    },
  })
  return { ...result, tokensUsed: Math.min(next, tokens.length) }
}

/** Polls the public creator endpoint until it shows `expected` followers; seconds from `since`. */
async function convergence(bench: Bench, expected: number, since: number, timeoutS = 30) {
  let polls = 0
  let last = Number.NaN
  while ((performance.now() - since) / 1000 < timeoutS) {
    polls++
    const response = await fetch(`${bench.app.url}/api/v1/creators/${bench.creatorId}`)
    const creator = (await response.json()) as { follower_count: number }
    last = creator.follower_count
    if (last === expected) return { seconds: (performance.now() - since) / 1000, polls, last }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return { seconds: Number.POSITIVE_INFINITY, polls, last }
}

interface Depth {
  name: 'first' | 'middle' | 'last'
  page: number
  path: string
  items: number
}

async function pageDepths(bench: Bench, total: number): Promise<Depth[]> {
  const pages = Math.ceil(total / PAGE_LIMIT)
  const base = `/api/v1/creators/${bench.creatorId}/followers?limit=${PAGE_LIMIT}`
  const at = async (page: number) => {
    if (page === 0) return base
    // The cursor of page k is the keyset of the last row of page k - 1.
    const [row] = await bench.sql<{ created_at: string; user_id: string }>(`
      SELECT to_char(created_at AT TIME ZONE 'UTC', ${ISO_MS}) AS created_at, user_id::text AS user_id
      FROM follows WHERE creator_id = '${bench.creatorId}'
      ORDER BY created_at DESC, user_id DESC OFFSET ${page * PAGE_LIMIT - 1} LIMIT 1`)
    if (!row) throw new Error(`no row before page ${page}`)
    return `${base}&cursor=${cursorOf(row.created_at, row.user_id)}`
  }
  const depths: Depth[] = []
  for (const [name, page] of [
    ['first', 0],
    ['middle', Math.floor(pages / 2)],
    ['last', pages - 1],
  ] as const) {
    const path = await at(page)
    const response = await fetch(`${bench.app.url}${path}`)
    const json = (await response.json()) as { items: unknown[]; next_cursor: string | null }
    const expectedItems = page === pages - 1 ? total - page * PAGE_LIMIT : PAGE_LIMIT
    if (response.status !== 200 || json.items.length !== expectedItems) {
      throw new Error(
        `page ${page}: status ${response.status}, ${json.items?.length} items, want ${expectedItems}`,
      )
    }
    if ((page === pages - 1) !== (json.next_cursor === null))
      throw new Error(`page ${page}: wrong next_cursor`)
    depths.push({ name, page, path, items: json.items.length })
  }
  return depths
}

function allOk(result: LoadResult, allowed: string[]): boolean {
  return (
    result.errors === 0 &&
    result.timeouts === 0 &&
    Object.keys(result.statusCodes).every((code) => allowed.includes(code))
  )
}

async function runShape(shape: Shape) {
  const followers = options.followers ?? DEFAULT_FOLLOWERS[shape]
  progress(`=== ${shape}: ${fmt.int(followers)} followers, ${options.connections} connections`)
  const dataDir = mkdtempSync(join(os.tmpdir(), 'ld-bench-'))
  let scratch: ScratchDatabase | undefined
  let app: Child | undefined
  try {
    let engine: Record<string, string> = { engine: 'PGlite (embedded, in the app process)' }
    if (shape === 'postgres') {
      scratch = await createScratchDatabase(benchServerUrl())
      engine = { engine: 'PostgreSQL', database: scratch.name, ...(await serverSettings(benchServerUrl())) }
      progress(`  scratch database ${scratch.name}`)
    }
    const jwtSecret = randomBytes(48).toString('base64url')
    app = await startAppChild(
      {
        DATABASE_URL: scratch?.url ?? '',
        DATABASE_READ_URLS: '',
        REDIS_URL: '',
        NATS_URL: '',
        DATA_DIR: dataDir,
        RATE_LIMIT: 'off',
        LOG_LEVEL: 'warn',
        PORT: '0',
        HOST: '127.0.0.1',
        LIVEDROP_ROLE: 'all',
        JWT_SECRET: jwtSecret,
        PAYMENT_WEBHOOK_SECRET: randomBytes(48).toString('base64url'),
      },
      { nodeArgs: process.env.LIVEDROP_BENCH_NODE_ARGS?.split(' ').filter(Boolean) },
    )
    const bench = new Bench(app, uuidv7())
    progress(`  app listening at ${app.url}`)

    const seedSeconds = await seed(bench, uuidv7(), followers)
    progress(`  seeded in ${fmt.seconds(seedSeconds)}`)

    const { background, quiet } = quietPhases(options.quietWait)
    await quiet('hello-world')
    const hello = await helloWorldBaseline(options)

    // Warm-up follows (real ones, counted) size the measured run to last about --duration seconds.
    const sign = accessTokens(jwtSecret)
    let rawSql: Awaited<ReturnType<typeof rawSqlRate>> | undefined
    if (scratch) {
      // The same statement the app runs per follow, for another creator, straight to the database.
      await quiet('raw-sql')
      progress(`  raw SQL follow statement (${RAW_SQL_POOL} connections, ${options.duration} s)`)
      const other = uuidv7()
      rawSql = await rawSqlRate({
        url: scratch.url,
        text: FOLLOW_SQL,
        values: (i) => [[other], [md5Uuid(`raw${i}`)], [uuidv7()]],
        pool: RAW_SQL_POOL,
        duration: options.duration,
      })
      progress(`  raw SQL: ${fmt.int(rawSql.rate)} statements/s`)
      // The baseline's events and count deltas are its own: the app's relay and count folding must not
      // still be publishing and folding them while the app's follows are measured.
      await bench.sql(
        `DELETE FROM outbox WHERE published_at IS NULL AND topic = 'follow.created' AND payload->>'creator_id' = '${other}'`,
      )
      await bench.sql(`DELETE FROM follower_count_deltas WHERE creator_id = '${other}'`)
      await bench.sql('VACUUM (ANALYZE) outbox, follower_count_deltas')
    }

    await quiet('follows')
    progress('  follow warm-up')
    const warmCount = Math.max(options.connections * 20, Math.round(options.warmup * 1500))
    const spare = options.connections
    const warm = await followLoad(bench, await freshFollowers(bench, sign, 1, warmCount + spare))
    // A cold warm-up runs slower than the measured run, hence the margin.
    const measuredCount = Math.max(options.connections * 20, Math.round(warm.rate * options.duration * 1.5))
    const from = warmCount + spare + 1
    const tokens = await freshFollowers(bench, sign, from, from + measuredCount + spare - 1)
    progress(`  follows (${options.connections} connections, ${fmt.int(measuredCount)} follows)`)
    const followMeter = cpuMeter({ server: app.process.pid })
    const followed = await profiled({ app }, `follows-${shape}`, 'during the follows', () =>
      followLoad(bench, tokens),
    )
    const follow = { ...followed, cpu: followMeter() }
    const lastFollowAt = performance.now()
    const created = (follow.statusCodes['201'] ?? 0) + (warm.statusCodes['201'] ?? 0)
    const expected = followers + created
    progress(`  follows: ${fmt.int(follow.rate)} /s; waiting for follower_count = ${fmt.int(expected)}`)
    const converged = await convergence(bench, expected, lastFollowAt)
    // The raw-SQL rows belong to another creator: the count to reach is this creator's own.
    const exact = await bench.exactCount()
    const countExact = exact === expected && converged.last === exact
    progress(`  count exact after ${fmt.seconds(converged.seconds)} (SQL count ${fmt.int(exact)})`)

    const depths = await pageDepths(bench, exact)
    const pages: {
      depth: Depth['name']
      page: number
      single: LatencyResult
      loaded: LoadResult & { cpu: CpuUse }
    }[] = []
    for (const depth of depths) {
      await quiet(`page-${depth.name}`)
      progress(`  follower page ${depth.name} (page ${fmt.int(depth.page)})`)
      const single = await sequentialLatency({
        url: app.url,
        path: depth.path,
        requests: options.pageRequests,
        warmup: 50,
      })
      const pageMeter = cpuMeter({ server: app.process.pid })
      const loaded = {
        ...(await load({
          url: app.url,
          connections: options.connections,
          duration: options.pageDuration,
          path: depth.path,
        })),
        cpu: pageMeter(),
      }
      pages.push({ depth: depth.name, page: depth.page, single, loaded })
    }

    const ratio = follow.rate / hello.rate
    const targets: Target[] = [
      {
        name: 'follows/s vs hello-world',
        measured: `${fmt.int(follow.rate)} / ${fmt.int(hello.rate)} = ${fmt.ratio(ratio)}`,
        target: `>= ${TARGETS.followRatio}x`,
        pass: ratio >= TARGETS.followRatio && allOk(follow, ['201']) && allOk(warm, ['201']),
      },
      ...pages.map((p) => ({
        // Judged one request at a time: at 64 connections latency is queueing (connections / rate),
        // which even the hello-world's p99 barely keeps under 10 ms on a small machine; that figure is
        // printed beside it.
        name: `page p99, ${p.depth} page, 1 client`,
        measured: fmt.ms(p.single.p99),
        target: `<= ${TARGETS.pageP99Ms} ms`,
        pass: p.single.p99 <= TARGETS.pageP99Ms && Object.keys(p.single.statusCodes).join() === '200',
      })),
      {
        name: 'follower_count exact after last follow',
        measured: countExact ? fmt.seconds(converged.seconds) : `not exact (${converged.last} vs ${exact})`,
        target: `<= ${TARGETS.convergenceS} s`,
        pass: countExact && converged.seconds <= TARGETS.convergenceS,
      },
    ]

    const result = {
      benchmark: 'follows',
      shape,
      at: new Date().toISOString(),
      machine: machine(),
      engine,
      settings: { ...options, followers, pageLimit: PAGE_LIMIT, seedSeconds },
      background_cores_before: background,
      baseline: { hello_world: hello, raw_sql_follow_statement: rawSql ?? null },
      follows: {
        rate: follow.rate,
        ratio_to_hello_world: ratio,
        ratio_to_raw_sql: rawSql ? follow.rate / rawSql.rate : null,
        measured: follow,
        warmup: warm,
        created_total: created,
      },
      follower_count: {
        expected,
        exact_sql_count: exact,
        exact: countExact,
        seconds_to_exact: converged.seconds,
        polls: converged.polls,
      },
      follower_pages: pages,
      targets,
      pass: targets.every((t) => t.pass),
    }
    const file = writeResult(`follows-${shape}`, result)
    print(result, file)
    return result
  } finally {
    // Let handlers of requests the load generator abandoned at the end of a timed run finish first.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    await app?.stop().catch((error) => progress(`  stopping the app failed: ${error}`))
    await scratch?.drop().catch((error) => progress(`  dropping ${scratch?.name} failed: ${error}`))
    rmSync(dataDir, { recursive: true, force: true })
  }
}

function print(result: any, file: string): void {
  const hello = result.baseline.hello_world as LoadResult & { cpu: CpuUse }
  const follow = result.follows.measured as LoadResult & { cpu: CpuUse }
  const lines = [
    '',
    `== bench/follows — ${result.shape} (${result.engine.engine}${result.engine.server_version ? ` ${result.engine.server_version}` : ''})`,
    `   ${machineSummary(result.machine)}; ` +
      `${fmt.int(result.settings.followers)} seeded followers (seeded in ${fmt.seconds(result.settings.seedSeconds)}), ` +
      `${result.settings.connections} connections`,
    `   other work on the machine just before each phase, in cores: ${backgroundCores(result.background_cores_before)}`,
    '',
    table([
      [
        'throughput',
        'req/s',
        'requests',
        'seconds',
        'p50',
        'p99',
        'status codes',
        'errors',
        'CPU cores: server / loadgen / machine',
      ],
      [
        'hello-world (node:http)',
        fmt.int(hello.rate),
        fmt.int(hello.requests),
        hello.seconds.toFixed(1),
        `${hello.latency.p50} ms`,
        `${hello.latency.p99} ms`,
        JSON.stringify(hello.statusCodes),
        hello.errors + hello.timeouts,
        cpuCell(hello.cpu),
      ],
      [
        'POST /follows (one creator)',
        fmt.int(follow.rate),
        fmt.int(follow.requests),
        follow.seconds.toFixed(1),
        `${follow.latency.p50} ms`,
        `${follow.latency.p99} ms`,
        JSON.stringify(follow.statusCodes),
        follow.errors + follow.timeouts,
        cpuCell(follow.cpu),
      ],
    ]),
    `   ratio follows/s : hello-world = ${fmt.ratio(result.follows.ratio_to_hello_world)}`,
    result.baseline.raw_sql_follow_statement
      ? `   raw SQL (same follow statement, ${result.baseline.raw_sql_follow_statement.pool} connections, no HTTP): ` +
        `${fmt.int(result.baseline.raw_sql_follow_statement.rate)} /s; follows/s : raw SQL = ${fmt.ratio(result.follows.ratio_to_raw_sql)}`
      : '   raw SQL baseline: not measured (the embedded database lives inside the app process)',
    '',
    table([
      [
        'follower page (limit 50)',
        'page #',
        '1 client p50',
        '1 client p99',
        `${result.settings.connections} conn req/s`,
        'p50',
        'p99',
        'status codes',
        'CPU cores: server / loadgen / machine',
      ],
      ...result.follower_pages.map((p: any) => [
        p.depth,
        fmt.int(p.page),
        fmt.ms(p.single.p50),
        fmt.ms(p.single.p99),
        fmt.int(p.loaded.rate),
        `${p.loaded.latency.p50} ms`,
        `${p.loaded.latency.p99} ms`,
        JSON.stringify(p.loaded.statusCodes),
        cpuCell(p.loaded.cpu),
      ]),
    ]),
    '',
    `   follower_count: exact (${fmt.int(result.follower_count.exact_sql_count)}) ` +
      `${fmt.seconds(result.follower_count.seconds_to_exact)} after the last follow response`,
    ...verdictLines(result.targets, result.pass, file),
  ]
  console.log(lines.join('\n'))
}

async function main() {
  const wanted: Shape[] = flags.shape === 'both' ? ['postgres', 'pglite'] : [flags.shape as Shape]
  const shapes: Shape[] = []
  for (const shape of wanted) {
    const message = shape === 'postgres' ? await postgresUnavailable() : undefined
    if (message) {
      if (flags.shape === 'postgres') throw new Error(message)
      progress(`skipping postgres: ${message}`)
      continue
    }
    shapes.push(shape)
  }
  await runAll(shapes, runShape)
}

await main()
