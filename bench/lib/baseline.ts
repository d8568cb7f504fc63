import { startChild } from './child.js'
import { type CpuUse, cpuMeter } from './cpu.js'
import { type LoadResult, load } from './load.js'
import { type OutcomeLoadResult, pacedLoad } from './outcomes.js'
import { fmt, progress } from './report.js'

/**
 * The bare `node:http` hello-world, in its own process, loaded exactly like the app is (same
 * connections, same duration, same load generator), so figures can be given as a ratio to it.
 */
export async function helloWorldRate(options: {
  connections: number
  duration: number
  warmup?: number
}): Promise<LoadResult & { cpu: CpuUse }> {
  const child = await startChild('./hello-child.ts', {})
  try {
    if (options.warmup)
      await load({ url: child.url, connections: options.connections, duration: options.warmup })
    const meter = cpuMeter({ server: child.process.pid })
    const result = await load({
      url: child.url,
      connections: options.connections,
      duration: options.duration,
    })
    return { ...result, cpu: meter() }
  } finally {
    await child.stop()
  }
}

/** helloWorldRate between two progress lines: the baseline each benchmark's figures are a ratio to. */
export async function helloWorldBaseline(options: {
  connections: number
  duration: number
  warmup?: number
}): Promise<LoadResult & { cpu: CpuUse }> {
  progress(`  hello-world baseline (${options.connections} connections, ${options.duration} s)`)
  const hello = await helloWorldRate(options)
  progress(`  hello-world: ${fmt.int(hello.rate)} req/s`)
  return hello
}

/**
 * The bare `node:http` hello-world under the same evenly paced load as an app phase: the latency the
 * machine and the load generator alone give at that rate. Run first, it also takes the load
 * generator's own start-up (a first paced run in a process shows ~200 ms for its first second even
 * against this server) out of the app's figures.
 */
export async function helloWorldPaced(options: {
  rate: number
  connections: number
  duration: number
}): Promise<OutcomeLoadResult> {
  const child = await startChild('./hello-child.ts', {})
  try {
    return await pacedLoad({ url: child.url, path: '/', ...options })
  } finally {
    await child.stop()
  }
}

/**
 * The raw-SQL ceiling: one statement run straight through node-postgres (no HTTP, no app) with `pool`
 * connections kept busy for `duration` seconds. `values(i)` gives the parameters of the i-th execution.
 */
export async function rawSqlRate(options: {
  url: string
  text: string
  values: (i: number) => unknown[]
  pool: number
  duration: number
}): Promise<{ rate: number; statements: number; seconds: number; pool: number }> {
  const pg = (await import('pg')).default
  const pool = new pg.Pool({ connectionString: options.url, max: options.pool })
  let next = 0
  try {
    const run = async (until: number) => {
      while (performance.now() < until)
        await pool.query({ name: 'raw', text: options.text, values: options.values(next++) })
    }
    // Warm every connection (and its prepared statement) first.
    await Promise.all(Array.from({ length: options.pool }, () => run(performance.now() + 1000)))
    const before = next
    const started = performance.now()
    await Promise.all(Array.from({ length: options.pool }, () => run(started + options.duration * 1000)))
    const seconds = (performance.now() - started) / 1000
    return { rate: (next - before) / seconds, statements: next - before, seconds, pool: options.pool }
  } finally {
    await pool.end()
  }
}
