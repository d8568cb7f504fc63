import { randomUUID } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import { UUID } from 'uuidv7'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { inProcessBus } from '../../src/platform/bus/index.js'
import { createDb, type Db, rowsOf } from '../../src/platform/db/index.js'
import { migrate } from '../../src/platform/db/migrate.js'
import { createLogger } from '../../src/platform/logger.js'
import { appendToOutbox, pruneOutbox, startRelay } from '../../src/platform/outbox/index.js'
import { isolatedDatabase } from '../support/engines.js'

const MIGRATIONS = readdirSync(fileURLToPath(new URL('../../migrations/', import.meta.url)))
  .filter((file) => file.endsWith('.sql'))
  .sort()

interface Opened {
  db: Db
  /** Opens another, independent handle on the same database (another process, as far as it knows). */
  another(): Promise<Db>
  cleanup(): Promise<void>
}

async function appliedMigrations(db: Db): Promise<string[]> {
  const result = await db.primary.execute(sql`SELECT name FROM schema_migrations ORDER BY name`)
  return rowsOf<{ name: string }>(result).map((row) => row.name)
}

/** The behaviour both Db adapters must show; `open` gives a handle on a fresh, empty database. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits until `done` holds, or fails after `withinMs`. */
async function until(done: () => boolean, withinMs: number): Promise<void> {
  const started = Date.now()
  while (!done()) {
    if (Date.now() - started > withinMs) throw new Error(`not done within ${withinMs} ms`)
    await sleep(10)
  }
}

function dbContract(kind: Db['kind'], open: () => Promise<Opened>) {
  let opened: Opened
  beforeAll(async () => {
    opened = await open()
  })
  afterAll(() => opened?.cleanup())

  it(`is a ${kind} database that answers ping on the primary and the reader`, async () => {
    expect(opened.db.kind).toBe(kind)
    await expect(opened.db.ping()).resolves.toBeUndefined()
    const result = await opened.db.reader.execute(sql`SELECT 41 + 1 AS answer`)
    expect(rowsOf<{ answer: number }>(result)[0]?.answer).toBe(42)
  })

  it('applies every migration once, in file-name order, and then has nothing left to do', async () => {
    expect(MIGRATIONS.length).toBeGreaterThan(0)
    expect(await migrate(opened.db)).toEqual(MIGRATIONS)
    expect(await appliedMigrations(opened.db)).toEqual(MIGRATIONS)
    expect(await migrate(opened.db)).toEqual([])
    expect(await appliedMigrations(opened.db)).toEqual(MIGRATIONS)
  })

  it('relays at an idle pace while nothing is written, and soon after this process writes', async () => {
    // The same database, with every statement the relay sends counted.
    let statements = 0
    const counted: Db = {
      ...opened.db,
      primary: new Proxy(opened.db.primary, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver)
          if (property !== 'execute') return value
          return (...args: unknown[]) => {
            statements += 1
            return (value as (...a: unknown[]) => unknown).apply(target, args)
          }
        },
      }),
    }
    const delivered = new Map<string, number>()
    const bus = inProcessBus(() => {})
    bus.subscribe({ topics: ['pace.probe'], handler: (event) => void delivered.set(event.id, Date.now()) })
    const relay = startRelay(counted, bus, 50, createLogger('silent'))
    try {
      await sleep(1_500)
      statements = 0
      await sleep(2_000)
      // Looking every 50 ms would be 40 statements; idle, the relay looks every 500 ms.
      expect(statements).toBeLessThanOrEqual(6)

      const writtenAt = Date.now()
      const [id] = await opened.db.primary.transaction((tx) =>
        appendToOutbox(tx, [{ topic: 'pace.probe', key: 'here', payload: {} }]),
      )
      await until(() => delivered.has(id!), 2_000)
      expect(delivered.get(id!)! - writtenAt).toBeLessThan(400)

      // Written by another process, which cannot wake this relay: found at the idle pace.
      await sleep(1_500)
      const elsewhere = randomUUID()
      await opened.db.primary.execute(
        sql`INSERT INTO outbox (id, topic, key, payload) VALUES (${elsewhere}::uuid, 'pace.probe', 'there', '{}')`,
      )
      await until(() => delivered.has(elsewhere), 3_000)
    } finally {
      await relay.stop()
      await bus.close()
    }
  })

  it('hash-partitions follows by creator_id into 16 partitions', async () => {
    const strategy = await opened.db.primary.execute(sql`
      SELECT p.partstrat, a.attname
      FROM pg_partitioned_table p
      JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
      WHERE p.partrelid = 'follows'::regclass`)
    expect(rowsOf(strategy)).toEqual([{ partstrat: 'h', attname: 'creator_id' }])
    const partitions = await opened.db.primary.execute(
      sql`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'follows'::regclass`,
    )
    expect(rowsOf<{ n: number }>(partitions)[0]?.n).toBe(16)
  })

  it('spreads follows of many creators over the partitions and keeps one creator in one', async () => {
    await opened.db.primary.execute(sql`
      INSERT INTO follows (creator_id, user_id)
      SELECT gen_random_uuid(), gen_random_uuid() FROM generate_series(1, 200)`)
    const celebrity = '01900000-0000-7000-8000-0000000000c1'
    await opened.db.primary.execute(sql`
      INSERT INTO follows (creator_id, user_id)
      SELECT ${celebrity}::uuid, gen_random_uuid() FROM generate_series(1, 50)`)
    const used = await opened.db.primary.execute(sql`SELECT count(DISTINCT tableoid)::int AS n FROM follows`)
    expect(rowsOf<{ n: number }>(used)[0]?.n).toBeGreaterThan(8)
    const celebrityParts = await opened.db.primary.execute(
      sql`SELECT count(DISTINCT tableoid)::int AS n FROM follows WHERE creator_id = ${celebrity}::uuid`,
    )
    expect(rowsOf<{ n: number }>(celebrityParts)[0]?.n).toBe(1)
  })

  it('rejects a second follow of the same pair (follow is a set)', async () => {
    const pair = sql`('01900000-0000-7000-8000-0000000000a1'::uuid, '01900000-0000-7000-8000-0000000000b1'::uuid)`
    await opened.db.primary.execute(sql`INSERT INTO follows (creator_id, user_id) VALUES ${pair}`)
    await expect(
      opened.db.primary.execute(sql`INSERT INTO follows (creator_id, user_id) VALUES ${pair}`),
    ).rejects.toThrow()
  })

  it('prunes published outbox events past their retention and keeps the rest', async () => {
    const hour = 3_600_000
    const now = Date.now()
    let serial = 0
    const event = (ageMs: number, published: boolean) => {
      const at = now - ageMs
      const id = UUID.fromFieldsV7(at, 0, 0, ++serial).toString()
      return { id, at: new Date(at).toISOString(), published }
    }
    const rows = {
      oldPublished: event(30 * hour, true),
      oldUnpublished: event(30 * hour, false),
      recentPublished: event(1 * hour, true),
    }
    for (const row of Object.values(rows)) {
      await opened.db.primary.execute(sql`
        INSERT INTO outbox (id, topic, key, payload, created_at, published_at)
        VALUES (${row.id}::uuid, 'prune.probe', 'k', '{}'::jsonb, ${row.at}::timestamptz,
                ${row.published ? row.at : null}::timestamptz)`)
    }
    // A published row whose id is not time-ordered is judged by its created_at alone.
    await opened.db.primary.execute(sql`
      INSERT INTO outbox (id, topic, key, payload, created_at, published_at)
      VALUES ('00000000-0000-4000-8000-000000000001', 'prune.probe', 'k', '{}'::jsonb, now(), now())`)

    expect(await pruneOutbox(opened.db, 24 * hour, now)).toBe(1)
    const left = rowsOf<{ id: string }>(
      await opened.db.primary.execute(sql`SELECT id FROM outbox WHERE topic = 'prune.probe' ORDER BY id`),
    ).map((r) => r.id)
    expect(left.sort()).toEqual(
      [rows.oldUnpublished.id, rows.recentPublished.id, '00000000-0000-4000-8000-000000000001'].sort(),
    )
    expect(await pruneOutbox(opened.db, 24 * hour, now)).toBe(0)
  })

  it('stops answering once closed', async () => {
    const db = await opened.another()
    await db.ping()
    await db.close()
    await expect(db.ping()).rejects.toThrow()
  })
}

