import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { type Client, client, register } from './support/client.js'
import {
  describeShapes,
  isolatedDatabase,
  type Shape,
  type StartOptions,
  startApp,
  type TestApp,
} from './support/engines.js'

const V1 = '/api/v1'
const PASSWORD = 'Correct-horse-9'

async function followerCount(api: Client, creatorId: string, expected: number, withinMs = 2000) {
  const started = Date.now()
  for (;;) {
    const reply = await api.get(`${V1}/creators/${creatorId}`)
    expect(reply.status).toBe(200)
    if (reply.body.follower_count === expected || Date.now() - started > withinMs) {
      return reply.body.follower_count as number
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describeShapes('restart on the same data', (shape) => {
  const cleanups: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  /** Where one "deployment" keeps its state: a data directory and, on the postgres shape, a database. */
  async function storage(): Promise<{ dataDir: string; options: StartOptions }> {
    const dataDir = await mkdtemp(join(tmpdir(), 'livedrop-restart-'))
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }))
    const database = shape.databaseUrl ? await isolatedDatabase(shape.databaseUrl) : undefined
    if (database) cleanups.push(() => database.drop())
    return { dataDir, options: { pgliteDir: join(dataDir, 'pglite'), databaseUrl: database?.url } }
  }

  async function start(s: Shape, env: Record<string, string>, options: StartOptions): Promise<TestApp> {
    const server = await startApp(s, env, options)
    let closed = false
    const close = server.close
    server.close = async () => {
      if (closed) return
      closed = true
      await close()
    }
    cleanups.push(() => server.close())
    return server
  }

  it('keeps accounts, sessions, follows and counts', async () => {
    const { dataDir, options } = await storage()
    const env = { DATA_DIR: dataDir, JWT_SECRET: randomBytes(32).toString('hex') }

    let server = await start(shape, env, options)
    let api = client(server.url)
    const owner = await register(api)
    const creator = (await api.post(`${V1}/creators`, { creator_name: 'Persisted' }, owner.access_token)).body
    const fans = await Promise.all([register(api), register(api), register(api), register(api)])
    const follows = new Map<string, string>()
    for (const fan of fans.slice(0, 3)) {
      const reply = await api.post(`${V1}/follows`, { creator_id: creator.creator_id }, fan.access_token)
      expect(reply.status).toBe(201)
      follows.set(fan.user.user_id, reply.body.created_at)
    }
    expect(await followerCount(api, creator.creator_id, 3)).toBe(3)
    await api.delete(`${V1}/follows/${creator.creator_id}`, fans[2]!.access_token)
    follows.delete(fans[2]!.user.user_id)
    // The last follow's +1 may still be an unfolded delta when the process stops.
    const late = await api.post(`${V1}/follows`, { creator_id: creator.creator_id }, fans[3]!.access_token)
    follows.set(fans[3]!.user.user_id, late.body.created_at)
    const followersBefore = (await api.get(`${V1}/creators/${creator.creator_id}/followers`)).body
    const used = await api.post(`${V1}/auth/refresh`, { refresh_token: fans[1]!.refresh_token })
    expect(used.status).toBe(200)
    await server.close()

    server = await start(shape, env, options)
    api = client(server.url)

    // Old access tokens still verify; users can still log in.
    const me = await api.get(`${V1}/me`, owner.access_token)
    expect(me.status).toBe(200)
    expect(me.body.roles).toEqual(expect.arrayContaining(['creator']))
    const login = await api.post(`${V1}/auth/login`, { email: fans[0]!.user.email, password: PASSWORD })
    expect(login.status).toBe(200)
    expect(login.body.user.user_id).toBe(fans[0]!.user.user_id)

    // Refresh tokens still rotate, and reuse detection remembers what was rotated before the restart.
    const rotated = await api.post(`${V1}/auth/refresh`, { refresh_token: fans[0]!.refresh_token })
    expect(rotated.status).toBe(200)
    expect((await api.get(`${V1}/me`, rotated.body.access_token)).status).toBe(200)
    const reused = await api.post(`${V1}/auth/refresh`, { refresh_token: fans[1]!.refresh_token })
    expect(reused.status).toBe(401)
    expect((await api.post(`${V1}/auth/refresh`, { refresh_token: used.body.refresh_token })).status).toBe(
      401,
    )

    // The follow graph and its counts are still there.
    expect((await api.get(`${V1}/creators/${creator.creator_id}`)).body).toMatchObject({
      creator_name: 'Persisted',
      user_id: owner.user.user_id,
    })
    expect((await api.get(`${V1}/creators/${creator.creator_id}/followers`)).body).toEqual(followersBefore)
    for (const fan of fans) {
      const status = await api.get(`${V1}/follows/${fan.user.user_id}/${creator.creator_id}/status`)
      const since = follows.get(fan.user.user_id)
      expect(status.body).toEqual({ following: since !== undefined, since: since ?? null })
    }
    expect(await followerCount(api, creator.creator_id, 3, 1000)).toBe(3)
    const again = await api.post(`${V1}/follows`, { creator_id: creator.creator_id }, fans[0]!.access_token)
    expect(again.status).toBe(200)
    expect(again.body.created_at).toBe(follows.get(fans[0]!.user.user_id))
    await api.post(`${V1}/follows`, { creator_id: creator.creator_id }, fans[2]!.access_token)
    expect(await followerCount(api, creator.creator_id, 4, 1000)).toBe(4)
    await server.close()

    // A different key: old access tokens die, while the stored refresh tokens still work.
    server = await start(shape, { ...env, JWT_SECRET: randomBytes(32).toString('hex') }, options)
    api = client(server.url)
    expect((await api.get(`${V1}/me`, owner.access_token)).status).toBe(401)
    const fresh = await api.post(`${V1}/auth/refresh`, { refresh_token: owner.refresh_token })
    expect(fresh.status).toBe(200)
    expect((await api.get(`${V1}/me`, fresh.body.access_token)).status).toBe(200)
    expect(await followerCount(api, creator.creator_id, 4, 1000)).toBe(4)
  })

  it('without JWT_SECRET, the secret generated into DATA_DIR keeps tokens valid across a restart', async () => {
    const { dataDir, options } = await storage()
    // Empty values unset the test defaults, so the app generates and stores its own secrets.
    const env = { DATA_DIR: dataDir, JWT_SECRET: '', PAYMENT_WEBHOOK_SECRET: '' }
    const persisted = { ...options, persistSecrets: true }

    let server = await start(shape, env, persisted)
    const secrets = JSON.parse(await readFile(join(dataDir, 'secrets.json'), 'utf8'))
    expect(secrets.JWT_SECRET).toBe(server.config.jwtSecret)
    expect(secrets.JWT_SECRET.length).toBeGreaterThanOrEqual(32)
    expect(secrets.PAYMENT_WEBHOOK_SECRET).toBe(server.config.paymentWebhookSecret)
    expect((await stat(join(dataDir, 'secrets.json'))).mode & 0o777).toBe(0o600)
    let api = client(server.url)
    const session = await register(api)
    expect((await api.get(`${V1}/me`, session.access_token)).status).toBe(200)
    await server.close()

    server = await start(shape, env, persisted)
    expect(server.config.jwtSecret).toBe(secrets.JWT_SECRET)
    api = client(server.url)
    const me = await api.get(`${V1}/me`, session.access_token)
    expect(me.status).toBe(200)
    expect(me.body.user_id).toBe(session.user.user_id)
    expect((await api.post(`${V1}/auth/refresh`, { refresh_token: session.refresh_token })).status).toBe(200)
    // The file was read, not rewritten.
    expect(JSON.parse(await readFile(join(dataDir, 'secrets.json'), 'utf8'))).toEqual(secrets)
  })
})
