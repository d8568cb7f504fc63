import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyReply } from 'fastify'
import type { HttpServer } from './server.js'

/** The built web app (`vite build` writes it); the same path from `src/` under tests and from `dist/`. */
export const WEB_DIST = fileURLToPath(new URL('../../../web/dist', import.meta.url))

/** Paths the web app never answers for, so unknown API and operations paths keep their problem+json 404. */
const RESERVED = ['/api', '/docs', '/ws', '/healthz', '/readyz', '/metrics']

/** Content-hashed file names never change content, so browsers and CDNs may keep them for good. */
const IMMUTABLE = 'public, max-age=31536000, immutable'
const REVALIDATE = 'no-cache'

const isReserved = (path: string) => RESERVED.some((p) => path === p || path.startsWith(`${p}/`))
/** A missing file (`/favicon.ico`) is a 404, not the app's HTML under another file's name. */
const looksLikeFile = (path: string) => /\.[a-z0-9]+$/i.test(path.slice(path.lastIndexOf('/') + 1))

/**
 * Serves the web app from `root` when it has been built: hashed `/assets/*` (pre-compressed `.br`/`.gz`
 * siblings when the client accepts them) for good, the top-level files revalidated, and the app's
 * page for any other GET for HTML outside the API, so the app's own routes survive a reload.
 * Files are looked up per request, so a rebuild under a running server is picked up. Returns whether
 * the app was found.
 */
export async function registerWebApp(app: HttpServer, root: string = WEB_DIST): Promise<boolean> {
  if (!existsSync(join(root, 'index.html'))) return false
  // `index.html` paints the home page before the script runs; every other path gets `app.html`.
  const page = existsSync(join(root, 'app.html')) ? join(root, 'app.html') : join(root, 'index.html')
  await app.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root: join(root, 'assets'),
      prefix: '/assets/',
      preCompressed: true,
      cacheControl: false,
      setHeaders: (reply: FastifyReply) => reply.header('cache-control', IMMUTABLE),
      decorateReply: false,
      schemaHide: true,
    })
    // The few top-level files (index.html for `/`, favicon.svg): as they are, revalidated on each use.
    await scope.register(fastifyStatic, {
      root,
      wildcard: false,
      preCompressed: true,
      globIgnore: ['assets/**', '.vite/**', '**/*.gz', '**/*.br'],
      cacheControl: false,
      setHeaders: (reply: FastifyReply) => reply.header('cache-control', REVALIDATE),
      decorateReply: false,
      schemaHide: true,
    })
    scope.get('/*', { schema: { hide: true } }, async (request, reply) => {
      const path = request.url.split('?')[0] ?? '/'
      // Browsers ask for HTML when they open a link; API clients that miss a route keep their problem+json.
      const wantsPage = (request.headers.accept ?? '').includes('text/html')
      if (!wantsPage || isReserved(path) || looksLikeFile(path)) return reply.callNotFound()
      return reply
        .header('cache-control', REVALIDATE)
        .type('text/html; charset=utf-8')
        .send(await readFile(page))
    })
  })
  return true
}
