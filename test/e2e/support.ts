import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { type Browser, chromium, type Page } from 'playwright-core'
import { type Client, register } from '../support/client.js'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const WEB = join(ROOT, 'web')
export const WEB_DIST = join(WEB, 'dist')
export const ARTIFACTS = join(ROOT, 'test-artifacts')
export const CHROMIUM = process.env.LIVEDROP_CHROMIUM ?? '/usr/bin/chromium'
export const PASSWORD = 'Correct-horse-9'
const V1 = '/api/v1'

function newestMtime(path: string): number {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))))
}

/**
 * Builds the web app when `web/dist` is missing or older than its sources (a fresh clone, or an edit
 * since the last `npm run build`); the api role serves whatever is there when the app starts.
 */
export function ensureWebBuild(): void {
  const index = join(WEB_DIST, 'index.html')
  const sources = [
    join(WEB, 'src'),
    join(WEB, 'public'),
    join(WEB, 'index.html'),
    join(WEB, 'vite.config.ts'),
  ]
  const fresh =
    existsSync(index) &&
    existsSync(join(WEB_DIST, '.vite/manifest.json')) &&
    statSync(index).mtimeMs >= Math.max(...sources.filter(existsSync).map(newestMtime))
  if (fresh) return
  console.log('[e2e] building the web app (web/dist is missing or stale)…')
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '-c', 'web/vite.config.ts', '--logLevel', 'warn'],
    // Vitest runs with NODE_ENV=test, which would make Vite bundle React's development build.
    { cwd: ROOT, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } },
  )
}

interface ManifestChunk {
  file: string
  src?: string
  isEntry?: boolean
  imports?: string[]
  dynamicImports?: string[]
}

/**
 * Gzipped size of the JavaScript a shopper downloads: the entry chunk and everything it imports
 * statically. Lazy chunks (the creator studio) load only when a creator opens them.
 */
export function shopperJsSize(): { shopperGzip: number; allGzip: number; files: string[] } {
  const manifest = JSON.parse(readFileSync(join(WEB_DIST, '.vite/manifest.json'), 'utf8')) as Record<
    string,
    ManifestChunk
  >
  const entry = Object.entries(manifest).find(([, chunk]) => chunk.isEntry)
  if (!entry) throw new Error('the web build has no entry chunk')
  const seen = new Set<string>()
  const walk = (key: string) => {
    if (seen.has(key)) return
    seen.add(key)
    for (const next of manifest[key]?.imports ?? []) walk(next)
  }
  walk(entry[0])
  const gz = (file: string) => gzipSync(readFileSync(join(WEB_DIST, file)), { level: 9 }).length
  const files = [...seen].map((key) => manifest[key]!.file).filter((file) => file.endsWith('.js'))
  const all = Object.values(manifest)
    .map((c) => c.file)
    .filter((file) => file.endsWith('.js'))
  return {
    shopperGzip: files.reduce((n, f) => n + gz(f), 0),
    allGzip: [...new Set(all)].reduce((n, f) => n + gz(f), 0),
    files,
  }
}

/** Debian's Chromium, headless, without the background traffic a test has no use for. */
export async function launchChromium(): Promise<Browser> {
  // Playwright gives every launch a fresh temporary --user-data-dir of its own.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** Saves a full-page screenshot to test-artifacts/ and prints its name. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const file = `web-${name}.png`
  // From the top, so the sticky header sits where a visitor sees it.
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.screenshot({ path: join(ARTIFACTS, file), fullPage: true })
  console.log(`[e2e] screenshot test-artifacts/${file}`)
  return file
}

/** The page's Largest Contentful Paint, in ms, from the browser's own Performance API, and what it was. */
export async function largestContentfulPaint(page: Page): Promise<{ ms: number; element: string }> {
  return page.evaluate(
    () =>
      new Promise<{ ms: number; element: string }>((resolve, reject) => {
        let last: { ms: number; element: string } | undefined
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries() as (PerformanceEntry & { element?: Element | null })[]) {
            const element = entry.element
            last = {
              ms: entry.startTime,
              element: element
                ? `<${element.tagName.toLowerCase()}> “${element.textContent?.trim().slice(0, 40)}…”`
                : 'a node of the static first paint, since replaced by the app',
            }
          }
        }).observe({ type: 'largest-contentful-paint', buffered: true })
        // Entries are buffered; give the observer a moment to deliver them.
        setTimeout(() => (last ? resolve(last) : reject(new Error('no LCP entry'))), 500)
      }),
  )
}

/** Sets up shop over the API: what the browser scenarios start from. */
export function fixtures(api: () => Client) {
  async function creator(name = `Maker ${randomUUID().slice(0, 6)}`) {
    const session = await register(api())
    const reply = await api().post(`${V1}/creators`, { creator_name: name }, session.access_token)
    if (reply.status !== 201) throw new Error(`creator: ${reply.status} ${JSON.stringify(reply.body)}`)
    return { session, token: session.access_token, creatorId: reply.body.creator_id as string, name }
  }

  async function product(token: string, name: string, body: Record<string, unknown> = {}) {
    const reply = await api().post(`${V1}/products`, { name, base_price: 2500, ...body }, token)
    if (reply.status !== 201) throw new Error(`product: ${reply.status} ${JSON.stringify(reply.body)}`)
    return reply.body as { product_id: string; variants: { variant_id: string }[] }
  }

  async function drop(
    token: string,
    name: string,
    items: { product_id: string; initial_stock: number; drop_price?: number }[],
    options: { startsInMs?: number; perUserLimit?: number } = {},
  ) {
    const start = Date.now() + (options.startsInMs ?? 0)
    const reply = await api().post(
      `${V1}/drops`,
      {
        name,
        start_time: new Date(start).toISOString(),
        end_time: new Date(start + 3_600_000).toISOString(),
        per_user_limit: options.perUserLimit ?? 2,
        low_stock_threshold: 2,
        items: items.map((i) => ({ drop_price: 1900, ...i })),
      },
      token,
    )
    if (reply.status !== 201) throw new Error(`drop: ${reply.status} ${JSON.stringify(reply.body)}`)
    return reply.body as { drop_id: string; status: string }
  }

  async function buy(token: string, dropId: string, productId: string, quantity = 1) {
    return api().request('POST', `${V1}/orders`, {
      token,
      body: { drop_id: dropId, items: [{ product_id: productId, quantity }] },
      headers: { 'idempotency-key': randomUUID() },
    })
  }

  return { creator, product, drop, buy }
}
