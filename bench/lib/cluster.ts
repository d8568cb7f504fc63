import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { type Child, startAppChild } from './child.js'
import { benchNatsUrl, natsInfo, natsReachable, type ScratchStream, scratchNatsStream } from './nats.js'
import { benchServerUrl, createScratchDatabase, type ScratchDatabase, serverSettings } from './postgres.js'
import { benchRedisUrl, redisInfo, type ScratchPrefix, scratchRedisPrefix } from './redis.js'
import { progress } from './report.js'
import { shapeUnavailable } from './shape.js'

/**
 * The distributed deployment as separate processes on shared engines: one `api`, one `worker` (the
 * scheduler and the outbox relay) and `gateways` x `realtime`, each bench/lib/app-child.ts (buildApp as
 * `serve --role <role>` does) on a scratch PostgreSQL database, a random Redis key prefix and a
 * unique NATS JetStream stream and subject prefix.
 */
export interface Cluster {
  api: Child
  worker: Child
  gateways: Child[]
  /** Every app process, for stopping and CPU accounting. */
  all: Child[]
  /** The app's JWT secret, so the benchmark can sign access tokens as the app does. */
  jwtSecret: string
  /** What the figures were measured on. */
  engine: Record<string, string>
  /** Runs SQL on the scratch database (through the api process). */
  sql<T = Record<string, unknown>>(text: string): Promise<T[]>
  /** Stops every process, drops the database, the Redis keys and the stream. */
  cleanup(): Promise<void>
}

/** Why the distributed engines cannot be used here, or undefined when PostgreSQL, Redis and NATS answer. */
export async function clusterUnavailable(): Promise<string | undefined> {
  const missing = await shapeUnavailable('postgres')
  if (missing) return missing
  if (!(await natsReachable(benchNatsUrl())))
    return `NATS with JetStream not reachable at ${benchNatsUrl()} (set LIVEDROP_BENCH_NATS_URL)`
  return undefined
}

export async function startCluster(options: {
  gateways: number
  /** Extra environment for every process (e.g. WS_* settings). */
  env?: Record<string, string>
  /** Extra environment for the realtime processes only. */
  gatewayEnv?: Record<string, string>
  /** Node flags for the realtime processes (e.g. "--cpu-prof"). */
  gatewayNodeArgs?: string[]
}): Promise<Cluster> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'ld-bench-'))
  const children: Child[] = []
  let scratch: ScratchDatabase | undefined
  let prefix: ScratchPrefix | undefined
  let stream: ScratchStream | undefined
  const cleanup = async () => {
    // Reverse start order: gateways and the worker go before the api that owns the seeding back door.
    await Promise.all(
      [...children]
        .reverse()
        .map((child) =>
          child.stop().catch((error) => progress(`  stopping an app process failed: ${error}`)),
        ),
    )
    await scratch?.drop().catch((error) => progress(`  dropping ${scratch?.name} failed: ${error}`))
    await prefix
      ?.drop()
      .catch((error) => progress(`  deleting Redis keys ${prefix?.prefix}* failed: ${error}`))
    await stream?.drop().catch((error) => progress(`  deleting stream ${stream?.stream} failed: ${error}`))
    rmSync(dataDir, { recursive: true, force: true })
  }
  try {
    scratch = await createScratchDatabase(benchServerUrl())
    prefix = scratchRedisPrefix(benchRedisUrl())
    stream = scratchNatsStream(benchNatsUrl())
    const engine = {
      engine: 'PostgreSQL + Redis + NATS JetStream',
      database: scratch.name,
      redis_prefix: prefix.prefix,
      nats_stream: stream.stream,
      ...(await serverSettings(benchServerUrl())),
      ...(await redisInfo(benchRedisUrl())),
      ...(await natsInfo(benchNatsUrl())),
    }
    progress(
      `  scratch database ${scratch.name}, Redis prefix ${prefix.prefix}, NATS stream ${stream.stream}`,
    )
    const jwtSecret = randomBytes(48).toString('base64url')
    const common = {
      DATABASE_URL: scratch.url,
      DATABASE_READ_URLS: '',
      REDIS_URL: benchRedisUrl(),
      REDIS_KEY_PREFIX: prefix.prefix,
      NATS_URL: benchNatsUrl(),
      NATS_STREAM: stream.stream,
      NATS_SUBJECT_PREFIX: stream.subjectPrefix,
      DATA_DIR: dataDir,
      RATE_LIMIT: 'off',
      LOG_LEVEL: 'warn',
      PORT: '0',
      HOST: '127.0.0.1',
      JWT_SECRET: jwtSecret,
      PAYMENT_WEBHOOK_SECRET: randomBytes(48).toString('base64url'),
      ...options.env,
    }
    const start = async (role: string, extra: Record<string, string> = {}, nodeArgs?: string[]) => {
      const child = await startAppChild({ ...common, LIVEDROP_ROLE: role, ...extra }, { nodeArgs })
      children.push(child)
      progress(`  ${role} process ${child.process.pid} at ${child.url}`)
      return child
    }
    // The api migrates the database first; the others then find it up to date.
    const api = await start('api')
    // Settled, not raced: every process that did start is in `children` before any cleanup.
    const others = await Promise.allSettled([
      start('worker'),
      ...Array.from({ length: options.gateways }, () =>
        start('realtime', options.gatewayEnv, options.gatewayNodeArgs),
      ),
    ])
    const failed = others.find((o) => o.status === 'rejected')
    if (failed) throw failed.reason
    const [worker, ...gateways] = others.map((o) => (o as PromiseFulfilledResult<Child>).value)
    return {
      api,
      worker: worker!,
      gateways,
      all: [...children],
      jwtSecret,
      engine,
      sql: <T>(text: string) => api.call<T[]>({ type: 'sql', text }),
      cleanup,
    }
  } catch (error) {
    await cleanup()
    throw error
  }
}
