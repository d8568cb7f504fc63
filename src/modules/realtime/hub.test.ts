import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { BusEvent } from '../../platform/bus/index.js'
import { createHub, type Peer } from './hub.js'
import { sharedSnapshots } from './snapshots.js'

const DROP = '01900000-0000-7000-8000-000000000001'
const INTERVAL = 250

interface Received {
  at: number
  seq: number
  event: string
  remaining?: number
}

function watcher(onSend?: () => void) {
  const received: Received[] = []
  const peer: Peer = {
    userId: undefined,
    send(bytes) {
      const message = JSON.parse(bytes.toString())
      received.push({
        at: Date.now(),
        seq: message.seq,
        event: message.event,
        remaining: message.data?.remaining_inventory,
      })
      onSend?.()
      return true
    },
  }
  return { peer, received }
}

let seq = 0
function event(topic: string, payload: Record<string, unknown>): BusEvent {
  seq += 1
  return { id: `e${seq}`, topic, key: DROP, payload, created_at: new Date().toISOString(), seq }
}
const stock = (remaining: number) =>
  event('stock.changed', {
    drop_id: DROP,
    remaining_inventory: remaining,
    version: 1000 - remaining,
    items: [],
  })

describe('hub stock conflation', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    seq = 0
  })
  afterEach(() => vi.useRealTimers())

  it('sends stock figures at most once per interval, thresholds and the sell-out included, in seq order', () => {
    const hub = createHub({ stockIntervalMs: INTERVAL, replayDepth: 100 })
    const { peer, received } = watcher()
    hub.watchDrop(peer, DROP)
    // A steady stream of changes, with the low-stock crossing and the sell-out among them.
    for (let remaining = 20; remaining >= 0; remaining--) {
      hub.dispatch(stock(remaining))
      if (remaining === 10) hub.dispatch(event('stock.low', { drop_id: DROP, remaining_inventory: 10 }))
      if (remaining === 0) hub.dispatch(event('drop.sold_out', { drop_id: DROP }))
      vi.advanceTimersByTime(40)
    }
    vi.advanceTimersByTime(1_000)
    hub.close()

    const figures = received.filter((m) => m.event === 'stock.changed')
    for (let i = 1; i < figures.length; i++) {
      expect(figures[i]!.at - figures[i - 1]!.at).toBeGreaterThanOrEqual(INTERVAL)
    }
    expect(figures.at(-1)!.remaining).toBe(0)
    const seqs = received.map((m) => m.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect(received.filter((m) => m.event === 'stock.low')).toHaveLength(1)
    expect(received.at(-1)!.event).toBe('drop.sold_out')
  })

  it('times the interval from the end of a broadcast, so no socket gets two figures too close', () => {
    const hub = createHub({ stockIntervalMs: INTERVAL, replayDepth: 100 })
    // Three hundred watchers; sending to each takes 1 ms, so a broadcast lasts longer than the interval.
    const watchers = Array.from({ length: 300 }, () => watcher(() => vi.setSystemTime(Date.now() + 1)))
    for (const w of watchers) hub.watchDrop(w.peer, DROP)
    for (let remaining = 50; remaining >= 1; remaining--) {
      hub.dispatch(stock(remaining))
      vi.advanceTimersByTime(20)
    }
    vi.advanceTimersByTime(2_000)
    hub.close()
    for (const { received } of watchers) {
      expect(received.length).toBeGreaterThan(1)
      for (let i = 1; i < received.length; i++) {
        expect(received[i]!.at - received[i - 1]!.at).toBeGreaterThanOrEqual(INTERVAL)
      }
      expect(received.at(-1)!.remaining).toBe(1)
    }
  })

  it('never sends figures older than those already sent, whatever order their commits reach the bus in', () => {
    const hub = createHub({ stockIntervalMs: INTERVAL, replayDepth: 100 })
    const { peer, received } = watcher()
    hub.watchDrop(peer, DROP)
    const figures = (remaining: number, version: number) =>
      event('stock.changed', { drop_id: DROP, remaining_inventory: remaining, version, items: [] })
    // Of two transactions on a drop, the one that began first may commit second (version 2); the
    // relay publishes by when they began, so version 2 reaches the gateway before version 1.
    hub.dispatch(figures(8, 2))
    vi.advanceTimersByTime(INTERVAL * 2)
    hub.dispatch(figures(9, 1))
    vi.advanceTimersByTime(INTERVAL * 2)
    // A redelivered event (at-least-once) is no news either.
    hub.dispatch(figures(8, 2))
    vi.advanceTimersByTime(INTERVAL * 2)
    hub.dispatch(figures(7, 3))
    vi.advanceTimersByTime(INTERVAL * 2)
    hub.close()
    expect(received.map((m) => [m.seq, m.remaining])).toEqual([
      [1, 8],
      [4, 7],
    ])
  })
})

describe('shared drop snapshots', () => {
  it('reads once for everyone subscribing at one position, and afresh once the channel moved', async () => {
    let position = 7
    const reads: string[] = []
    const snapshot = sharedSnapshots(
      async (dropId) => {
        reads.push(dropId)
        return dropId === DROP ? { remaining_inventory: reads.length } : undefined
      },
      () => position,
      60_000,
    )
    const [a, b] = [snapshot(DROP), snapshot(DROP)]
    expect(a).toBe(b)
    const bytes = await a.frame
    expect(JSON.parse(bytes!.toString())).toEqual({
      type: 'snapshot',
      channel: `drop:${DROP}`,
      seq: 7,
      data: { remaining_inventory: 1 },
    })
    expect(await snapshot(DROP).frame).toBe(bytes)
    expect(reads).toHaveLength(1)

    position = 8
    const moved = snapshot(DROP)
    expect(moved.seq).toBe(8)
    expect(JSON.parse((await moved.frame)!.toString()).data).toEqual({ remaining_inventory: 2 })

    const missing = '01900000-0000-7000-8000-0000000000ff'
    expect(await snapshot(missing).frame).toBeUndefined()
    expect(await snapshot(missing).frame).toBeUndefined()
    expect(reads.filter((id) => id === missing)).toHaveLength(2)
  })

  it('lets a failed read be retried by the next subscriber', async () => {
    let fail = true
    const snapshot = sharedSnapshots(
      async () => {
        if (fail) throw new Error('database unavailable')
        return { ok: true }
      },
      () => 1,
      60_000,
    )
    await expect(snapshot(DROP).frame).rejects.toThrow('database unavailable')
    fail = false
    expect(JSON.parse((await snapshot(DROP).frame)!.toString()).data).toEqual({ ok: true })
  })
})
