import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type BusEvent, type EventBus, inProcessBus } from '../../src/platform/bus/index.js'
import { natsBus } from '../../src/platform/bus/nats.js'
import { deleteStream, uniqueName } from '../support/engines.js'

const event = (topic: string, n: number, id = `${uniqueName('e')}-${n}`): BusEvent => ({
  id,
  topic,
  key: `k${n}`,
  payload: { n },
  created_at: new Date().toISOString(),
})

async function until(check: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(10)
  }
}

/** What every EventBus adapter must do; `open` gives a bus on a fresh stream. */
function eventBusContract(open: () => Promise<EventBus>, opts: { sharedAcrossInstances: boolean }) {
  let bus: EventBus
  beforeAll(async () => {
    bus = await open()
  })
  afterAll(() => bus?.close())

  it('delivers published events to subscribers of their topic, in order, with increasing seq', async () => {
    const got: BusEvent[] = []
    const stop = bus.subscribe({ topics: ['a.one'], handler: (e) => void got.push(e) })
    await bus.ready()
    await bus.publish([event('a.one', 1), event('a.other', 2), event('a.one', 3)])
    await until(() => got.length === 2)
    expect(got.map((e) => (e.payload as { n: number }).n)).toEqual([1, 3])
    expect(got[1]!.seq!).toBeGreaterThan(got[0]!.seq!)
    stop()
  })

  it('stops delivering after unsubscribe', async () => {
    const got: BusEvent[] = []
    const stop = bus.subscribe({ topics: '*', handler: (e) => void got.push(e) })
    await bus.ready()
    await bus.publish([event('b.x', 1)])
    await until(() => got.length === 1)
    stop()
    await bus.publish([event('b.x', 2)])
    await sleep(300)
    expect(got).toHaveLength(1)
  })

  it.runIf(opts.sharedAcrossInstances)(
    'gives each event to one member of a group, and every event to broadcast subscribers of every instance',
    async () => {
      const other = await open()
      try {
        const group = uniqueName('g')
        const handled: string[] = []
        const broadcast: string[][] = [[], []]
        const buses = [bus, other]
        const stops = buses.flatMap((b, i) => [
          b.subscribe({ group, topics: ['c.work'], handler: (e) => void handled.push(e.id) }),
          b.subscribe({ topics: ['c.work'], handler: (e) => void broadcast[i]!.push(e.id) }),
        ])
        await Promise.all(buses.map((b) => b.ready()))
        const events = Array.from({ length: 20 }, (_, n) => event('c.work', n))
        await bus.publish(events)
        await until(() => handled.length >= 20 && broadcast.every((b) => b.length === 20))
        await sleep(300)
        expect(new Set(handled).size).toBe(20)
        expect(handled).toHaveLength(20)
        for (const seen of broadcast) expect(seen).toEqual(events.map((e) => e.id))
        for (const stop of stops) stop()
      } finally {
        await other.close()
      }
    },
  )

  it.runIf(opts.sharedAcrossInstances)(
    'drops a republished event id (relay retry) instead of delivering it twice',
    async () => {
      const got: string[] = []
      const stop = bus.subscribe({ topics: ['d.once'], handler: (e) => void got.push(e.id) })
      await bus.ready()
      const once = event('d.once', 1)
      await bus.publish([once])
      await bus.publish([once])
      await bus.publish([event('d.once', 2)])
      await until(() => got.length >= 2)
      await sleep(300)
      expect(got.filter((id) => id === once.id)).toHaveLength(1)
      stop()
    },
  )

  it('redelivers a group event whose handler failed', async () => {
    let attempts = 0
    const stop = bus.subscribe({
      group: uniqueName('retry'),
      topics: ['e.flaky'],
      handler: () => {
        attempts += 1
        if (attempts === 1) throw new Error('first attempt fails')
      },
    })
    await bus.ready()
    await bus.publish([event('e.flaky', 1)])
    if (opts.sharedAcrossInstances) await until(() => attempts >= 2, 10_000)
    else await until(() => attempts >= 1)
    stop()
  })
}

describe('event bus [in-process]', () => {
  eventBusContract(async () => inProcessBus(() => {}), { sharedAcrossInstances: false })
})

const natsUrl = inject('engines').nats
describe.skipIf(!natsUrl)('event bus [nats jetstream]', () => {
  const stream = uniqueName('LDTEST')
  const subjectPrefix = uniqueName('ldtest')
  eventBusContract(() => natsBus({ url: natsUrl!, stream, subjectPrefix, onError: () => {} }), {
    sharedAcrossInstances: true,
  })
  afterAll(() => deleteStream(natsUrl!, stream))
})
