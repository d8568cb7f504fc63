import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rowsOf } from '../src/platform/db/index.js'
import { type Client, client, type Reply, register } from './support/client.js'
import { describeShapes, startApp, type TestApp } from './support/engines.js'

const V1 = '/api/v1'
const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000'
const PASSWORD = 'Correct-horse-9'
const b64 = (value: string) => Buffer.from(value).toString('base64url')

/** Every error answer: RFC 9457 problem+json with the documented members and a stable code. */
function expectProblem(reply: Reply, status: number, code: string, label: string) {
  expect(reply.status, `${label}: ${JSON.stringify(reply.body)}`).toBe(status)
  expect(reply.headers.get('content-type'), label).toMatch(/^application\/problem\+json/)
  expect(reply.body, label).toMatchObject({ status, code })
  for (const member of ['type', 'title', 'detail', 'code'] as const) {
    expect(typeof reply.body[member], `${label}: ${member}`).toBe('string')
  }
  if (code === 'validation_failed') {
    expect(Array.isArray(reply.body.errors), label).toBe(true)
    expect(reply.body.errors.length, label).toBeGreaterThan(0)
    for (const error of reply.body.errors) {
      expect(typeof error.path, label).toBe('string')
      expect(typeof error.message, label).toBe('string')
    }
  }
}

interface Case {
  label: string
  method: string
  path: string
  body?: unknown
  raw?: string
  headers?: Record<string, string>
  auth?: boolean
  status: number
  code: string
  /** A field path the validation errors must name. */
  errorPath?: string
}

