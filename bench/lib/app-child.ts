// Child process: the LiveDrop app under test, exactly as `buildApp` composes it, plus a back door
// for the benchmark's own SQL (seeding, exact counts) so it also works on the embedded database,
// which only one process may open.
import { sql } from 'drizzle-orm'
import type { LiveDrop } from '../../src/app.js'
import { serveParent } from './child.js'
import { profile } from './profiler.js'

// The server as `npm start` runs it: the compiled build in dist/ (startChild builds it first), not the
// TypeScript sources through tsx, whose runtime helpers (a `__name` call per closure made) cost CPU
// the product does not pay. LIVEDROP_BENCH_SOURCE=1 runs the sources instead.
const root = process.env.LIVEDROP_BENCH_SOURCE === '1' ? '../../src' : '../../dist'
const { buildApp } = (await import(`${root}/app.js`)) as typeof import('../../src/app.js')
const { loadConfig } = (await import(`${root}/config.js`)) as typeof import('../../src/config.js')
const { rowsOf } = (await import(
  `${root}/platform/db/index.js`
)) as typeof import('../../src/platform/db/index.js')

let app: LiveDrop | undefined

const parent = serveParent(
  async (request) => {
    if (!app) throw new Error('app not started')
    if (request.type === 'sql') {
      const rows = rowsOf<Record<string, unknown>>(
        await app.db.primary.execute(sql.raw(String(request.text))),
      )
      return rows ?? []
    }
    if (request.type === 'profile') return profile(String(request.action), request.file as string | undefined)
    throw new Error(`unknown request ${request.type}`)
  },
  async () => {
    await app?.close()
  },
)

try {
  const config = loadConfig(process.env, { persistSecrets: false })
  app = await buildApp(config)
  parent.ready(await app.listen())
} catch (error) {
  parent.failed(error)
}
