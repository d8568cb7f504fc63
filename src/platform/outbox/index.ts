import { sql } from 'drizzle-orm'
import type { FastifyBaseLogger } from 'fastify'
import type { Histogram } from 'prom-client'
import { UUID, uuidv7 } from 'uuidv7'
import type { BusEvent, EventBus } from '../bus/index.js'
import { type Db, type Executor, rowsOf } from '../db/index.js'
import { every } from '../loop.js'

export interface OutboxEntry<Payload = unknown> {
  topic: string
  key: string
  payload: Payload
}

/** The relays of this process, woken when it writes events (see `startRelay`). */
const wakers = new Set<() => void>()

/**
 * Tells this process's relays that events were just written, so they look soon rather than at their
 * idle pace. Writers that insert into the outbox by their own SQL call it once their write is done;
 * `appendToOutbox` calls it itself.
 */
export function outboxWritten(): void {
  for (const wake of wakers) wake()
}

/** Writes events in the caller's transaction, so they exist exactly when the change does. */
export async function appendToOutbox(tx: Executor, entries: OutboxEntry[]): Promise<string[]> {
  if (entries.length === 0) return []
  // Before the commit: the relay's next look comes a poll interval later, by when it has usually
  // happened; if not, the look after.
  outboxWritten()
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

/** The relay's longest sleep while nothing is written: the most an event written by another process waits. */
const IDLE_POLL_MS = 500

/**
 * Runs the relay continuously; drains whole backlogs before sleeping. It looks every `everyMs` while
 * events flow; each look that finds nothing doubles the wait, up to IDLE_POLL_MS, so an idle process
 * does not query the database twenty times a second. Events written by this process (`outboxWritten`)
 * and `nudge` bring the pace back at once.
 */
export function startRelay(db: Db, bus: EventBus, everyMs: number, log: FastifyBaseLogger, lag?: Histogram) {
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let wake: (() => void) | undefined
  let wait = everyMs
  const nudge = () => {
    wait = everyMs
    clearTimeout(timer)
    wake?.()
  }
  // A write wakes a sleeping relay after `everyMs`, not at once: a busy writer's events are taken a
  // batch at a time, as the steady pace takes them.
  const hasten = () => {
    if (wait === everyMs) return
    wait = everyMs
    if (!wake) return
    clearTimeout(timer)
    timer = setTimeout(wake, everyMs)
  }
  wakers.add(hasten)
  const loop = async () => {
    while (!stopped) {
      let published = 0
      try {
        published = await relayOnce(db, bus, lag)
      } catch (error) {
        log.warn({ err: error }, 'outbox relay failed; retrying')
      }
      if (published >= BATCH) continue
      wait = published > 0 ? everyMs : Math.min(wait * 2, Math.max(everyMs, IDLE_POLL_MS))
      await new Promise<void>((resolve) => {
        wake = resolve
        timer = setTimeout(resolve, wait)
      })
      wake = undefined
    }
  }
  const running = loop()
  return {
    /** Relays now rather than at the next tick (after a local commit). */
    nudge,
    async stop() {
      stopped = true
      wakers.delete(hasten)
      clearTimeout(timer)
      wake?.()
      await running
    },
  }
}

/** Rows one prune statement deletes at most; a backlog is taken in several. */
const PRUNE_BATCH = 10_000

/**
 * Deletes published events older than `retentionMs`. Ids are UUIDv7, so "older" is a range of the
 * primary key; the `created_at` guard keeps rows whose ids are not time-ordered.
 */
export async function pruneOutbox(db: Db, retentionMs: number, now = Date.now()): Promise<number> {
  const cutoff = now - retentionMs
  // The smallest UUIDv7 of the cutoff millisecond: every id made before it sorts below.
  const boundary = UUID.fromFieldsV7(cutoff, 0, 0, 0).toString()
  let pruned = 0
  for (;;) {
    const [row] = rowsOf<{ n: number | string }>(
      await db.primary.execute(sql`
        WITH gone AS (
          DELETE FROM outbox WHERE id IN (
            SELECT id FROM outbox
            WHERE id < ${boundary}::uuid AND published_at IS NOT NULL
              AND created_at < to_timestamp(${cutoff / 1000})
            ORDER BY id LIMIT ${PRUNE_BATCH})
          RETURNING 1)
        SELECT count(*) AS n FROM gone`),
    )
    const deleted = Number(row?.n ?? 0)
    pruned += deleted
    if (deleted < PRUNE_BATCH) return pruned
  }
}

/** Prunes published events past their retention every `everyMs`, so the outbox does not grow forever. */
export function startOutboxPruning(db: Db, retentionMs: number, everyMs: number, log: FastifyBaseLogger) {
  return every(everyMs, () => pruneOutbox(db, retentionMs), log, 'outbox pruning')
}
