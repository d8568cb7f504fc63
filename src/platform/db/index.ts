import { mkdirSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { fillPlaceholders, type SQL, sql } from 'drizzle-orm'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { PgDialect, withReplicas } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import pg from 'pg'

export type Orm = PgDatabase<PgQueryResultHKT, Record<string, never>>
export type Tx = Parameters<Parameters<Orm['transaction']>[0]>[0]
/** Anything a repository can run a statement on: the database or an open transaction. */
export type Executor = Orm | Tx

export interface Db {
  readonly kind: 'pglite' | 'postgres'
  /** Writes and reads that decide something. */
  readonly primary: Orm
  /** Reads for display; served by replicas when DATABASE_READ_URLS is set. */
  readonly reader: Orm
  /**
   * A hot-path statement, written with Drizzle's `sql` tag and `sql.placeholder(name)` for its values,
   * that each connection parses once and PostgreSQL may plan once. `name` must be unique per statement.
   */
  prepare<Row>(name: string, statement: SQL): Prepared<Row>
  /** Runs a multi-statement SQL script (migrations) while holding a cluster-wide lock. */
  runScriptsLocked(run: (execScript: (script: string) => Promise<void>) => Promise<void>): Promise<void>
  ping(): Promise<void>
  close(): Promise<void>
}

export interface Prepared<Row> {
  /** Writes and reads that decide something. */
  primary(values: Record<string, unknown>): Promise<Row[]>
  /** Reads for display (a replica when there are any). */
  reader(values: Record<string, unknown>): Promise<Row[]>
}

const dialect = new PgDialect()

/** The statement's text and its parameters, placeholders still unfilled. */
function compile(statement: SQL) {
  const { sql: text, params } = dialect.sqlToQuery(statement)
  return { text, fill: (values: Record<string, unknown>) => fillPlaceholders(params, values) }
}

export interface DbOptions {
  databaseUrl?: string
  readUrls?: string[]
  /** Where PGlite keeps its files; `memory://` keeps nothing. */
  pgliteDir: string
  poolSize?: number
}

export async function createDb(options: DbOptions): Promise<Db> {
  return options.databaseUrl ? createPostgres(options.databaseUrl, options) : createPglite(options.pgliteDir)
}

const MIGRATION_LOCK = 727_001

async function createPostgres(url: string, options: DbOptions): Promise<Db> {
  const poolOf = (connectionString: string) => {
    const pool = new pg.Pool({
      connectionString,
      // Unset: node-postgres's own default (10), which DATABASE_POOL_SIZE also defaults to.
      max: options.poolSize,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 5_000,
    })
    // An idle client losing its server must not crash the process; the pool replaces it.
    pool.on('error', () => {})
    return pool
  }
  const pool = poolOf(url)
  const replicaPools = (options.readUrls ?? []).map(poolOf)
  const primary = drizzlePg(pool) as unknown as Orm
  const replicas = replicaPools.map((p) => drizzlePg(p) as unknown as Orm)
  const [first, ...rest] = replicas
  const reader = first ? (withReplicas(primary, [first, ...rest]) as unknown as Orm) : primary
  const readPools = replicaPools.length > 0 ? replicaPools : [pool]
  return {
    kind: 'postgres',
    primary,
    reader,
    prepare<Row>(name: string, statement: SQL): Prepared<Row> {
      const { text, fill } = compile(statement)
      // node-postgres keeps a named statement prepared on each connection after its first use.
      const run = async (target: pg.Pool, values: Record<string, unknown>) =>
        (await target.query({ name, text, values: fill(values) })).rows as Row[]
      return {
        primary: (values) => run(pool, values),
        reader: (values) => run(readPools[Math.floor(Math.random() * readPools.length)]!, values),
      }
    },
    async runScriptsLocked(run) {
      const client = await pool.connect()
      try {
        await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
        try {
          await run(async (script) => {
            await client.query(script)
          })
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK])
        }
      } finally {
        client.release()
      }
    },
    async ping() {
      await pool.query('SELECT 1')
      await Promise.all(replicaPools.map((p) => p.query('SELECT 1')))
    },
    async close() {
      await Promise.all([pool.end(), ...replicaPools.map((p) => p.end())])
    },
  }
}

async function createPglite(dir: string): Promise<Db> {
  if (!dir.startsWith('memory://')) mkdirSync(dir, { recursive: true })
  const client = await PGlite.create(dir, { extensions: { pg_trgm } })
  await client.exec("SET TIME ZONE 'UTC'")
  const orm = drizzlePglite(client) as unknown as Orm
  return {
    kind: 'pglite',
    primary: orm,
    reader: orm,
    prepare<Row>(_name: string, statement: SQL): Prepared<Row> {
      const { text, fill } = compile(statement)
      const run = async (values: Record<string, unknown>) =>
        (await client.query<Row>(text, fill(values))).rows
      return { primary: run, reader: run }
    },
    async runScriptsLocked(run) {
      // One process owns an embedded database; PGlite serialises statements itself.
      await run(async (script) => {
        await client.exec(script)
      })
    },
    async ping() {
      await orm.execute(sql`SELECT 1`)
    },
    async close() {
      await client.close()
    },
  }
}

/** Rows of a raw `execute`, the same shape on both drivers. */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows
}

/** The database's own error under whatever wraps it (drizzle wraps the driver's error). */
function databaseError(error: unknown): { code: string; constraint?: string } | undefined {
  type Layer = { code?: unknown; severity?: unknown; cause?: unknown }
  for (let e = error as Layer | undefined; e; e = e.cause as never) {
    // Both drivers' database errors carry a severity; a socket error's code (EPIPE) is no SQLSTATE.
    if (typeof e.code === 'string' && typeof e.severity === 'string') return e as { code: string }
    if (!e.cause || e.cause === e) break
  }
  return undefined
}

/** The SQLSTATE of a database error, as either driver reports it; undefined for any other error. */
export const sqlStateOf = (error: unknown): string | undefined => databaseError(error)?.code

/** PostgreSQL's unique_violation, as either driver reports it. */
export function uniqueViolation(error: unknown): { constraint: string | undefined } | undefined {
  const found = databaseError(error)
  return found?.code === '23505' ? { constraint: found.constraint } : undefined
}
