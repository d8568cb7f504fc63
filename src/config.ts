import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const ROLES = ['api', 'realtime', 'worker', 'all'] as const
export type Role = (typeof ROLES)[number]
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export interface Config {
  port: number
  host: string
  dataDir: string
  /** PostgreSQL primary; unset means the embedded PGlite database in `dataDir`. */
  databaseUrl: string | undefined
  databaseReadUrls: string[]
  /** Connections each PostgreSQL pool (primary, every replica) keeps at most. */
  databasePoolSize: number
  redisUrl: string | undefined
  /** Prefix of every Redis key this deployment writes (before any hash tag). */
  redisKeyPrefix: string
  natsUrl: string | undefined
  /** JetStream stream of all events, and the prefix of its subjects (`<prefix>.<topic>`). */
  natsStream: string
  natsSubjectPrefix: string
  role: Role
  jwtSecret: string
  paymentWebhookSecret: string
  holdTtlSeconds: number
  rateLimit: boolean
  /** Trust X-Forwarded-For from a reverse proxy; off, clients could pick their own address. */
  trustProxy: boolean
  logLevel: LogLevel
  /** Largest request body accepted, in bytes; larger bodies answer 413. */
  bodyLimit: number
  /** How often follower counts are folded from their deltas, in ms. */
  countFlushMs: number
  /** How long published outbox events are kept before they are pruned, in hours. */
  outboxRetentionHours: number
  /** How often the inventory gate is compared with the database, in ms. */
  gateReconcileMs: number
  /** WebSocket connections allowed from one client address. */
  wsMaxConnectionsPerIp: number
  /** Server pings each socket this often; a socket that missed the previous pong is closed. */
  wsHeartbeatMs: number
  /** Bytes a socket may have unsent before it is closed as too slow. */
  wsMaxBufferedBytes: number
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`Invalid configuration: ${variable} ${message}`)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === '' ? undefined : value
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name)
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max}, got "${raw}"`)
  }
  return value
}

/** A NATS stream or subject token: letters, digits, `_` and `-`. */
function name(env: Env, variable: string, fallback: string): string {
  const raw = read(env, variable)
  if (raw === undefined) return fallback
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(raw)) {
    throw new ConfigError(variable, `must be 1 to 64 letters, digits, "_" or "-", got "${raw}"`)
  }
  return raw
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(env, name)
  if (raw === undefined) return fallback
  if (!allowed.includes(raw as T)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`)
  }
  return raw as T
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = read(env, name)
  if (raw === undefined) return undefined
  if (raw.startsWith('redis+cluster://') && protocols.includes('redis+cluster:')) {
    // `redis+cluster://host:port,host:port` lists seed nodes, which no single URL can hold.
    for (const node of raw.slice('redis+cluster://'.length).split(',')) {
      checkUrl(name, `redis://${node.trim()}`, ['redis:'])
    }
    return raw
  }
  checkUrl(name, raw, protocols)
  return raw
}

