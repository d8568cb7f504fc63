import { sql } from 'drizzle-orm'
import type { FastifyBaseLogger } from 'fastify'
import type { Histogram } from 'prom-client'
import { uuidv7 } from 'uuidv7'
import type { BusEvent, EventBus } from '../bus/index.js'
import { type Db, type Executor, rowsOf } from '../db/index.js'

export interface OutboxEntry<Payload = unknown> {
  topic: string
  key: string
  payload: Payload
}

/** Writes events in the caller's transaction, so they exist exactly when the change does. */
export async function appendToOutbox(tx: Executor, entries: OutboxEntry[]): Promise<string[]> {
  if (entries.length === 0) return []
  const ids = entries.map(() => uuidv7())
  const rows = entries.map(
    (entry, i) =>
      sql`(${ids[i]}::uuid, ${entry.topic}, ${entry.key}, ${JSON.stringify(entry.payload)}::jsonb)`,
  )
  await tx.execute(sql`INSERT INTO outbox (id, topic, key, payload) VALUES ${sql.join(rows, sql`, `)}`)
  return ids
}

const BATCH = 500
/** How long a relay may take to publish what it claimed before another relay may take it over. */
const LEASE_SECONDS = 5

/**
 * Publishes unpublished outbox rows in order and marks them. A short statement leases a batch (SKIP
 * LOCKED, so several relays share the work); publishing happens outside any transaction, so
 * consumers may use the database; a relay that dies before marking leaves its rows to be leased
 * again (at-least-once: consumers dedupe by event id).
 */
export async function relayOnce(db: Db, bus: EventBus, lag?: Histogram): Promise<number> {
  const rows = rowsOf<{
    id: string
    topic: string
    key: string
    payload: unknown
    created_at: Date | string
  }>(
    await db.primary.execute(sql`
      UPDATE outbox SET claimed_until = now() + make_interval(secs => ${LEASE_SECONDS})
      WHERE id IN (
        SELECT id FROM outbox
        WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
        ORDER BY created_at, id
        LIMIT ${BATCH}
        FOR UPDATE SKIP LOCKED)
      RETURNING id, topic, key, payload, created_at`),
  )
  if (rows.length === 0) return 0
  const events: BusEvent[] = rows
    .map((row) => ({
      id: row.id,
      topic: row.topic,
      key: row.key,
      payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload,
      created_at: new Date(row.created_at).toISOString(),
    }))
    .sort((a, b) =>
      a.created_at === b.created_at ? a.id.localeCompare(b.id) : a.created_at < b.created_at ? -1 : 1,
    )
  await bus.publish(events)
  const now = Date.now()
  for (const event of events) lag?.observe((now - Date.parse(event.created_at)) / 1000)
  await db.primary.execute(
    sql`UPDATE outbox SET published_at = now() WHERE id IN (${sql.join(
      rows.map((r) => sql`${r.id}::uuid`),
      sql`, `,
    )})`,
  )
  return rows.length
}

/** Runs the relay continuously; drains whole backlogs before sleeping. */
export function startRelay(db: Db, bus: EventBus, everyMs: number, log: FastifyBaseLogger, lag?: Histogram) {
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let wake: (() => void) | undefined
  const loop = async () => {
    while (!stopped) {
      let published = 0
      try {
        published = await relayOnce(db, bus, lag)
      } catch (error) {
        log.warn({ err: error }, 'outbox relay failed; retrying')
      }
      if (published < BATCH) {
        await new Promise<void>((resolve) => {
          wake = resolve
          timer = setTimeout(resolve, everyMs)
        })
      }
    }
  }
  const running = loop()
  return {
    /** Relays now rather than at the next tick (after a local commit). */
    nudge() {
      clearTimeout(timer)
      wake?.()
    },
    async stop() {
      stopped = true
      clearTimeout(timer)
      wake?.()
      await running
    },
  }
}
