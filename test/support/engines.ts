import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { describe, inject } from 'vitest'
import { buildApp, type LiveDrop } from '../../src/app.js'
import { type Config, loadConfig } from '../../src/config.js'
import type { IdempotencyStore } from '../../src/modules/orders/index.js'

export interface Shape {
  /** `embedded` (PGlite, in-process stores) or `postgres+redis`. */
  name: string
  /** False when this machine lacks the shape's engines; its suites are then reported as skipped. */
  available: boolean
  databaseUrl?: string
  redisUrl?: string
  natsUrl?: string
}

/** Every shape: the embedded one, always available, and the distributed one when its engines answer. */
export function shapes(): Shape[] {
  const engines = inject('engines')
  return [
    { name: 'embedded', available: true },
    {
      name: engines.nats ? 'postgres+redis+nats' : 'postgres+redis',
      available: Boolean(engines.postgres && engines.redis),
      databaseUrl: engines.postgres,
      redisUrl: engines.redis,
      natsUrl: engines.nats,
    },
  ]
}

/** Declares the same suite once per shape; unavailable shapes show up as skipped, by name. */
export function describeShapes(title: string, body: (shape: Shape) => void): void {
  for (const shape of shapes()) {
    describe.skipIf(!shape.available)(`${title} [${shape.name}]`, () => body(shape))
  }
}

export const uniqueName = (prefix: string) =>
  `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`

/** Creates a fresh database on the test server and returns its URL and a function that drops it. */
export async function isolatedDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = uniqueName('ld_test')
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl })
      await client.connect()
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await client.end()
      }
    },
  }
}

export interface TestApp {
  app: LiveDrop
  url: string
  config: Config
  /** The isolated database URL (postgres shape only). */
  databaseUrl?: string
  close(): Promise<void>
}

export interface StartOptions {
  /** Keep the embedded database in this directory instead of in memory (restart tests). */
  pgliteDir?: string
  /** Use this existing PostgreSQL database; it is neither created nor dropped by this app. */
  databaseUrl?: string
  /** Write generated secrets to DATA_DIR, as a real deployment does. */
  persistSecrets?: boolean
  /** Hand the app this fast idempotency store instead of the one its config implies. */
  idempotency?: IdempotencyStore
}

/**
 * Starts LiveDrop on a random port with its own database (PGlite in memory, or a fresh PostgreSQL
 * database) and its own Redis key prefix. Variables in `env` win over the test defaults; an empty
 * value unsets a default (e.g. `JWT_SECRET: ''` makes the app generate its own).
 */
export async function startApp(
  shape: Shape,
  env: Record<string, string> = {},
  options: StartOptions = {},
): Promise<TestApp> {
  const database =
    shape.databaseUrl && !options.databaseUrl ? await isolatedDatabase(shape.databaseUrl) : undefined
  const databaseUrl = shape.databaseUrl ? (options.databaseUrl ?? database?.url) : undefined
  const config = loadConfig(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: `/tmp/${uniqueName('livedrop')}`,
      LOG_LEVEL: 'silent',
      RATE_LIMIT: 'off',
      JWT_SECRET: randomBytes(32).toString('hex'),
      PAYMENT_WEBHOOK_SECRET: randomBytes(32).toString('hex'),
      REDIS_KEY_PREFIX: `${uniqueName('t')}:`,
      COUNT_FLUSH_MS: '50',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...(shape.redisUrl ? { REDIS_URL: shape.redisUrl } : {}),
      ...(shape.natsUrl
        ? { NATS_URL: shape.natsUrl, NATS_STREAM: uniqueName('LDT'), NATS_SUBJECT_PREFIX: uniqueName('ldt') }
        : {}),
      ...env,
    },
    { persistSecrets: options.persistSecrets ?? false },
  )
  let app: LiveDrop
  try {
    app = await buildApp(config, {
      pgliteDir: options.pgliteDir ?? 'memory://',
      idempotency: options.idempotency,
    })
  } catch (error) {
    await database?.drop()
    throw error
  }
  const url = await app.listen()
  return {
    app,
    url,
    config,
    databaseUrl,
    async close() {
      await app.close()
      await database?.drop()
      if (config.natsUrl && !env.NATS_STREAM) await deleteStream(config.natsUrl, config.natsStream)
    },
  }
}

/** Removes a test's JetStream stream (and its consumers). */
export async function deleteStream(natsUrl: string, stream: string): Promise<void> {
  const { connect } = await import('@nats-io/transport-node')
  const { jetstreamManager } = await import('@nats-io/jetstream')
  const nc = await connect({ servers: natsUrl })
  try {
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => false)
  } finally {
    await nc.close()
  }
}
