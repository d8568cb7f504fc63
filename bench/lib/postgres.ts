import { randomBytes } from 'node:crypto'
import net from 'node:net'
import pg from 'pg'

/** The PostgreSQL server benchmarks create their scratch databases on. */
export function benchServerUrl(env: Record<string, string | undefined> = process.env): string {
  return env.LIVEDROP_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
}

/** Whether something accepts connections at the URL's host and port, and answers a query. */
export async function postgresReachable(url: string, timeoutMs = 2000): Promise<boolean> {
  const { hostname, port } = new URL(url)
  const open = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 5432) })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
  if (!open) return false
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

/** Why the benchmarks' PostgreSQL cannot be used, or undefined when it answers. */
export async function postgresUnavailable(url = benchServerUrl()): Promise<string | undefined> {
  if (await postgresReachable(url)) return undefined
  return `PostgreSQL not reachable at ${new URL(url).host} (set LIVEDROP_BENCH_DATABASE_URL)`
}

export interface ScratchDatabase {
  name: string
  url: string
  drop(): Promise<void>
}

/** A fresh, uniquely named database on the server, dropped (with its connections) by `drop`. */
export async function createScratchDatabase(
  serverUrl: string,
  prefix = 'ld_bench',
): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    name,
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl })
      await client.connect()
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await client.end()
      }
    },
  }
}

/** A few server settings worth printing beside the figures, since they move them. */
export async function serverSettings(serverUrl: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings
       WHERE name IN ('server_version', 'shared_buffers', 'synchronous_commit', 'fsync', 'max_connections')`,
    )
    return Object.fromEntries(rows.map((r) => [r.name, r.unit ? `${r.setting} (${r.unit})` : r.setting]))
  } finally {
    await client.end()
  }
}
