import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { type Child, startAppChild } from './child.js'
import { runAll } from './cli.js'
import {
  benchServerUrl,
  createScratchDatabase,
  postgresUnavailable,
  type ScratchDatabase,
  serverSettings,
} from './postgres.js'
import {
  benchRedisUrl,
  redisInfo,
  redisUnavailable,
  type ScratchPrefix,
  scratchRedisPrefix,
} from './redis.js'
import { progress } from './report.js'

/** `postgres`: PostgreSQL + Redis (the distributed engines, one app process); `embedded`: PGlite and in-process stores. */
export type AppShape = 'postgres' | 'embedded'

/** The --help text on the `postgres` shape's engines, for benchmarks that take --shape postgres|embedded. */
export const SHAPE_USAGE =
  'postgres = PostgreSQL + Redis at LIVEDROP_BENCH_DATABASE_URL / LIVEDROP_BENCH_REDIS_URL\n' +
  '(defaults postgres://postgres@127.0.0.1:5432/postgres, redis://127.0.0.1:6379); a scratch database\n' +
  'and Redis key prefix are made for the run and removed afterwards.'

export interface ShapeApp {
  shape: AppShape
  app: Child
  /** The app's JWT secret, so the benchmark can sign access tokens like the app does. */
  jwtSecret: string
  /** What the figures were measured on. */
  engine: Record<string, string>
  /** Runs SQL inside the app process (the embedded database has a single owner). */
  sql<T = Record<string, unknown>>(text: string): Promise<T[]>
  /** Stops the app and removes the scratch database, Redis keys and data directory. */
  cleanup(): Promise<void>
}

/** Why a shape cannot run on this machine, or undefined when its engines answer. */
export async function shapeUnavailable(shape: AppShape): Promise<string | undefined> {
  if (shape === 'embedded') return undefined
  return (await postgresUnavailable()) ?? (await redisUnavailable())
}

/**
 * Starts the app (bench/lib/app-child.ts: buildApp as `serve` does) in its own process on fresh
 * engines: a scratch PostgreSQL database and a random Redis key prefix, or a temporary PGlite
 * directory. Rate limiting off, logs at warn. LIVEDROP_BENCH_NODE_ARGS (e.g. "--cpu-prof
 * --cpu-prof-dir=/tmp/prof") is passed to the app's node.
 */
export async function startShape(shape: AppShape, extraEnv: Record<string, string> = {}): Promise<ShapeApp> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'ld-bench-'))
  let scratch: ScratchDatabase | undefined
  let prefix: ScratchPrefix | undefined
  let app: Child | undefined
  const cleanup = async () => {
    await app?.stop().catch((error) => progress(`  stopping the app failed: ${error}`))
    await scratch?.drop().catch((error) => progress(`  dropping ${scratch?.name} failed: ${error}`))
    await prefix
      ?.drop()
      .catch((error) => progress(`  deleting Redis keys ${prefix?.prefix}* failed: ${error}`))
    rmSync(dataDir, { recursive: true, force: true })
  }
  try {
    let engine: Record<string, string> = {
      engine: 'PGlite (embedded, in the app process), in-process stores',
    }
    if (shape === 'postgres') {
      scratch = await createScratchDatabase(benchServerUrl())
      prefix = scratchRedisPrefix(benchRedisUrl())
      engine = {
        engine: 'PostgreSQL + Redis',
        database: scratch.name,
        redis_prefix: prefix.prefix,
        ...(await serverSettings(benchServerUrl())),
        ...(await redisInfo(benchRedisUrl())),
      }
      progress(`  scratch database ${scratch.name}, Redis prefix ${prefix.prefix}`)
    }
    const jwtSecret = randomBytes(48).toString('base64url')
    app = await startAppChild(
      {
        DATABASE_URL: scratch?.url ?? '',
        DATABASE_READ_URLS: '',
        REDIS_URL: scratch ? benchRedisUrl() : '',
        REDIS_KEY_PREFIX: prefix?.prefix ?? 'ld:',
        NATS_URL: '',
        DATA_DIR: dataDir,
        RATE_LIMIT: 'off',
        LOG_LEVEL: 'warn',
        PORT: '0',
        HOST: '127.0.0.1',
        LIVEDROP_ROLE: 'all',
        JWT_SECRET: jwtSecret,
        PAYMENT_WEBHOOK_SECRET: randomBytes(48).toString('base64url'),
        ...extraEnv,
      },
      { nodeArgs: process.env.LIVEDROP_BENCH_NODE_ARGS?.split(' ').filter(Boolean) },
    )
    const child = app
    progress(`  app (${shape}) listening at ${child.url}`)
    return {
      shape,
      app: child,
      jwtSecret,
      engine,
      sql: <T>(text: string) => child.call<T[]>({ type: 'sql', text }),
      cleanup,
    }
  } catch (error) {
    await cleanup()
    throw error
  }
}

/** `both` expands to every shape; unavailable shapes are skipped with a note unless asked for alone. */
export async function shapesToRun(flag: string | undefined): Promise<AppShape[]> {
  if (!['postgres', 'embedded', 'both'].includes(flag ?? '')) {
    throw new Error('--shape must be postgres, embedded or both')
  }
  const wanted: AppShape[] = flag === 'both' ? ['postgres', 'embedded'] : [flag as AppShape]
  const shapes: AppShape[] = []
  for (const shape of wanted) {
    const missing = await shapeUnavailable(shape)
    if (missing && flag !== 'both') throw new Error(missing)
    if (missing) progress(`skipping ${shape}: ${missing}`)
    else shapes.push(shape)
  }
  return shapes
}

/** Runs the shapes --shape asks for (shapesToRun) in turn; the exit code says whether all passed. */
export async function runShapes(
  flag: string | undefined,
  run: (shape: AppShape) => Promise<{ pass: boolean }>,
) {
  await runAll(await shapesToRun(flag), run)
}

/** The engines of a shape, as a printout's header gives them: `PostgreSQL + Redis, PostgreSQL 17.2, Redis 7.4`. */
export function engineTitle(engine: Record<string, string | undefined>): string {
  return (
    `${engine.engine}${engine.server_version ? `, PostgreSQL ${engine.server_version}` : ''}` +
    `${engine.redis_version ? `, Redis ${engine.redis_version}` : ''}`
  )
}

/**
 * Runs `measure`; with LIVEDROP_BENCH_PROFILE_DIR=<dir> set, the app is CPU-profiled during it alone
 * and the profile written to <dir>/<name>.cpuprofile (`during` says when, on stderr).
 */
export async function profiled<T>(
  app: Pick<ShapeApp, 'app'>,
  name: string,
  during: string,
  measure: () => Promise<T>,
): Promise<T> {
  const profileDir = process.env.LIVEDROP_BENCH_PROFILE_DIR
  if (profileDir) await app.app.call({ type: 'profile', action: 'start' })
  const result = await measure()
  if (profileDir) {
    const file = `${profileDir}/${name}.cpuprofile`
    await app.app.call({ type: 'profile', action: 'stop', file })
    progress(`  CPU profile of the app ${during}: ${file}`)
  }
  return result
}
