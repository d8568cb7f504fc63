// Child process: the LiveDrop app under test, exactly as `buildApp` composes it, plus a back door
// for the benchmark's own SQL (seeding, exact counts) so it also works on the embedded database,
// which only one process may open.
import { sql } from 'drizzle-orm'
import { buildApp, type LiveDrop } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { rowsOf } from '../../src/platform/db/index.js'
import { serveParent } from './child.js'
import { profile } from './profiler.js'

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