describeShapes('bad input', (shape) => {
  let server: TestApp
  let api: Client
  let owner: Awaited<ReturnType<typeof register>>
  let fan: Awaited<ReturnType<typeof register>>
  let creatorId: string

  /** Row counts of every table a request could have written to. */
  async function snapshot() {
    const [row] = rowsOf<Record<string, string | number>>(
      await server.app.db.primary.execute(sql`
        SELECT (SELECT count(*) FROM users) AS users,
               (SELECT count(*) FROM creators) AS creators,
               (SELECT count(*) FROM follows) AS follows,
               (SELECT count(*) FROM refresh_tokens) AS refresh_tokens,
               (SELECT count(*) FROM follower_count_deltas) + (SELECT coalesce(sum(follower_count), 0) FROM follower_counts) AS counted,
               (SELECT max(updated_at)::text FROM users) AS users_updated,
               (SELECT max(updated_at)::text FROM creators) AS creators_updated`),
    )
    const followers = await api.get(`${V1}/creators/${creatorId}/followers?limit=100`)
    const me = await api.get(`${V1}/me`, fan.access_token)
    return { counts: Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, String(v)])), followers, me }
  }

  beforeAll(async () => {
    server = await startApp(shape, { BODY_LIMIT: '2048' })
    api = client(server.url)
    owner = await register(api)
    fan = await register(api)
    const creator = await api.post(`${V1}/creators`, { creator_name: 'Target' }, owner.access_token)
    creatorId = creator.body.creator_id
    await api.post(`${V1}/follows`, { creator_id: creatorId }, fan.access_token)
  })
  afterAll(() => server?.close())

  it('answers every bad request with a 4xx problem and writes nothing', async () => {
    const before = await snapshot()
    const register = (extra: Record<string, unknown>) => ({
      email: 'new@example.test',
      username: 'newbie',
      password: PASSWORD,
      ...extra,
    })
    const big = 'x'.repeat(3000)
    const cases: Case[] = [
      // Not JSON at all, or not a JSON object.
      {
        label: 'malformed json',
        method: 'POST',
        path: '/auth/register',
        raw: '{"email": ',
        status: 400,
        code: 'malformed_json',
      },
      {
        label: 'unquoted keys',
        method: 'POST',
        path: '/follows',
        raw: `{creator_id: "${creatorId}"}`,
        auth: true,
        status: 400,
        code: 'malformed_json',
      },
      {
        label: 'trailing garbage',
        method: 'POST',
        path: '/follows',
        raw: `{"creator_id":"${creatorId}"} x`,
        auth: true,
        status: 400,
        code: 'malformed_json',
      },
      {
        label: 'empty json body',
        method: 'POST',
        path: '/follows',
        raw: '',
        auth: true,
        status: 400,
        code: 'malformed_json',
      },
      {
        label: 'empty json body (register)',
        method: 'POST',
        path: '/auth/register',
        raw: '',
        status: 400,
        code: 'malformed_json',
      },
      {
        label: 'no body at all',
        method: 'POST',
        path: '/follows',
        auth: true,
        status: 400,
        code: 'validation_failed',
      },
      {
        label: 'json null',
        method: 'POST',
        path: '/follows',
        raw: 'null',
        auth: true,
        status: 400,
        code: 'validation_failed',
      },
      {
        label: 'json array',
        method: 'POST',
        path: '/creators',
        raw: '[]',
        auth: true,
        status: 400,
        code: 'validation_failed',
      },
      {
        label: 'json string',
        method: 'POST',
        path: '/auth/login',
        raw: '"hello"',
        status: 400,
        code: 'validation_failed',
      },
      {
        label: 'prototype pollution',
        method: 'POST',
        path: '/follows',
        raw: `{"creator_id":"${creatorId}","__proto__":{"admin":true}}`,
        auth: true,
        status: 400,
        code: 'malformed_json',
      },
      // Wrong types are refused, never coerced.
      {
        label: 'number for a string',
        method: 'POST',
        path: '/creators',
        body: { creator_name: 42 },
        auth: true,
        status: 400,
        code: 'validation_failed',
        errorPath: 'body/creator_name',
      },
      {
        label: 'boolean for a string',
        method: 'POST',
        path: '/auth/register',
        body: register({ username: true }),
        status: 400,
        code: 'validation_failed',
        errorPath: 'body/username',
      },
      {
        label: 'array for a string',
        method: 'POST',
        path: '/follows',
        body: { creator_id: [creatorId] },
        auth: true,
        status: 400,
        code: 'validation_failed',
        errorPath: 'body/creator_id',
      },
      {
        label: 'object for a string',
        method: 'POST',
        path: '/auth/login',
        body: { email: { $ne: null }, password: PASSWORD },
        status: 400,
        code: 'validation_failed',
        errorPath: 'body/email',
      },
      {
        label: 'number password',
        method: 'POST',
        path: '/auth/register',
        body: register({ password: 12345678901 }),
        status: 400,
        code: 'validation_failed',
        errorPath: 'body/password',
      },
      {
        label: 'null bio where a name is required',
        method: 'POST',
        path: '/creators',
        body: { creator_name: null },
        auth: true,
        status: 400,
        code: 'validation_failed',
        errorPath: 'body/creator_name',
      },
      {
        label: 'missing field',
        method: 'POST',
        path: '/auth/login',
        body: { email: owner.user.email },
        status: 400,
        code: 'validation_failed',
        errorPath: 'body/password',
      },
      // Unknown fields are refused, not dropped.
      {
        label: 'unknown field (register)',
        method: 'POST',
        path: '/auth/register',
        body: register({ roles: ['admin'] }),
        status: 400,
        code: 'validation_failed',
        errorPath: 'body/roles',
      },
      {
        label: 'unknown field (follow)',
        method: 'POST',
        path: '/follows',
        body: { creator_id: creatorId, user_id: owner.user.user_id },
        auth: true,
        status: 400,
        code: 'validation_failed',
        errorPath: 'body/user_id',
      },
      {
        label: 'unknown field (creator)',
        method: 'POST',
        path: '/creators',
        body: { creator_name: 'X', is_verified: true },
        auth: true,
        status: 400,
        code: 'validation_failed',
        errorPath: 'body/is_verified',
      },
      {
        label: 'unknown field (profile)',
        method: 'PUT',
        path: `/users/${fan.user.user_id}/profile`,
        body: { roles: ['admin'] },
        auth: true,
        status: 400,
        code: 'validation_failed',
        errorPath: 'body/roles',
      },
      {
        label: 'unknown field (refresh)',
        method: 'POST',
        path: '/auth/refresh',
        body: { refresh_token: fan.refresh_token, user_id: owner.user.user_id },
        status: 400,
        code: 'validation_failed',
        errorPath: 'body/user_id',
      },
      // Too large, or not JSON.
      {
        label: 'oversized body',
        method: 'POST',
        path: '/creators',
        body: { creator_name: 'Big', bio: big },
        auth: true,
        status: 413,
        code: 'payload_too_large',
      },
      {
        label: 'oversized register',
        method: 'POST',
        path: '/auth/register',
        body: register({ username: big }),
        status: 413,
        code: 'payload_too_large',
      },
      {
        label: 'text/plain',
        method: 'POST',
        path: '/follows',
        raw: `{"creator_id":"${creatorId}"}`,
        headers: { 'content-type': 'text/plain' },
        auth: true,
        status: 415,
        code: 'unsupported_media_type',
      },
      {
        label: 'text/plain register',
        method: 'POST',
        path: '/auth/register',
        raw: JSON.stringify(register({})),
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        status: 415,
        code: 'unsupported_media_type',
      },
      {
        label: 'xml',
        method: 'POST',
        path: '/creators',
        raw: '<creator_name>X</creator_name>',
        headers: { 'content-type': 'application/xml' },
        auth: true,
        status: 415,
        code: 'unsupported_media_type',
      },
      {
        label: 'form',
        method: 'POST',
        path: '/auth/login',
        raw: `email=${owner.user.email}&password=${PASSWORD}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        status: 415,
        code: 'unsupported_media_type',
      },
      {
        label: 'multipart',
        method: 'POST',
        path: '/follows',
        raw: '--b\r\n\r\nx\r\n--b--',
        headers: { 'content-type': 'multipart/form-data; boundary=b' },
        auth: true,
        status: 415,
        code: 'unsupported_media_type',
      },
      // Bad ids in paths.
      {
        label: 'bad creator id',
        method: 'GET',
        path: '/creators/not-a-uuid',
        status: 400,
        code: 'validation_failed',
        errorPath: 'params/creator_id',
      },
      {
        label: 'bad creator id (followers)',
        method: 'GET',
        path: '/creators/123/followers',
        status: 400,
        code: 'validation_failed',
        errorPath: 'params/creator_id',
      },
      {
        label: 'bad user id (following)',
        method: 'GET',
        path: '/users/abc/following',
        status: 400,
        code: 'validation_failed',
        errorPath: 'params/user_id',
      },
      {
        label: 'bad user id (profile)',
        method: 'GET',
        path: "/users/1'%20OR%201=1/profile",
        status: 400,
        code: 'validation_failed',
        errorPath: 'params/user_id',
      },
      {
        label: 'bad ids (status)',
        method: 'GET',
        path: `/follows/x/${creatorId}/status`,
        status: 400,
        code: 'validation_failed',
        errorPath: 'params/user_id',
      },
      {
        label: 'bad id (unfollow)',
        method: 'DELETE',
        path: `/follows/${creatorId}x`,
        auth: true,
        status: 400,
        code: 'validation_failed',
        errorPath: 'params/creator_id',
      },
      {
        label: 'bad id (profile update)',
        method: 'PUT',
        path: '/users/00000000-0000-0000-0000-00000000000g/profile',
        body: { username: 'zed' },
        auth: true,
        status: 400,
        code: 'validation_failed',
        errorPath: 'params/user_id',
      },
      // Bad cursors: garbage, base64 of the wrong shape, impossible values.
      ...[
        ['garbage', '!!!'],
        ['not base64 json', 'abc'],
        ['json object', b64('{"a":1}')],
        ['numbers', b64('[1,2]')],
        ['too short', b64('["2026-01-01T00:00:00.000Z"]')],
        ['too long', b64(`["2026-01-01T00:00:00.000Z","${UNKNOWN_ID}",1]`)],
        ['bad uuid', b64('["2026-01-01T00:00:00.000Z","not-a-uuid"]')],
        ['bad date', b64(`["yesterday","${UNKNOWN_ID}"]`)],
        ['impossible date', b64(`["2026-02-30T00:00:00.000Z","${UNKNOWN_ID}"]`)],
        ['impossible time', b64(`["2026-01-01T24:61:00.000Z","${UNKNOWN_ID}"]`)],
        ['year zero', b64(`["0000-01-01T00:00:00.000Z","${UNKNOWN_ID}"]`)],
        ['huge', 'A'.repeat(600)],
      ].flatMap(([name, cursor]) =>
        [`/creators`, `/creators/${creatorId}/followers`, `/users/${fan.user.user_id}/following`].map(
          (path): Case => ({
            label: `cursor ${name} on ${path}`,
            method: 'GET',
            path: `${path}?cursor=${encodeURIComponent(cursor!)}`,
            status: 400,
            code: 'validation_failed',
            errorPath: 'querystring/cursor',
          }),
        ),
      ),
      // Bad limits.
      ...['0', '101', 'abc', '-1', '1.5', '', '99999999999999999999'].flatMap((limit) =>
        [`/creators`, `/creators/${creatorId}/followers`, `/users/${fan.user.user_id}/following`].map(
          (path): Case => ({
            label: `limit "${limit}" on ${path}`,
            method: 'GET',
            path: `${path}?limit=${limit}`,
            status: 400,
            code: 'validation_failed',
            errorPath: 'querystring/limit',
          }),
        ),
      ),
      {
        label: 'q too long',
        method: 'GET',
        path: `/creators?q=${'a'.repeat(101)}`,
        status: 400,
        code: 'validation_failed',
        errorPath: 'querystring/q',
      },
      // Strings PostgreSQL cannot store.
      {
        label: 'NUL in a creator name',
        method: 'POST',
        path: '/creators',
        body: { creator_name: 'Nul\u0000Name' },
        auth: true,
        status: 400,
        code: 'validation_failed',
        errorPath: 'body/creator_name',
      },
      {
        label: 'NUL in a bio',
        method: 'POST',
        path: '/creators',
        body: { creator_name: 'Ok', bio: 'a\u0000b' },
        auth: true,
        status: 400,
        code: 'validation_failed',
        errorPath: 'body/bio',
      },
      {
        label: 'NUL in a login email',
        method: 'POST',
        path: '/auth/login',
        body: { email: 'a\u0000@example.test', password: PASSWORD },
        status: 400,
        code: 'validation_failed',
        errorPath: 'body/email',
      },
      {
        label: 'NUL in a search',
        method: 'GET',
        path: '/creators?q=a%00b',
        status: 400,
        code: 'validation_failed',
        errorPath: 'querystring/q',
      },
      // Unknown routes and methods.
      { label: 'unknown route', method: 'GET', path: '/nope', status: 404, code: 'not_found' },
      {
        label: 'unknown nested route',
        method: 'POST',
        path: `/creators/${creatorId}/nope`,
        body: {},
        status: 404,
        code: 'not_found',
      },
      {
        label: 'unknown method',
        method: 'PATCH',
        path: `/creators/${creatorId}`,
        body: { creator_name: 'X' },
        status: 404,
        code: 'not_found',
      },
      // Bad credentials where a token is needed.
      {
        label: 'basic auth',
        method: 'POST',
        path: '/follows',
        body: { creator_id: creatorId },
        headers: { authorization: 'Basic dXNlcjpwYXNz' },
        status: 401,
        code: 'unauthenticated',
      },
      {
        label: 'bearer without token',
        method: 'POST',
        path: '/follows',
        body: { creator_id: creatorId },
        headers: { authorization: 'Bearer' },
        status: 401,
        code: 'unauthenticated',
      },
      {
        label: 'garbage token',
        method: 'DELETE',
        path: `/follows/${creatorId}`,
        headers: { authorization: 'Bearer a.b.c' },
        status: 401,
        code: 'unauthenticated',
      },
    ]

    // Every case runs, so one run reports every mismatch.
    const failures: string[] = []
    for (const c of cases) {
      const reply = await api.request(c.method, `${V1}${c.path}`, {
        body: c.body,
        raw: c.raw,
        headers: c.headers,
        token: c.auth ? fan.access_token : undefined,
      })
      try {
        expectProblem(reply, c.status, c.code, c.label)
        if (c.errorPath) {
          expect(
            reply.body.errors.map((e: { path: string }) => e.path),
            c.label,
          ).toContain(c.errorPath)
        }
      } catch (error) {
        failures.push((error as Error).message.split('\n')[0]!)
      }
    }
    expect(failures).toEqual([])
    // Outside the API prefix too.
    expectProblem(await api.get('/nope'), 404, 'not_found', 'unknown root route')

    const after = await snapshot()
    expect(after.counts).toEqual(before.counts)
    expect(after.followers.body).toEqual(before.followers.body)
    expect(after.me.body).toEqual(before.me.body)
    expect(after.me.body.roles).toEqual(['shopper'])
  })

  it('never answers 500 to odd but harmless input', async () => {
    const odd: [string, string][] = [
      ['GET', `${V1}/creators?q=${encodeURIComponent('%_\\')}`],
      ['GET', `${V1}/creators?q=%FF%FE`],
      ['GET', `${V1}/creators?q=${encodeURIComponent("'; DROP TABLE users; --")}`],
      ['GET', `${V1}/creators?q=${encodeURIComponent('🦄 ñandú')}`],
      ['GET', `${V1}/creators/%E0%A4%A`],
      ['GET', `${V1}/creators/${'a'.repeat(300)}`],
      ['GET', `${V1}/users/${UNKNOWN_ID}/following?limit=1&limit=2`],
      ['GET', `${V1}/creators?unknown=1`],
    ]
    for (const [method, path] of odd) {
      const reply = await api.request(method, path)
      expect(reply.status, path).toBeLessThan(500)
      if (reply.status >= 400) expectProblem(reply, reply.status, reply.body.code, path)
    }
    // PostgreSQL text cannot hold U+0000: such strings are refused up front, wherever they appear.
    const login = await api.post(`${V1}/auth/login`, { email: owner.user.email, password: 'x\u0000y' })
    expectProblem(login, 400, 'validation_failed', 'NUL in a password')
    expect(login.body.errors).toEqual([{ path: 'body/password', message: expect.any(String) }])
  })
})

describeShapes('rate limiting', (shape) => {
  let server: TestApp
  let api: Client
  beforeAll(async () => {
    server = await startApp(shape, { RATE_LIMIT: 'on' })
    api = client(server.url)
  })
  afterAll(() => server?.close())

  it('sends RateLimit headers on normal responses', async () => {
    const first = await api.get(`${V1}/creators`)
    const second = await api.get(`${V1}/creators`)
    expect(first.status).toBe(200)
    for (const reply of [first, second]) {
      expect(Number(reply.headers.get('ratelimit-limit'))).toBeGreaterThan(0)
      expect(reply.headers.get('ratelimit-remaining')).toMatch(/^\d+$/)
      expect(Number(reply.headers.get('ratelimit-reset'))).toBeGreaterThan(0)
      expect(Number(reply.headers.get('ratelimit-reset'))).toBeLessThanOrEqual(60)
    }
    expect(Number(second.headers.get('ratelimit-remaining'))).toBe(
      Number(first.headers.get('ratelimit-remaining')) - 1,
    )
  })

  it('answers more than 20 logins a minute from one address with 429 rate_limited', async () => {
    const session = await register(api)
    const statuses: number[] = []
    let limited: Reply | undefined
    for (let i = 0; i < 25 && !limited; i++) {
      // Different emails, so only the per-address budget runs out.
      const reply = await api.post(`${V1}/auth/login`, {
        email: `nobody${i}@example.test`,
        password: 'Wrong-pass-1',
      })
      statuses.push(reply.status)
      if (reply.status === 429) limited = reply
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401))
    expect(limited).toBeDefined()
    expectProblem(limited!, 429, 'rate_limited', 'login flood')
    const retryAfter = Number(limited!.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(60)
    // The right password does not get through either until the window ends.
    const correct = await api.post(`${V1}/auth/login`, { email: session.user.email, password: PASSWORD })
    expectProblem(correct, 429, 'rate_limited', 'correct password while limited')
    // Other endpoints are unaffected.
    expect((await api.get(`${V1}/me`, session.access_token)).status).toBe(200)
  })
})

describe('rate limiting off', () => {
  it('sends no RateLimit headers and never throttles logins', async () => {
    const server = await startApp({ name: 'embedded', available: true })
    try {
      const api = client(server.url)
      const replies = await Promise.all(
        Array.from({ length: 22 }, () =>
          api.post(`${V1}/auth/login`, { email: 'nobody@example.test', password: 'Wrong-pass-1' }),
        ),
      )
      for (const reply of replies) {
        expect(reply.status).toBe(401)
        expect(reply.headers.get('ratelimit-limit')).toBeNull()
      }
    } finally {
      await server.close()
    }
  })
})
