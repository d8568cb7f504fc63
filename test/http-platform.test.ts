import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Client, client } from './support/client.js'
import { describeShapes, isolatedDatabase, startApp, type TestApp, uniqueName } from './support/engines.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Every operation of API.md's "Auth and users" and "Creators and follows" sections. */
const CONTRACT_OPERATIONS = [
  'post /api/v1/auth/register',
  'post /api/v1/auth/login',
  'post /api/v1/auth/refresh',
  'post /api/v1/auth/logout',
  'get /api/v1/me',
  'get /api/v1/users/{user_id}/profile',
  'put /api/v1/users/{user_id}/profile',
  'post /api/v1/creators',
  'get /api/v1/creators/{creator_id}',
  'get /api/v1/creators',
  'post /api/v1/follows',
  'delete /api/v1/follows/{creator_id}',
  'get /api/v1/follows/{user_id}/{creator_id}/status',
  'get /api/v1/creators/{creator_id}/followers',
  'get /api/v1/users/{user_id}/following',
]

describeShapes('http platform', (shape) => {
  let server: TestApp
  let api: Client
  beforeAll(async () => {
    server = await startApp(shape)
    api = client(server.url)
  })
  afterAll(() => server?.close())

  it('answers /healthz with 200 while the process lives', async () => {
    const reply = await api.get('/healthz')
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({ status: 'ok' })
  })

  it('answers /readyz with 200 and one passing check per engine it uses', async () => {
    const reply = await api.get('/readyz')
    expect(reply.status).toBe(200)
    expect(reply.body.status).toBe('ready')
    expect(reply.body.checks.database).toBe('ok')
    if (shape.redisUrl) expect(reply.body.checks.redis).toBe('ok')
    else expect(reply.body.checks).not.toHaveProperty('redis')
    expect(Object.values(reply.body.checks).every((state) => state === 'ok')).toBe(true)
  })

  it('records request durations in /metrics by route template and status', async () => {
    await api.get('/healthz')
    await api.get('/api/v1/users/01900000-0000-7000-8000-000000000000/profile')
    const reply = await api.get('/metrics')
    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-type')).toContain('text/plain')
    const text = reply.body as string
    expect(text).toContain('# TYPE livedrop_http_request_duration_seconds histogram')
    expect(text).toMatch(
      /^livedrop_http_request_duration_seconds_count\{[^}]*route="\/healthz"[^}]*status_code="200"[^}]*\} [1-9]/m,
    )
    // A parameterised route is labelled by its template, never by the raw URL (bounded label values).
    expect(text).toMatch(
      /^livedrop_http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/users\/:user_id\/profile"[^}]*status_code="404"[^}]*\} 1$/m,
    )
    expect(text).not.toContain('01900000-0000-7000-8000-000000000000')
    expect(text).toContain('process_cpu_seconds_total')
  })

  it('puts an x-request-id on every response, and echoes a well-formed incoming one', async () => {
    const replies = await Promise.all([
      api.get('/healthz'),
      api.get('/metrics'),
      api.get('/no/such/route'),
      api.post('/api/v1/auth/login', { email: 'nobody@example.test' }),
      api.request('POST', '/api/v1/auth/login', { raw: '{not json' }),
      api.get('/api/v1/me'),
    ])
    expect(replies.map((r) => r.status)).toEqual([200, 200, 404, 400, 400, 401])
    const ids = replies.map((r) => r.headers.get('x-request-id'))
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(new Set(ids).size).toBe(ids.length)

    const echoed = await api.request('GET', '/healthz', {
      headers: { 'x-request-id': 'edge-7f3a.1:retry-2' },
    })
    expect(echoed.headers.get('x-request-id')).toBe('edge-7f3a.1:retry-2')
    const onError = await api.request('GET', '/no/such/route', { headers: { 'x-request-id': 'trace-404' } })
    expect(onError.headers.get('x-request-id')).toBe('trace-404')

    // Anything else is replaced, so a client can't inject text into logs.
    for (const bad of ['has spaces in it', 'x'.repeat(129), 'new\tline']) {
      const reply = await api.request('GET', '/healthz', { headers: { 'x-request-id': bad } })
      expect(reply.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    }
  })

  // A JSON answer is never a document: nothing may load from it or frame it. Documents (what a browser
  // asks for as text/html) get helmet's full browser set.
  it.each([
    ['a JSON answer', 'application/json', 'DENY', "default-src 'none'; frame-ancestors 'none'", null],
    ['a document', 'text/html,*/*;q=0.8', 'SAMEORIGIN', "default-src 'self'", 'same-origin'],
  ])(
    'sends %s its security headers and exposes the request id and rate-limit headers',
    async (_, accept, framing, csp, opener) => {
      const reply = await api.request('GET', '/healthz', {
        headers: { origin: 'https://shop.example.test', accept },
      })
      const h = reply.headers
      expect(h.get('x-content-type-options')).toBe('nosniff')
      expect(h.get('x-frame-options')).toBe(framing)
      expect(h.get('referrer-policy')).toBe('no-referrer')
      expect(h.get('strict-transport-security')).toMatch(/max-age=\d+/)
      expect(h.get('cross-origin-opener-policy')).toBe(opener)
      expect(h.get('content-security-policy')).toContain(csp)
      expect(h.get('content-security-policy')).not.toContain('upgrade-insecure-requests')
      expect(h.get('x-powered-by')).toBeNull()
      const exposed = (h.get('access-control-expose-headers') ?? '').toLowerCase()
      for (const name of ['x-request-id', 'retry-after', 'ratelimit-remaining', 'idempotent-replayed']) {
        expect(exposed).toContain(name)
      }
    },
  )

  it('serves an OpenAPI 3.1 document at /docs/json describing every contract operation', async () => {
    const reply = await api.get('/docs/json')
    expect(reply.status).toBe(200)
    expect(reply.body.openapi).toMatch(/^3\.1\./)
    expect(reply.body.info.title).toBe('LiveDrop API')
    const operations = Object.entries(reply.body.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`),
    )
    const missing = CONTRACT_OPERATIONS.filter((operation) => !operations.includes(operation))
    expect(missing).toEqual([])
    // Operational endpoints are not part of the public API document.
    expect(Object.keys(reply.body.paths)).not.toContain('/healthz')

    const page = await api.get('/docs')
    expect([200, 302]).toContain(page.status)
  })
})

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const probe = net.createServer()
  probe.listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const { port } = probe.address() as net.AddressInfo
  probe.close()
  await once(probe, 'close')
  return port
}

/** The real CLI in a child process, with its log lines collected as they arrive. */
function spawnCli(env: Record<string, string>) {
  const lines: string[] = []
  const waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = []
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? ROOT, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let buffered = ''
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString('utf8')
    const parts = buffered.split('\n')
    buffered = parts.pop() ?? ''
    for (const line of parts) {
      lines.push(line)
      for (const waiter of [...waiters]) {
        if (waiter.match(line)) {
          waiters.splice(waiters.indexOf(waiter), 1)
          waiter.resolve(line)
        }
      }
    }
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  return {
    child,
    lines,
    exited,
    /** Resolves with the first log line (past or future) that contains every fragment. */
    waitFor(...fragments: string[]): Promise<string> {
      const match = (line: string) => fragments.every((fragment) => line.includes(fragment))
      const seen = lines.find(match)
      if (seen) return Promise.resolve(seen)
      return new Promise<string>((resolve, reject) => {
        waiters.push({ match, resolve })
        exited.then(([code, signal]) =>
          reject(
            new Error(
              `livedrop exited (${code ?? signal}) before logging ${fragments.join(' … ')}:\n${lines.join('\n')}`,
            ),
          ),
        )
      })
    },
  }
}

/** Sends one HTTP/1.1 request as raw text and resolves with everything the server answered. */
async function rawRequest(port: number, lines: string[]): Promise<string> {
  const socket = net.connect(port, '127.0.0.1')
  let response = ''
  socket.on('data', (chunk: Buffer) => {
    response += chunk.toString('utf8')
  })
  socket.on('error', () => {})
  const closed = once(socket, 'close')
  await once(socket, 'connect')
  // `Connection: close` makes the server end the connection once it has answered.
  socket.write(lines.join('\r\n'))
  await closed
  return response
}

describeShapes('graceful shutdown of the real CLI', (shape) => {
  const cleanups: (() => Promise<void> | void)[] = []
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
  })

  it('finishes an in-flight request after SIGTERM, ignores a repeated signal, and exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'livedrop-cli-'))
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
    const env: Record<string, string> = {
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      RATE_LIMIT: 'off',
    }
    if (shape.databaseUrl) {
      const database = await isolatedDatabase(shape.databaseUrl)
      cleanups.push(() => database.drop())
      env.DATABASE_URL = database.url
    }
    if (shape.redisUrl) {
      env.REDIS_URL = shape.redisUrl
      env.REDIS_KEY_PREFIX = `${uniqueName('t')}:`
      // Several processes of one deployment must agree on their secrets, so they are set explicitly.
      env.JWT_SECRET = randomBytes(32).toString('hex')
      env.PAYMENT_WEBHOOK_SECRET = randomBytes(32).toString('hex')
    }

    const cli = spawnCli(env)
    cleanups.push(() => {
      if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL')
    })
    await cli.waitFor('listening on', `:${env.PORT}`)

    // Registrations hash passwords with argon2, so a burst of them keeps the server busy for a while:
    // SIGTERM lands while most of them are still being handled. The burst is large enough that, on a
    // loaded machine, this test reading the server's log cannot fall behind until every one is done.
    const requests = Array.from({ length: 48 }, (_, i) => {
      const username = `d${i}${randomBytes(5).toString('hex')}`
      return {
        id: `drain-${i}-${randomBytes(4).toString('hex')}`,
        body: JSON.stringify({ email: `${username}@example.test`, username, password: 'Correct-horse-9' }),
      }
    })
    const responses = requests.map(({ id, body }) =>
      rawRequest(Number(env.PORT), [
        'POST /api/v1/auth/register HTTP/1.1',
        `Host: 127.0.0.1:${env.PORT}`,
        'Content-Type: application/json',
        'Connection: close',
        `Content-Length: ${Buffer.byteLength(body)}`,
        `X-Request-Id: ${id}`,
        '',
        body,
      ]),
    )
    await Promise.all(requests.map(({ id }) => cli.waitFor(`"reqId":"${id}"`, 'incoming request')))

    cli.child.kill('SIGTERM')
    await cli.waitFor('draining and shutting down')
    // A second signal (npm forwarding the terminal's Ctrl-C, say) must not cut the drain short.
    cli.child.kill('SIGINT')

    const replies = await Promise.all(responses)
    const [code, signal] = await cli.exited
    for (const [i, reply] of replies.entries()) {
      expect(reply).toMatch(/^HTTP\/1\.1 201 /)
      expect(reply.toLowerCase()).toContain(`x-request-id: ${requests[i]!.id}`)
      expect(reply).toContain('"access_token"')
    }
    expect({ code, signal }).toEqual({ code: 0, signal: null })
    const draining = cli.lines.findIndex((line) => line.includes('draining and shutting down'))
    const completedAfter = cli.lines
      .slice(draining)
      .filter((line) => line.includes('request completed') && line.includes('"reqId":"drain-'))
    expect(completedAfter.length).toBeGreaterThan(0)
    expect(cli.lines.some((line) => line.includes('shut down cleanly'))).toBe(true)
    expect(cli.lines.filter((line) => /"level":(50|60)/.test(line))).toEqual([])
  })
})