describe('db port contract [pglite]', () => {
  dbContract('pglite', async () => {
    const open = () => createDb({ pgliteDir: 'memory://' })
    const db = await open()
    return { db, another: open, cleanup: () => db.close() }
  })
})

const postgresUrl = inject('engines').postgres

describe.skipIf(!postgresUrl)('db port contract [postgres]', () => {
  dbContract('postgres', async () => {
    const database = await isolatedDatabase(postgresUrl!)
    const open = () => createDb({ databaseUrl: database.url, pgliteDir: 'memory://', poolSize: 4 })
    const db = await open()
    return {
      db,
      another: open,
      async cleanup() {
        await db.close()
        await database.drop()
      },
    }
  })

  it('lets several processes migrate one database at once: each migration runs exactly once', async () => {
    const database = await isolatedDatabase(postgresUrl!)
    const handles = await Promise.all(
      [1, 2, 3].map(() => createDb({ databaseUrl: database.url, pgliteDir: 'memory://', poolSize: 2 })),
    )
    try {
      const results = await Promise.all(handles.map((db) => migrate(db)))
      // Whoever got the lock first applied everything; the others found nothing left to do.
      expect(results.flat().sort()).toEqual(MIGRATIONS)
      expect(results.filter((applied) => applied.length > 0)).toHaveLength(1)
      expect(await appliedMigrations(handles[0]!)).toEqual(MIGRATIONS)
    } finally {
      await Promise.all(handles.map((db) => db.close()))
      await database.drop()
    }
  })

  it('serves display reads from the read replicas and pings them too', async () => {
    const database = await isolatedDatabase(postgresUrl!)
    // The primary's own URL stands in for a replica: what matters is that reads go through the reader pool.
    const db = await createDb({
      databaseUrl: database.url,
      readUrls: [database.url],
      pgliteDir: 'memory://',
      poolSize: 2,
    })
    try {
      await migrate(db)
      await db.ping()
      const result = await db.reader.execute(sql`SELECT count(*)::int AS n FROM schema_migrations`)
      expect(rowsOf<{ n: number }>(result)[0]?.n).toBe(MIGRATIONS.length)
    } finally {
      await db.close()
      await database.drop()
    }
    const unreachable = await createDb({
      databaseUrl: postgresUrl!,
      readUrls: ['postgres://postgres@127.0.0.1:1/none'],
      pgliteDir: 'memory://',
      poolSize: 1,
    })
    try {
      await expect(unreachable.ping()).rejects.toThrow()
    } finally {
      await unreachable.close()
    }
  })
})
