// Read-path benchmark: the pages a crowd refreshes while a drop is live.
//
//   npm run bench:reads -- [--shape postgres|embedded|both] [--duration S] [--connections C]
//                          [--products N]
//
// For each shape it starts the app (buildApp, as `serve` does) in a child process on fresh engines,
// makes a creator with --products products and a live drop through the API, and sells a few units so
// the figures are not all initial ones. Then, for each of
//   GET /api/v1/drops/{id}, GET /api/v1/drops/{id}/inventory, GET /api/v1/products?creator_id={id}
// it measures over HTTP
//   - full speed: C connections, as fast as the app answers (closed loop);
//   - half speed: half the full-speed rate, sent evenly spaced (open loop, undici, C connections):
//     the latency a loaded-but-not-saturated server gives; this is the figure judged;
//   - half speed with autocannon's overallRate, for reference: autocannon spends each connection's
//     per-second quota as fast as it can at the start of every second, so those latencies are close
//     to full speed ones;
// and, in the same run and the same way, the bare node:http hello-world (at full speed, and paced at
// each half-speed rate just before the app's paced phase). Latencies are per response, to the
// microsecond.
//
// Targets (cached drop reads: the drop and its inventory): >= 0.50x hello-world at full speed and
// p99 <= 10 ms at half speed. The product list (a database query per request) and GET /healthz (the
// cost of the HTTP stack alone: Fastify with the security headers, CORS, request ids, per-request
// logger and metrics every route pays) are reported beside them.
// LIVEDROP_BENCH_PROFILE_DIR=<dir> writes a CPU profile of the app during each full-speed phase.

import { helloWorldBaseline, helloWorldPaced } from './lib/baseline.js'
import { parseFlags, positive, positiveInt } from './lib/cli.js'
import { type CpuUse, cpuMeter, quietPhases } from './lib/cpu.js'
import type { LoadResult } from './lib/load.js'
import { type OutcomeLoadResult, outcomeLoad, pacedLoad, withoutSamples } from './lib/outcomes.js'
import { backgroundCores, cpuCell, machineSummary, verdictLines } from './lib/printout.js'
import { fmt, machine, progress, type Target, table, writeResult } from './lib/report.js'
import { type AppShape, engineTitle, profiled, runShapes, SHAPE_USAGE, startShape } from './lib/shape.js'
import { call, createCreator, createLiveDrop, createProduct, insertShoppers, signTokens } from './lib/shop.js'

const TARGETS = { ratio: 0.5, halfSpeedP99Ms: 10 }

