import { randomFillSync } from 'node:crypto'
import cors from '@fastify/cors'
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { V7Generator } from 'uuidv7'
import type { Config } from '../../config.js'
import { deferredChildLoggers } from '../logger.js'
import type { Metrics } from '../metrics.js'
import type { RateLimitStore } from '../rate-limit/index.js'
import { AppError } from './errors.js'
import { errorHandler, problemOf, sendProblem } from './problem.js'
import { validatorCompiler } from './validation.js'

export type HttpServer = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>

export interface ReadinessCheck {
  name: string
  check(): Promise<void>
}

export interface HttpDeps {
  config: Config
  logger: FastifyBaseLogger
  metrics: Metrics
  rateLimitStore: RateLimitStore
  readiness: ReadinessCheck[]
}

const INCOMING_REQUEST_ID = /^[\w.:-]{1,128}$/

/**
 * Request ids are UUIDv7 like every other id, from a generator that draws its randomness 4 KiB at a
 * time: the default one asks the system for 32 bytes at a time, a visible share of a small request.
 */
function requestIdGenerator() {
  const pool = new Uint32Array(1024)
  let next = pool.length
  const generator = new V7Generator({
    nextUint32() {
      if (next === pool.length) {
        randomFillSync(pool)
        next = 0
      }
      return pool[next++]!
    },
  })
  return () => generator.generate().toString()
}

/** Global request budget per client address; `RATE_LIMIT=off` turns every limit off. */
export const GLOBAL_RATE_LIMIT = { max: 6000, timeWindow: 60_000 }

export async function createHttpServer(deps: HttpDeps): Promise<HttpServer> {
  const { config, metrics } = deps
  const newRequestId = requestIdGenerator()
  const app = Fastify({
    loggerInstance: deps.logger,
    childLoggerFactory: deferredChildLoggers,
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    genReqId: (req) => {
      const incoming = req.headers['x-request-id']
      return typeof incoming === 'string' && INCOMING_REQUEST_ID.test(incoming) ? incoming : newRequestId()
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Undecodable URLs and over-long path parameters get the same problem+json as every other error.
    frameworkErrors: errorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>()

  // The API speaks JSON only: any other body answers 415 instead of being parsed as a string.
  app.removeContentTypeParser('text/plain')

  app.setValidatorCompiler(validatorCompiler())
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      problemOf(404, 'not_found', `No route for ${request.method} ${request.url.split('?')[0]}`),
    ),
  )

  const documentHeaders = await helmetHeaders(SECURITY_HEADERS)
  // Callback-style hooks: an async hook costs a promise per request and does nothing asynchronous here.
  app.addHook('onRequest', (request, reply, done) => {
    const raw = reply.raw
    const headers = request.headers.accept?.includes('text/html') ? documentHeaders : API_HEADERS
    for (const [name, value] of headers) raw.setHeader(name, value)
    reply.header('x-request-id', request.id)
    done()
  })
  // One labelled series per (method, route, status), looked up once instead of hashed per request.
  const durations = new Map<string, { observe(seconds: number): void }>()
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched'
    const key = `${request.method} ${reply.statusCode} ${route}`
    let series = durations.get(key)
    if (!series) {
      series = metrics.httpDuration.labels({
        method: request.method,
        route,
        status_code: String(reply.statusCode),
      })
      durations.set(key, series)
    }
    series.observe(reply.elapsedTime / 1000)
    done()
  })

  await app.register(cors, {
    origin: true,
    // One string rather than a list, which the plugin would join again on every request.
    exposedHeaders: [
      'x-request-id',
      'idempotent-replayed',
      'retry-after',
      'ratelimit-limit',
      'ratelimit-remaining',
      'ratelimit-reset',
    ].join(', '),
  })
  await app.register(rateLimit, {
    global: config.rateLimit,
    ...GLOBAL_RATE_LIMIT,
    enableDraftSpec: true,
    store: storeAdapter(deps.rateLimitStore),
    errorResponseBuilder: (_request, context) =>
      new AppError(429, 'rate_limited', `Too many requests; retry in ${Math.ceil(context.ttl / 1000)} s`, {
        headers: { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) },
      }),
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'LiveDrop API',
        version: '1',
        description: 'Flash sales and follows. Errors are RFC 9457 problem+json with a stable `code`.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }))
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const results = await Promise.all(
      deps.readiness.map(async ({ name, check }) => {
        try {
          await check()
          return [name, 'ok'] as const
        } catch (error) {
          return [name, `unreachable: ${(error as Error).message}`] as const
        }
      }),
    )
    const ready = results.every(([, state]) => state === 'ok')
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not_ready', checks: Object.fromEntries(results) })
  })
  app.get('/metrics', { schema: { hide: true }, config: { rateLimit: false } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType)
    return metrics.registry.metrics()
  })
  return app
}

/**
 * What a JSON answer needs (OWASP's REST security headers): never sniffed into something renderable,
 * never framed, HTTPS remembered. Helmet's full set is for documents: a browser asks for one with
 * `Accept: text/html` (the web app, the API docs), and those answers get all of it. Each header is a
 * visible share of a small answer's cost, on the server and on every client.
 */
const API_HEADERS: [string, string][] = [
  ['content-security-policy', "default-src 'none'; frame-ancestors 'none'"],
  ['strict-transport-security', 'max-age=31536000; includeSubDomains'],
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'DENY'],
  ['referrer-policy', 'no-referrer'],
]

/** Helmet's settings: the security headers of documents. */
const SECURITY_HEADERS: FastifyHelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      imgSrc: ["'self'", 'data:', 'https:'],
      styleSrc: ["'self'", "'unsafe-inline'"],
      scriptSrc: ["'self'"],
      connectSrc: ["'self'", 'ws:', 'wss:'],
      // Plain-HTTP deployments (a laptop, a private network) must keep working.
      upgradeInsecureRequests: null,
    },
  },
}

/**
 * The headers @fastify/helmet sets with these options, worked out once. The plugin builds helmet's
 * middleware anew on every request (parsing the CSP directives each time), a measurable share of a
 * small request's cost, although the headers never depend on the request. So they are read off a
 * probe instance, with and without the plugin, and every response gets the same list.
 */
async function helmetHeaders(options: FastifyHelmetOptions): Promise<[string, string][]> {
  const headersOf = async (withHelmet: boolean) => {
    const probe = Fastify()
    if (withHelmet) await probe.register(helmet, options)
    probe.get('/', async () => 'ok')
    const response = await probe.inject({ method: 'GET', url: '/' })
    await probe.close()
    return response.headers
  }
  const [bare, secured] = await Promise.all([headersOf(false), headersOf(true)])
  return Object.entries(secured).flatMap(([name, value]) =>
    bare[name] === undefined && typeof value === 'string' ? [[name, value] as [string, string]] : [],
  )
}

/** Adapts our RateLimitStore port to the store interface @fastify/rate-limit expects. */
function storeAdapter(store: RateLimitStore) {
  return class RateLimitStoreAdapter {
    scope = 'global'
    withScope(scope: string) {
      this.scope = scope
      return this
    }
    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow = GLOBAL_RATE_LIMIT.timeWindow,
    ) {
      store.hit(`${this.scope}:${key}`, timeWindow).then(
        (hit) => callback(null, hit),
        (error: Error) => callback(error),
      )
    }
    child(routeOptions: object) {
      const route = (routeOptions as { routeInfo?: { method?: string; url?: string } }).routeInfo
      return new RateLimitStoreAdapter().withScope(`${route?.method ?? 'any'}:${route?.url ?? 'custom'}`)
    }
  }
}
