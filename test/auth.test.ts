import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Client, client, register } from './support/client.js'
import { describeShapes, startApp, type TestApp } from './support/engines.js'

const PASSWORD = 'Correct-horse-9'

describeShapes('auth and users', (shape) => {
  let server: TestApp
  let api: Client
  beforeAll(async () => {
    server = await startApp(shape)
    api = client(server.url)
  })
  afterAll(() => server?.close())

  it('registers, returns the user and tokens, and /me answers with the same user', async () => {
    const reply = await api.post('/api/v1/auth/register', {
      email: 'Ada@Example.test',
      username: 'ada',
      password: PASSWORD,
    })
    expect(reply.status).toBe(201)
    expect(reply.body.user).toMatchObject({
      email: 'Ada@Example.test',
      username: 'ada',
      roles: ['shopper'],
      profile_image_url: null,
    })
    expect(reply.body.user).not.toHaveProperty('password_hash')
    expect(typeof reply.body.access_token).toBe('string')
    const me = await api.get('/api/v1/me', reply.body.access_token)
    expect(me.status).toBe(200)
    expect(me.body).toEqual(reply.body.user)
  })

  it('rejects a duplicate email or username with 409 already_exists', async () => {
    await register(api, 'dupe')
    const sameEmail = await api.post('/api/v1/auth/register', {
      email: 'DUPE@example.test',
      username: 'other1',
      password: PASSWORD,
    })
    expect(sameEmail.status).toBe(409)
    expect(sameEmail.body.code).toBe('already_exists')
    const sameName = await api.post('/api/v1/auth/register', {
      email: 'new@example.test',
      username: 'Dupe',
      password: PASSWORD,
    })
    expect(sameName.status).toBe(409)
    expect(sameName.body.code).toBe('already_exists')
  })

  it('rejects weak passwords with 400 validation_failed and writes nothing', async () => {
    for (const password of ['short1', 'alllowercaseletters', 'password123']) {
      const reply = await api.post('/api/v1/auth/register', {
        email: 'weak@example.test',
        username: 'weak',
        password,
      })
      expect(reply.status).toBe(400)
      expect(reply.body.code).toBe('validation_failed')
      expect(reply.headers.get('content-type')).toContain('application/problem+json')
    }
    const login = await api.post('/api/v1/auth/login', {
      email: 'weak@example.test',
      password: 'password123',
    })
    expect(login.status).toBe(401)
  })

  it('logs in, and answers a wrong password exactly like an unknown email', async () => {
    const session = await register(api)
    const ok = await api.post('/api/v1/auth/login', { email: session.user.email, password: PASSWORD })
    expect(ok.status).toBe(200)
    expect(ok.body.user.user_id).toBe(session.user.user_id)
    const wrong = await api.post('/api/v1/auth/login', {
      email: session.user.email,
      password: 'Wrong-pass-1',
    })
    const unknown = await api.post('/api/v1/auth/login', {
      email: 'nobody@example.test',
      password: 'Wrong-pass-1',
    })
    expect(wrong.status).toBe(401)
    expect(wrong.body.code).toBe('invalid_credentials')
    expect(unknown.status).toBe(wrong.status)
    expect(unknown.body).toEqual(wrong.body)
  })

  it('rotates refresh tokens and revokes the whole family when an old one is reused', async () => {
    const session = await register(api)
    const first = await api.post('/api/v1/auth/refresh', { refresh_token: session.refresh_token })
    expect(first.status).toBe(200)
    expect(first.body.refresh_token).not.toBe(session.refresh_token)
    const me = await api.get('/api/v1/me', first.body.access_token)
    expect(me.status).toBe(200)

    const reuse = await api.post('/api/v1/auth/refresh', { refresh_token: session.refresh_token })
    expect(reuse.status).toBe(401)
    expect(reuse.body.code).toBe('unauthenticated')
    // The reuse revoked the family: the newest token is dead too.
    const afterReuse = await api.post('/api/v1/auth/refresh', { refresh_token: first.body.refresh_token })
    expect(afterReuse.status).toBe(401)
  })

  it('logs out: the refresh token stops working; logout is 204 even for unknown tokens', async () => {
    const session = await register(api)
    expect((await api.post('/api/v1/auth/logout', { refresh_token: session.refresh_token })).status).toBe(204)
    expect((await api.post('/api/v1/auth/refresh', { refresh_token: session.refresh_token })).status).toBe(
      401,
    )
    expect((await api.post('/api/v1/auth/logout', { refresh_token: 'never-issued' })).status).toBe(204)
  })

  it('answers 401 unauthenticated without a token, with a bad token, or a forged one', async () => {
    for (const token of [undefined, 'garbage', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.AAAA']) {
      const reply = await api.get('/api/v1/me', token)
      expect(reply.status).toBe(401)
      expect(reply.body.code).toBe('unauthenticated')
    }
  })

  it('serves public profiles without the email; only the owner may edit', async () => {
    const owner = await register(api)
    const other = await register(api)
    const profile = await api.get(`/api/v1/users/${owner.user.user_id}/profile`)
    expect(profile.status).toBe(200)
    expect(Object.keys(profile.body).sort()).toEqual([
      'created_at',
      'profile_image_url',
      'user_id',
      'username',
    ])

    const update = { profile_image_url: 'https://img.example.test/a.png' }
    const denied = await api.put(`/api/v1/users/${owner.user.user_id}/profile`, update, other.access_token)
    expect(denied.status).toBe(403)
    expect(denied.body.code).toBe('forbidden')
    const anonymous = await api.put(`/api/v1/users/${owner.user.user_id}/profile`, update)
    expect(anonymous.status).toBe(401)

    const done = await api.put(`/api/v1/users/${owner.user.user_id}/profile`, update, owner.access_token)
    expect(done.status).toBe(200)
    expect(done.body.profile_image_url).toBe(update.profile_image_url)
    const taken = await api.put(
      `/api/v1/users/${owner.user.user_id}/profile`,
      { username: other.user.username },
      owner.access_token,
    )
    expect(taken.status).toBe(409)
    expect(taken.body.code).toBe('already_exists')
    const missing = await api.get('/api/v1/users/01900000-0000-7000-8000-000000000000/profile')
    expect(missing.status).toBe(404)
    expect(missing.body.code).toBe('not_found')
  })
})