const flags = parseFlags(
  {
    shape: { type: 'string', default: 'both' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    products: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    'quiet-wait': { type: 'string', default: '60' },
    help: { type: 'boolean', short: 'h' },
  },
  'Usage: npm run bench:reads -- [--shape postgres|embedded|both] [--duration S] [--connections C]\n' +
    '         [--products N] [--warmup S] [--quiet-wait S]\n' +
    SHAPE_USAGE,
)

const options = {
  duration: positive('duration', flags.duration),
  connections: positiveInt('connections', flags.connections),
  products: positiveInt('products', flags.products),
  warmup: positive('warmup', flags.warmup),
  quietWait: Number(flags['quiet-wait']),
}

interface Endpoint {
  name: string
  path: string
  /** Judged against the targets (the cached drop reads). */
  judged: boolean
}

interface EndpointRun {
  endpoint: Endpoint
  full: OutcomeLoadResult & { cpu: CpuUse }
  /** Evenly paced at half the full-speed rate (judged). */
  half: OutcomeLoadResult & { cpu: CpuUse; requestedRate: number }
  /** The bare hello-world paced at that same rate, just before. */
  helloHalf: OutcomeLoadResult
  /** autocannon overallRate at half the full-speed rate (bursty; reference). */
  halfBurst: OutcomeLoadResult & { cpu: CpuUse; requestedRate: number }
}

async function runShape(shape: AppShape) {
  progress(`=== reads, ${shape}: ${options.connections} connections, ${options.duration} s per phase`)
  const app = await startShape(shape)
  try {
    const url = app.app.url
    const creator = await createCreator(url, 'Read Creator')
    const products = []
    for (let i = 0; i < options.products; i++) {
      products.push(
        await createProduct(url, creator, {
          name: `Read product ${i + 1}`,
          ...(i === 0
            ? {
                variants: [
                  { sku: 's', name: 'S' },
                  { sku: 'm', name: 'M' },
                  { sku: 'l', name: 'L' },
                ],
              }
            : {}),
        }),
      )
    }
    const drop = await createLiveDrop(url, creator, {
      name: 'Read drop',
      per_user_limit: 2,
      items: [
        {
          product_id: products[0]!.product_id,
          variant_id: products[0]!.variants[1]!.variant_id,
          drop_price: 4900,
          initial_stock: 500,
        },
        { product_id: products[1]!.product_id, drop_price: 2900, initial_stock: 1000 },
        { product_id: products[2]!.product_id, drop_price: 1900, initial_stock: 250 },
      ],
    })
    // A few sales, so stock figures have moved and the outbox has run.
    const buyers = await insertShoppers(app, 'rd', 20, creator.userId)
    const tokens = await signTokens(app.jwtSecret, buyers)
    for (const [i, token] of tokens.entries()) {
      await call(url, 'POST', '/api/v1/orders', {
        token,
        headers: { 'idempotency-key': `read-${i}` },
        body: { drop_id: drop.drop_id, items: [{ product_id: products[1]!.product_id, quantity: 1 }] },
      })
    }

    const endpoints: Endpoint[] = [
      { name: 'GET /drops/{id}', path: `/api/v1/drops/${drop.drop_id}`, judged: true },
      { name: 'GET /drops/{id}/inventory', path: `/api/v1/drops/${drop.drop_id}/inventory`, judged: true },
      {
        name: 'GET /products?creator_id=',
        path: `/api/v1/products?creator_id=${creator.creatorId}`,
        judged: false,
      },
      { name: 'GET /healthz (HTTP stack only)', path: '/healthz', judged: false },
    ]
    for (const e of endpoints) await call(url, 'GET', e.path)

    const { background, quiet } = quietPhases(options.quietWait)

    await quiet('hello-world')
    const hello = await helloWorldBaseline(options)

    const runs: EndpointRun[] = []
    for (const endpoint of endpoints) {
      const base = { url, connections: options.connections, duration: options.duration, path: endpoint.path }
      /** Starts a CPU meter on the app, then one load phase on the endpoint; read the meter after. */
      const metered = async <T>(run: (phase: typeof base) => Promise<T>) => {
        const meter = cpuMeter({ server: app.app.process.pid })
        return { load: await run(base), meter }
      }
      await outcomeLoad({ ...base, duration: options.warmup })
      await quiet(`${endpoint.name} full`)
      const profileName = `reads-${shape}-${endpoint.name.replace(/[^a-z]+/gi, '-')}`
      const fullRun = await profiled(app, profileName, 'at full speed', () => metered(outcomeLoad))
      const full = { ...fullRun.load, cpu: fullRun.meter() }
      const requestedRate = Math.max(1, Math.floor(full.rate / 2))
      await quiet(`${endpoint.name} half`)
      const helloHalf = await helloWorldPaced({
        rate: requestedRate,
        connections: options.connections,
        duration: options.duration,
      })
      const halfRun = await metered((phase) => pacedLoad({ ...phase, rate: requestedRate }))
      const half = { ...halfRun.load, cpu: halfRun.meter(), requestedRate }
      await quiet(`${endpoint.name} half (autocannon)`)
      const burstRun = await metered((phase) => outcomeLoad({ ...phase, overallRate: requestedRate }))
      const halfBurst = { ...burstRun.load, cpu: burstRun.meter(), requestedRate }
      progress(
        `  ${endpoint.name}: ${fmt.int(full.rate)} req/s full speed; at ${fmt.int(half.rate)} req/s p99 ${fmt.ms(half.all.p99)} (hello-world at that pace: ${fmt.ms(helloHalf.all.p99)})`,
      )
      runs.push({ endpoint, full, half, halfBurst, helloHalf })
    }

    const onlyOk = (r: OutcomeLoadResult) =>
      r.errors + r.timeouts === 0 && Object.keys(r.statusCodes).every((code) => code === '200')
    const targets: Target[] = runs
      .filter((r) => r.endpoint.judged)
      .flatMap((r) => [
        {
          name: `${r.endpoint.name}: req/s vs hello-world`,
          measured: `${fmt.int(r.full.rate)} / ${fmt.int(hello.rate)} = ${fmt.ratio(r.full.rate / hello.rate)}`,
          target: `>= ${TARGETS.ratio}x`,
          pass: r.full.rate / hello.rate >= TARGETS.ratio && onlyOk(r.full),
        },
        {
          name: `${r.endpoint.name}: p99 at half speed (paced)`,
          measured: `${fmt.ms(r.half.all.p99)} at ${fmt.int(r.half.rate)} req/s (hello-world ${fmt.ms(r.helloHalf.all.p99)})`,
          target: `<= ${TARGETS.halfSpeedP99Ms} ms`,
          pass: r.half.all.p99 <= TARGETS.halfSpeedP99Ms && onlyOk(r.half),
        },
      ])

    const result = {
      benchmark: 'reads',
      shape,
      at: new Date().toISOString(),
      machine: machine(),
      engine: app.engine,
      settings: options,
      background_cores_before: background,
      baseline: { hello_world: hello },
      endpoints: runs.map((r) => ({
        name: r.endpoint.name,
        path: r.endpoint.path,
        judged: r.endpoint.judged,
        full_speed: { ...withoutSamples(r.full), ratio_to_hello_world: r.full.rate / hello.rate },
        half_speed_paced: { ...withoutSamples(r.half), ratio_to_hello_world: r.half.rate / hello.rate },
        hello_world_paced_at_half_speed: withoutSamples(r.helloHalf),
        half_speed_autocannon_overall_rate: {
          ...withoutSamples(r.halfBurst),
          ratio_to_hello_world: r.halfBurst.rate / hello.rate,
        },
      })),
      targets,
      pass: targets.every((t) => t.pass),
    }
    const file = writeResult(`reads-${shape}`, result)
    print(result, hello, runs, file)
    return result
  } finally {
    await new Promise((resolve) => setTimeout(resolve, 500))
    await app.cleanup()
  }
}

function print(result: any, hello: LoadResult & { cpu: CpuUse }, runs: EndpointRun[], file: string): void {
  const row = (name: string, speed: string, r: OutcomeLoadResult & { cpu: CpuUse }) => [
    name,
    speed,
    fmt.int(r.rate),
    fmt.ratio(r.rate / hello.rate),
    fmt.ms(r.all.p50),
    fmt.ms(r.all.p90),
    fmt.ms(r.all.p99),
    fmt.ms(r.all.max),
    JSON.stringify(r.statusCodes),
    cpuCell(r.cpu),
  ]
  const lines = [
    '',
    `== bench/reads — ${result.shape} (${engineTitle(result.engine)})`,
    `   ${machineSummary(result.machine)}; ` +
      `${options.connections} connections, ${options.duration} s per phase; half speed = half the full-speed rate, evenly paced (judged) and by autocannon overallRate`,
    `   other work on the machine just before each phase, in cores: ${backgroundCores(result.background_cores_before)}`,
    '',
    table([
      [
        'endpoint',
        'speed',
        'req/s',
        'vs hello',
        'p50',
        'p90',
        'p99',
        'max',
        'status codes',
        'CPU cores: server / loadgen / machine',
      ],
      [
        'hello-world (node:http)',
        'full',
        fmt.int(hello.rate),
        fmt.ratio(1),
        `${hello.latency.p50} ms`,
        `${hello.latency.p90} ms`,
        `${hello.latency.p99} ms`,
        `${hello.latency.max} ms`,
        JSON.stringify(hello.statusCodes),
        cpuCell(hello.cpu),
      ],
      ...runs.flatMap((r) => [
        row(r.endpoint.name, 'full', r.full),
        row('', `half, paced (${fmt.int(r.half.requestedRate)}/s asked)`, r.half),
        row('', 'half, autocannon overallRate', r.halfBurst),
      ]),
    ]),
    '   (hello-world latency: autocannon histogram, whole ms; app latencies: per response, high-resolution clock)',
    ...verdictLines(result.targets, result.pass, file),
  ]
  console.log(lines.join('\n'))
}

await runShapes(flags.shape, runShape)
