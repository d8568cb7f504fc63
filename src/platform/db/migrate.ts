import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import type { Logger } from 'pino'
import { type Db, rowsOf } from './index.js'

const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url))

/**
 * Applies every migration in `migrations/` that has not run yet, in file-name order, each in its
 * own transaction. Safe to run from several processes at once: they queue on an advisory lock.
 */
export async function migrate(db: Db, log?: Pick<Logger, 'info'>): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort()
  const applied: string[] = []
  await db.runScriptsLocked(async (exec) => {
    await exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY,
      applied_at timestamptz(3) NOT NULL DEFAULT now()
    )`)
    const done = new Set(
      rowsOf<{ name: string }>(await db.primary.execute(sql`SELECT name FROM schema_migrations`)).map(
        (r) => r.name,
      ),
    )
    for (const file of files) {
      if (done.has(file)) continue
      const body = await readFile(`${MIGRATIONS_DIR}${file}`, 'utf8')
      try {
        await exec(
          `BEGIN;\n${body}\n;INSERT INTO schema_migrations (name) VALUES ('${file.replace(/'/g, "''")}');\nCOMMIT;`,
        )
      } catch (error) {
        await exec('ROLLBACK')
        throw new Error(`migration ${file} failed: ${(error as Error).message}`, { cause: error })
      }
      applied.push(file)
      log?.info({ migration: file }, 'migration applied')
    }
  })
  return applied
}
