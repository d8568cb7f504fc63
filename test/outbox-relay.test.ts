import { jetstreamManager } from '@nats-io/jetstream'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { EventBus } from '../src/platform/bus/index.js'
import { natsBus } from '../src/platform/bus/nats.js'
import { createDb } from '../src/platform/db/index.js'
import { migrate } from '../src/platform/db/migrate.js'
import { deleteStream, isolatedDatabase } from './support/engines.js'
import { clusterEnv, type RoleProcess, startRole, stopAll } from './support/processes.js'
import { eventually, sleep } from './support/shop.js'

/**
 * The outbox relay is at-least-once across crashes: `--role worker` processes lease batches of
 * rows, publish them to JetStream (deduplicated by event id) and mark them. Killed with SIGKILL
 * half-way, a relay leaves its leased rows to the next relay once the lease (5 s) runs out; rows it
 * had published but not marked are published again and JetStream drops the copies.
 */
const engines = inject('engines')
const available = Boolean(engines.postgres && engines.nats)
const TOPIC = 'relay.probe'

describe.skipIf(!available)('outbox relay [postgres+nats]', () => {
  let database: Awaited<ReturnType<typeof isolatedDatabase>> | undefined
  let env: ReturnType<typeof clusterEnv>
  let pool: pg.Pool
  let bus: EventBus | undefined
  let nc: NatsConnection | undefined
  const processes: (RoleProcess | undefined)[] = []
  /** Every delivery the test's own subscriber got, by event id. */
  const deliveries = new Map<string, number>()
  let produced = 0

  const start = async () => {
    const started = await startRole('worker', env)
    processes.push(started)
    return started
  }
  /** Appends rows as producers do (the relay cannot tell them from real events). */
  const produce = async (count: number) => {
    const from = produced + 1
    produced += count
    await pool.query(
      `INSERT INTO outbox (id, topic, key, payload)
       SELECT gen_random_uuid(), $1, 'probe', jsonb_build_object('n', n) FROM generate_series($2::int, $3::int) n`,
      [TOPIC, from, produced],
    )
  }
  const count = async (where: string) =>
    Number((await pool.query(`SELECT count(*) AS n FROM outbox WHERE ${where}`)).rows[0].n)
  const ids = async (where = 'true') =>
    (await pool.query(`SELECT id FROM outbox WHERE ${where}`)).rows.map((r) => r.id as string)
  const streamMessages = async () =>
    (await (await jetstreamManager(nc!)).streams.info(env.NATS_STREAM!)).state.messages
  /** Events this relay published, from its own metrics. */
  const publishedBy = async (relay: RoleProcess) => {
    const text = await (await fetch(`${relay.url}/metrics`)).text()
    return Number(/^livedrop_outbox_relay_lag_seconds_count (\d+)/m.exec(text)?.[1] ?? 0)
  }

  beforeAll(async () => {
    database = await isolatedDatabase(engines.postgres!)
    env = clusterEnv({ databaseUrl: database.url, natsUrl: engines.nats })
    const db = await createDb({ databaseUrl: database.url, readUrls: [], pgliteDir: '' })
    try {
      await migrate(db)
    } finally {
      await db.close()
    }
    pool = new pg.Pool({ connectionString: database.url, max: 4 })
    nc = await connect({ servers: engines.nats! })
    // A consumer like the product's: every process gets every event from now on.
    bus = await natsBus({
      url: engines.nats!,
      stream: env.NATS_STREAM!,
      subjectPrefix: env.NATS_SUBJECT_PREFIX!,
      onError: (error) => console.error(error),
    })
    bus.subscribe({
      topics: [TOPIC],
      handler: (event) => void deliveries.set(event.id, (deliveries.get(event.id) ?? 0) + 1),
    })
    await bus.ready()
  })

  afterAll(async () => {
    await stopAll(processes)
    await bus?.close()
    await nc?.close()
    await pool?.end()
    await database?.drop()
    if (env?.NATS_STREAM) await deleteStream(engines.nats!, env.NATS_STREAM)
  })

  it('loses no event when a relay is killed with SIGKILL mid-stream', async () => {
    await produce(3_000)
    const first = await start()
    // Producers keep writing while the relay works through the backlog and while it is down.
    const producing = (async () => {
      for (let i = 0; i < 20; i++) {
        await produce(100)
        await sleep(25)
      }
    })()
    await eventually(
      async () => deliveries.size,
      (seen) => seen >= 1_250,
      30_000,
      5,
    )
    await first.kill()
    const [published, leased, publishedUnmarked] = [
      await count('published_at IS NOT NULL'),
      await count('published_at IS NULL AND claimed_until > now()'),
      (await ids('published_at IS NULL')).filter((id) => deliveries.has(id)).length,
    ]
    console.log(
      `killed the relay after ${published} rows marked published; ${leased} rows leased by it and unmarked, ` +
        `${publishedUnmarked} of them already on the stream`,
    )
    expect(published).toBeLessThan(3_000)
    await producing
    expect(produced).toBe(5_000)

    const second = await start()
    // Rows the dead relay had leased come back once the lease runs out.
    await eventually(
      () => count('published_at IS NULL'),
      (left) => left === 0,
      45_000,
      250,
    )
    const all = await ids()
    await eventually(
      async () => all.filter((id) => !deliveries.has(id)).length,
      (missing) => missing === 0,
      5_000,
    )
    expect(all).toHaveLength(5_000)
    // The stream holds each event once: the copies republished after the crash were deduplicated.
    expect(await streamMessages()).toBe(5_000)
    // A consumer that dedupes by id acts once per event, however often an event is delivered.
    const acted = new Set(all.filter((id) => deliveries.has(id)))
    expect(acted.size).toBe(5_000)
    expect(deliveries.size).toBe(5_000)
    console.log(
      `after the restart: all 5000 published; ${[...deliveries.values()].filter((n) => n > 1).length} ` +
        `delivered more than once; ${await publishedBy(second)} published by the second relay`,
    )
  })

  it('lets two relays share the work, each row published once', async () => {
    const running = processes.find((p) => p?.child.exitCode === null && p.child.signalCode === null)!
    const other = await start()
    const before = { running: await publishedBy(running), other: await publishedBy(other) }
    const onStream = await streamMessages()
    const already = new Set(await ids())
    await produce(5_000)
    await eventually(
      () => count('published_at IS NULL'),
      (left) => left === 0,
      30_000,
      100,
    )
    const fresh = (await ids()).filter((id) => !already.has(id))
    expect(fresh).toHaveLength(5_000)
    await eventually(
      async () => fresh.filter((id) => !deliveries.has(id)).length,
      (missing) => missing === 0,
      5_000,
    )
    const by = {
      running: (await publishedBy(running)) - before.running,
      other: (await publishedBy(other)) - before.other,
    }
    console.log(`two relays: ${by.running} and ${by.other} events published`)
    // Both took part, and the leases kept them off each other's rows.
    expect(by.running).toBeGreaterThan(0)
    expect(by.other).toBeGreaterThan(0)
    expect(by.running + by.other).toBe(5_000)
    expect((await streamMessages()) - onStream).toBe(5_000)
    expect(fresh.every((id) => deliveries.get(id) === 1)).toBe(true)
  })
})
