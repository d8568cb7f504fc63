import type { FastifyBaseLogger } from 'fastify'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { SCHEDULER_TICK_MS, startScheduler } from './index.js'

const log = { warn: () => {} } as unknown as FastifyBaseLogger

beforeEach(() => vi.useFakeTimers())
afterEach(() => vi.useRealTimers())

it('wakes when the next start falls due, not at the next tick', async () => {
  const runs: number[] = []
  const origin = Date.now()
  const startsAt = origin + SCHEDULER_TICK_MS + 37
  const stop = startScheduler(
    {
      advanceSchedule: async () => {
        runs.push(Date.now() - origin)
        return { started: [], ended: [] }
      },
      nextTransitionAt: async () => (Date.now() < startsAt ? new Date(startsAt) : undefined),
    },
    log,
  )
  await vi.advanceTimersByTimeAsync(SCHEDULER_TICK_MS * 3)
  await stop()
  // The first tick, then exactly at the start, then the plain cadence once nothing is due.
  expect(runs.slice(0, 3)).toEqual([SCHEDULER_TICK_MS, SCHEDULER_TICK_MS + 37, 2 * SCHEDULER_TICK_MS + 37])
})

it('keeps ticking after a failure', async () => {
  let calls = 0
  const stop = startScheduler(
    {
      advanceSchedule: async () => {
        calls += 1
        if (calls === 1) throw new Error('database unavailable')
        return { started: [], ended: [] }
      },
      nextTransitionAt: async () => undefined,
    },
    log,
  )
  await vi.advanceTimersByTimeAsync(SCHEDULER_TICK_MS * 3)
  await stop()
  expect(calls).toBe(3)
})

it('looks again soon when a due transition was not made (another scheduler holds it)', async () => {
  const runs: number[] = []
  const origin = Date.now()
  const stop = startScheduler(
    {
      advanceSchedule: async () => {
        runs.push(Date.now() - origin)
        return { started: [], ended: [] }
      },
      // Due since the first tick, and still there until the third run.
      nextTransitionAt: async () => (runs.length < 3 ? new Date(origin) : undefined),
    },
    log,
  )
  await vi.advanceTimersByTimeAsync(SCHEDULER_TICK_MS + 100)
  await stop()
  expect(runs.slice(0, 3)).toEqual([SCHEDULER_TICK_MS, SCHEDULER_TICK_MS + 20, SCHEDULER_TICK_MS + 40])
})

it('says when a run started or ended drops, so their events can be relayed at once', async () => {
  const results = [
    { started: [], ended: [] },
    { started: ['d1'], ended: [] },
    { started: [], ended: ['d0'] },
  ]
  let moved = 0
  const stop = startScheduler(
    {
      advanceSchedule: async () => results.shift() ?? { started: [], ended: [] },
      nextTransitionAt: async () => undefined,
    },
    log,
    () => {
      moved += 1
    },
  )
  await vi.advanceTimersByTimeAsync(SCHEDULER_TICK_MS * 4)
  await stop()
  expect(moved).toBe(2)
})
