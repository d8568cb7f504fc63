import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, runsApi, runsRealtime, runsWorker } from './config.js'

const dirs: string[] = []
function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'livedrop-config-'))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const SECRET = 's'.repeat(32)

function configError(run: () => unknown): ConfigError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error('expected a ConfigError, but the configuration loaded')
}

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const dataDir = tempDataDir()
    const config = loadConfig({ DATA_DIR: dataDir }, { persistSecrets: false })
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      dataDir,
      databaseUrl: undefined,
      databaseReadUrls: [],
      redisUrl: undefined,
      redisKeyPrefix: 'ld:',
      natsUrl: undefined,
      role: 'all',
      holdTtlSeconds: 600,
      rateLimit: true,
      logLevel: 'info',
      bodyLimit: 1024 * 1024,
      countFlushMs: 200,
    })
    expect(config.jwtSecret.length).toBeGreaterThanOrEqual(32)
    expect(config.paymentWebhookSecret.length).toBeGreaterThanOrEqual(32)
    expect(config.jwtSecret).not.toBe(config.paymentWebhookSecret)
  })

  it('keeps its data in ./data unless DATA_DIR says otherwise', () => {
    expect(loadConfig({}, { persistSecrets: false }).dataDir).toBe(resolve('data'))
  })

  it('reads every variable, trimming blanks and treating empty values as unset', () => {
    const config = loadConfig(
      {
        PORT: ' 8080 ',
        HOST: '127.0.0.1',
        DATA_DIR: tempDataDir(),
        DATABASE_URL: 'postgres://app:pw@db:5432/livedrop',
        DATABASE_READ_URLS: 'postgresql://r1:5432/livedrop, postgres://r2:5432/livedrop,',
        REDIS_URL: 'redis+cluster://r1:6379,r2:6379',
        REDIS_KEY_PREFIX: 'prod:',
        NATS_URL: 'nats://nats:4222',
        LIVEDROP_ROLE: 'worker',
        JWT_SECRET: SECRET,
        PAYMENT_WEBHOOK_SECRET: 'w'.repeat(40),
        HOLD_TTL_SECONDS: '60',
        RATE_LIMIT: 'off',
        LOG_LEVEL: 'warn',
        BODY_LIMIT: '2048',
        COUNT_FLUSH_MS: '1000',
      },
      { persistSecrets: false },
    )
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: 'postgres://app:pw@db:5432/livedrop',
      databaseReadUrls: ['postgresql://r1:5432/livedrop', 'postgres://r2:5432/livedrop'],
      redisUrl: 'redis+cluster://r1:6379,r2:6379',
      redisKeyPrefix: 'prod:',
      natsUrl: 'nats://nats:4222',
      role: 'worker',
      jwtSecret: SECRET,
      paymentWebhookSecret: 'w'.repeat(40),
      holdTtlSeconds: 60,
      rateLimit: false,
      logLevel: 'warn',
      bodyLimit: 2048,
      countFlushMs: 1000,
    })
    expect(loadConfig({ PORT: '', DATA_DIR: tempDataDir() }, { persistSecrets: false }).port).toBe(3000)
  })

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['LIVEDROP_ROLE', 'x'],
    ['DATABASE_URL', 'mysql://root@localhost/livedrop'],
    ['DATABASE_URL', 'not a url'],
    ['DATABASE_READ_URLS', 'postgres://ok:5432/db,redis://nope:6379'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['REDIS_URL', 'redis+cluster://r1:6379,r2:port'],
    ['NATS_URL', 'redis://localhost:4222'],
    ['RATE_LIMIT', 'maybe'],
    ['LOG_LEVEL', 'verbose'],
    ['JWT_SECRET', 'too-short'],
    ['PAYMENT_WEBHOOK_SECRET', 'too-short'],
    ['HOLD_TTL_SECONDS', '0'],
    ['BODY_LIMIT', '1'],
    ['COUNT_FLUSH_MS', 'soon'],
  ])('rejects %s=%s with a ConfigError naming the variable', (variable, value) => {
    const error = configError(() =>
      loadConfig({ DATA_DIR: tempDataDir(), [variable]: value }, { persistSecrets: false }),
    )
    expect(error.variable).toBe(variable)
    expect(error.message).toContain(variable)
  })

  it('never repeats a database password in its error messages', () => {
    const error = configError(() =>
      loadConfig(
        { DATA_DIR: tempDataDir(), DATABASE_URL: 'postgres://app:hunter2@db host/livedrop' },
        { persistSecrets: false },
      ),
    )
    expect(error.variable).toBe('DATABASE_URL')
    expect(error.message).not.toContain('hunter2')
  })

  it('generates secrets once into DATA_DIR/secrets.json, readable by the owner only, and reuses them', () => {
    const dataDir = tempDataDir()
    const first = loadConfig({ DATA_DIR: dataDir })
    const file = join(dataDir, 'secrets.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      JWT_SECRET: first.jwtSecret,
      PAYMENT_WEBHOOK_SECRET: first.paymentWebhookSecret,
    })
    const written = readFileSync(file, 'utf8')

    const second = loadConfig({ DATA_DIR: dataDir })
    expect(second.jwtSecret).toBe(first.jwtSecret)
    expect(second.paymentWebhookSecret).toBe(first.paymentWebhookSecret)
    expect(readFileSync(file, 'utf8')).toBe(written)
  })

  it('creates DATA_DIR when it does not exist yet', () => {
    const dataDir = join(tempDataDir(), 'nested', 'data')
    const config = loadConfig({ DATA_DIR: dataDir })
    expect(JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')).JWT_SECRET).toBe(config.jwtSecret)
  })

  it('prefers explicit secrets and stores only the ones it had to generate', () => {
    const dataDir = tempDataDir()
    const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET: SECRET })
    expect(config.jwtSecret).toBe(SECRET)
    const stored = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8'))
    expect(stored).toEqual({ PAYMENT_WEBHOOK_SECRET: config.paymentWebhookSecret })
    // An explicit value wins over a stored one, too.
    const explicit = 'p'.repeat(32)
    expect(loadConfig({ DATA_DIR: dataDir, PAYMENT_WEBHOOK_SECRET: explicit }).paymentWebhookSecret).toBe(
      explicit,
    )
  })

  it('writes nothing when every secret is given', () => {
    const dataDir = tempDataDir()
    loadConfig({ DATA_DIR: dataDir, JWT_SECRET: SECRET, PAYMENT_WEBHOOK_SECRET: SECRET })
    expect(existsSync(join(dataDir, 'secrets.json'))).toBe(false)
  })

  it('writes nothing with persistSecrets: false', () => {
    const dataDir = tempDataDir()
    loadConfig({ DATA_DIR: dataDir }, { persistSecrets: false })
    expect(existsSync(join(dataDir, 'secrets.json'))).toBe(false)
  })

  it('tightens an existing secrets.json to owner-only when it adds a secret to it', () => {
    const dataDir = tempDataDir()
    const file = join(dataDir, 'secrets.json')
    writeFileSync(file, JSON.stringify({ JWT_SECRET: SECRET }), { mode: 0o644 })
    chmodSync(file, 0o644)
    const config = loadConfig({ DATA_DIR: dataDir })
    expect(config.jwtSecret).toBe(SECRET)
    expect(statSync(file).mode & 0o777).toBe(0o600)
  })

  it('refuses to start on an unreadable secrets.json instead of silently replacing the secrets', () => {
    const dataDir = tempDataDir()
    const file = join(dataDir, 'secrets.json')
    writeFileSync(file, '{ "JWT_SECRET": ', { mode: 0o600 })
    const error = configError(() => loadConfig({ DATA_DIR: dataDir }))
    expect(error.variable).toBe('DATA_DIR')
    expect(error.message).toContain('secrets.json')
    expect(readFileSync(file, 'utf8')).toBe('{ "JWT_SECRET": ')
  })

  it('lets --role override LIVEDROP_ROLE, and names --role when it is wrong', () => {
    const env = { DATA_DIR: tempDataDir(), LIVEDROP_ROLE: 'worker' }
    expect(loadConfig(env, { persistSecrets: false }).role).toBe('worker')
    expect(loadConfig(env, { role: 'api', persistSecrets: false }).role).toBe('api')
    expect(loadConfig(env, { role: 'realtime', persistSecrets: false }).role).toBe('realtime')
    const error = configError(() => loadConfig(env, { role: 'web', persistSecrets: false }))
    expect(error.variable).toBe('--role')
    expect(error.message).toContain('--role')
  })
})

describe('roles', () => {
  it('maps each role to the parts of LiveDrop it runs; all runs everything', () => {
    const table = (['api', 'realtime', 'worker', 'all'] as const).map((role) => [
      role,
      runsApi(role),
      runsRealtime(role),
      runsWorker(role),
    ])
    expect(table).toEqual([
      ['api', true, false, false],
      ['realtime', false, true, false],
      ['worker', false, false, true],
      ['all', true, true, true],
    ])
  })
})

describe('README', () => {
  it('documents exactly the variables the configuration reads', () => {
    const source = readFileSync(fileURLToPath(new URL('./config.ts', import.meta.url)), 'utf8')
    const read = [
      ...source.matchAll(/\b(?:read|integer|oneOf|url|secret|name)\(env, '([A-Z][A-Z0-9_]*)'/g),
    ].map((match) => match[1])
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8')
    const documented = [...readme.matchAll(/^\| `([A-Z][A-Z0-9_]*)`\s*\|/gm)].map((match) => match[1])
    expect(read.length).toBeGreaterThan(10)
    expect([...new Set(documented)].sort()).toEqual([...new Set(read)].sort())
  })
})
