import { sql } from 'drizzle-orm'
import { afterAll, expect, it } from 'vitest'
import { rowsOf } from '../src/platform/db/index.js'
import { type Client, client, register } from './support/client.js'
import {
  deleteStream,
  describeShapes,
  isolatedDatabase,
  startApp,
  type TestApp,
  uniqueName,
} from './support/engines.js'
import { becomeCreator, eventually, newProduct } from './support/flash-sale.js'

const V1 = '/api/v1'
/** Drops that start (and end) at the same instant, so both schedulers reach for the same rows. */
const DROPS = 12
const LEAD_MS = 2_000
const WINDOW_MS = 2_000

describeShapes('drop scheduler with two workers on one database', (shape) => {
  const cleanups: (() => Promise<unknown>)[] = []
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
  })

  // The embedded database belongs to one process: there is no second worker to race with.
  it.skipIf(!shape.databaseUrl)(
    'starts and ends each drop once, cluster-wide, within 1 s of its times',
    async () => {
      const database = await isolatedDatabase(shape.databaseUrl!)
      cleanups.push(() => database.drop())
      // One deployment: the same database, Redis key prefix and event stream for both processes.
      const shared: Record<string, string> = { REDIS_KEY_PREFIX: `${uniqueName('sched')}:` }
      if (shape.natsUrl) {
        shared.NATS_STREAM = uniqueName('LDSCHED')
        shared.NATS_SUBJECT_PREFIX = uniqueName('ldsched')
        cleanups.push(() => deleteStream(shape.natsUrl!, shared.NATS_STREAM!))
      }
      const options = { databaseUrl: database.url }
      // Booted together, as a fleet is: migrations are serialised by their lock.
      const [all, worker] = await Promise.all([
        startApp(shape, { ...shared, LIVEDROP_ROLE: 'all' }, options),
        startApp(shape, { ...shared, LIVEDROP_ROLE: 'worker' }, options),
      ])
      for (const app of [all, worker] as TestApp[]) cleanups.push(() => app.close())
      expect(worker.config.role).toBe('worker')
      const api: Client = client(all.url)
      const db = all.app.db

      const seller = await becomeCreator(api, (await register(api)).access_token)
      const item = await newProduct(api, seller, 'Scheduled')
      const startsAt = new Date(Math.ceil((Date.now() + LEAD_MS) / 1000) * 1000)
      const endsAt = new Date(startsAt.getTime() + WINDOW_MS)
      const dropIds = await Promise.all(
        Array.from({ length: DROPS }, async (_, i) => {
          const reply = await api.post(
            `${V1}/drops`,
            {
              name: `On time ${i}`,
              start_time: startsAt.toISOString(),
              end_time: endsAt.toISOString(),
              items: [{ product_id: item.productId, drop_price: 500, initial_stock: 5 }],
            },
            seller.token,
          )
          expect(reply.status, JSON.stringify(reply.body)).toBe(201)
          expect(reply.body.status).toBe('scheduled')
          return reply.body.drop_id as string
        }),
      )
      expect(Date.now()).toBeLessThan(startsAt.getTime())

      const statuses = async () =>
        rowsOf<{ drop_id: string; status: string }>(
          await db.primary.execute(sql`
            SELECT drop_id, status FROM drops
            WHERE drop_id IN (${sql.join(
              dropIds.map((id) => sql`${id}::uuid`),
              sql`, `,
            )})`),
        )
      /** Polls until every drop has `status`; returns when that was first seen, in ms after `at`. */
      const reached = async (status: string, at: Date) => {
        const ok = await eventually(
          async () => (await statuses()).every((r) => r.status === status),
          at.getTime() - Date.now() + 3_000,
          20,
        )
        return ok ? Date.now() - at.getTime() : Number.POSITIVE_INFINITY
      }
      /** Each drop's events of `topic`, with how long after `at` each was written. */
      const events = async (topic: string, at: Date) =>
        rowsOf<{ key: string; late_ms: number | string }>(
          await db.primary.execute(sql`
            SELECT key, (extract(epoch FROM created_at - ${at.toISOString()}::timestamptz) * 1000)::float8 AS late_ms
            FROM outbox WHERE topic = ${topic} AND key IN (${sql.join(dropIds, sql`, `)})`),
        )
      /** What the api process answers for a drop, cache and all. */
      const apiStatus = async (dropId: string) => (await api.get(`${V1}/drops/${dropId}`)).body.status

      const liveAfter = await reached('live', startsAt)
      expect(liveAfter).toBeLessThan(1_000)
      // The public view agrees within the same second (caches are invalidated by the transition).
      expect(
        await eventually(
          async () => (await Promise.all(dropIds.map(apiStatus))).every((s) => s === 'live'),
          startsAt.getTime() + 1_000 - Date.now(),
          20,
        ),
      ).toBe(true)

      const endedAfter = await reached('ended', endsAt)
      expect(endedAfter).toBeLessThan(1_000)
      expect(
        await eventually(
          async () => (await Promise.all(dropIds.map(apiStatus))).every((s) => s === 'ended'),
          endsAt.getTime() + 1_000 - Date.now(),
          20,
        ),
      ).toBe(true)

      // Let both schedulers tick a few more times: nothing moves twice.
      await new Promise((resolve) => setTimeout(resolve, 600))
      for (const [topic, at] of [
        ['drop.started', startsAt],
        ['drop.ended', endsAt],
      ] as const) {
        const rows = await events(topic, at)
        const perDrop = new Map<string, number>()
        for (const row of rows) {
          perDrop.set(row.key, (perDrop.get(row.key) ?? 0) + 1)
          // Written by the transition itself: never early, and within the second.
          expect(Number(row.late_ms)).toBeGreaterThanOrEqual(0)
          expect(Number(row.late_ms)).toBeLessThan(1_000)
        }
        expect(dropIds.map((id) => perDrop.get(id) ?? 0)).toEqual(dropIds.map(() => 1))
      }
      console.info(
        `[${shape.name}] two schedulers: ${DROPS} drops live ${liveAfter} ms after start, ended ${endedAfter} ms after end (as polled)`,
      )
    },
  )
})