function checkUrl(name: string, raw: string, protocols: string[]): void {
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    throw new ConfigError(name, `must be a URL (${protocols.join(' or ')}), got "${redact(raw)}"`)
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got "${parsed.protocol}"`)
  }
}

/** Keeps passwords out of error messages. */
function redact(raw: string): string {
  return raw.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')
}

function secret(env: Env, name: string, stored: Record<string, string>): string {
  const raw = read(env, name)
  if (raw !== undefined) {
    if (raw.length < 32) throw new ConfigError(name, 'must be at least 32 characters long')
    return raw
  }
  const existing = stored[name]
  if (existing) return existing
  const generated = randomBytes(48).toString('base64url')
  stored[name] = generated
  return generated
}

const SECRETS_FILE = 'secrets.json'

function loadStoredSecrets(dataDir: string): Record<string, string> {
  let text: string
  try {
    text = readFileSync(join(dataDir, SECRETS_FILE), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new ConfigError(
      'DATA_DIR',
      `has a ${SECRETS_FILE} that cannot be read: ${(error as Error).message}`,
    )
  }
  // Replacing unreadable secrets would silently sign everyone out and break webhook signatures.
  let stored: unknown
  try {
    stored = JSON.parse(text)
  } catch {
    stored = undefined
  }
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) {
    throw new ConfigError('DATA_DIR', `has a ${SECRETS_FILE} that is not a JSON object; fix or remove it`)
  }
  return stored as Record<string, string>
}

export interface LoadOptions {
  /** `--role` from the command line wins over LIVEDROP_ROLE. */
  role?: string
  /** Don't write generated secrets to disk (tests). */
  persistSecrets?: boolean
}

/** Reads and validates the whole configuration once; the only place that looks at the environment. */
export function loadConfig(env: Env, options: LoadOptions = {}): Config {
  const dataDir = resolve(read(env, 'DATA_DIR') ?? './data')
  const role = options.role
    ? oneOf({ '--role': options.role }, '--role', ROLES, 'all')
    : oneOf(env, 'LIVEDROP_ROLE', ROLES, 'all')
  const readUrls = (read(env, 'DATABASE_READ_URLS') ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
  for (const readUrl of readUrls) checkUrl('DATABASE_READ_URLS', readUrl, ['postgres:', 'postgresql:'])

  const stored = loadStoredSecrets(dataDir)
  const before = JSON.stringify(stored)
  const config: Config = {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: read(env, 'HOST') ?? '0.0.0.0',
    dataDir,
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    databaseReadUrls: readUrls,
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:', 'redis+cluster:']),
    redisKeyPrefix: read(env, 'REDIS_KEY_PREFIX') ?? 'ld:',
    natsUrl: url(env, 'NATS_URL', ['nats:', 'tls:']),
    natsStream: name(env, 'NATS_STREAM', 'LIVEDROP'),
    natsSubjectPrefix: name(env, 'NATS_SUBJECT_PREFIX', 'livedrop'),
    role,
    jwtSecret: secret(env, 'JWT_SECRET', stored),
    paymentWebhookSecret: secret(env, 'PAYMENT_WEBHOOK_SECRET', stored),
    holdTtlSeconds: integer(env, 'HOLD_TTL_SECONDS', 600, 1, 7 * 24 * 3600),
    rateLimit: oneOf(env, 'RATE_LIMIT', ['on', 'off'], 'on') === 'on',
    trustProxy: oneOf(env, 'TRUST_PROXY', ['on', 'off'], 'off') === 'on',
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    bodyLimit: integer(env, 'BODY_LIMIT', 1024 * 1024, 1024, 64 * 1024 * 1024),
    countFlushMs: integer(env, 'COUNT_FLUSH_MS', 200, 10, 60_000),
    outboxRetentionHours: integer(env, 'OUTBOX_RETENTION_HOURS', 24, 1, 24 * 365),
    gateReconcileMs: integer(env, 'GATE_RECONCILE_MS', 5_000, 50, 3_600_000),
    wsMaxConnectionsPerIp: integer(env, 'WS_MAX_CONNECTIONS_PER_IP', 200, 1, 1_000_000),
    wsHeartbeatMs: integer(env, 'WS_HEARTBEAT_MS', 30_000, 100, 3_600_000),
    wsMaxBufferedBytes: integer(env, 'WS_MAX_BUFFERED_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
  }
  if (options.persistSecrets !== false && JSON.stringify(stored) !== before) {
    mkdirSync(dataDir, { recursive: true })
    const file = join(dataDir, SECRETS_FILE)
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 })
    // `mode` applies only when the file is created; an existing one may be wider.
    chmodSync(file, 0o600)
  }
  return config
}

export function runsApi(role: Role): boolean {
  return role === 'api' || role === 'all'
}

export function runsWorker(role: Role): boolean {
  return role === 'worker' || role === 'all'
}

export function runsRealtime(role: Role): boolean {
  return role === 'realtime' || role === 'all'
}
