import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import {
  memoryRateLimitStore,
  type RateLimitStore,
  redisRateLimitStore,
} from '../../src/platform/rate-limit/index.js'
import { connectRedis, type RedisClient } from '../../src/platform/redis.js'
import { uniqueName } from '../support/engines.js'

const WINDOW_MS = 400

/** The behaviour every RateLimitStore adapter must show; `open` gives a fresh, empty store. */
function rateLimitStoreContract(open: () => RateLimitStore) {
  let store: RateLimitStore
  beforeAll(() => {
    store = open()
  })
  afterAll(() => store?.close())

  it('counts hits within one window, starting at 1', async () => {
    const key = uniqueName('count')
    const counts: number[] = []
    for (let i = 0; i < 5; i++) counts.push((await store.hit(key, 60_000)).current)
    expect(counts).toEqual([1, 2, 3, 4, 5])
  })

  it('starts a new window, counting from 1 again, once the window has passed', async () => {
    const key = uniqueName('reset')
    await store.hit(key, WINDOW_MS)
    expect((await store.hit(key, WINDOW_MS)).current).toBe(2)
    await sleep(WINDOW_MS + 150)
    const fresh = await store.hit(key, WINDOW_MS)
    expect(fresh.current).toBe(1)
    expect(fresh.ttl).toBeGreaterThan(WINDOW_MS / 2)
    expect(fresh.ttl).toBeLessThanOrEqual(WINDOW_MS)
  })

  it('reports a ttl within the window that decreases as the window runs out', async () => {
    const key = uniqueName('ttl')
    const first = await store.hit(key, 10_000)
    expect(first.ttl).toBeGreaterThan(9_000)
    expect(first.ttl).toBeLessThanOrEqual(10_000)
    await sleep(120)
    const second = await store.hit(key, 10_000)
    expect(second.current).toBe(2)
    // The window is fixed at the first hit: later hits don't extend it.
    expect(second.ttl).toBeLessThan(first.ttl)
    expect(first.ttl - second.ttl).toBeGreaterThanOrEqual(80)
  })

  it('keeps separate counts for separate keys', async () => {
    const a = uniqueName('a')
    const b = uniqueName('b')
    for (let i = 0; i < 3; i++) await store.hit(a, 60_000)
    expect((await store.hit(b, 60_000)).current).toBe(1)
    expect((await store.hit(a, 60_000)).current).toBe(4)
    expect((await store.hit(b, 60_000)).current).toBe(2)
  })

  it('counts every one of many concurrent hits exactly once', async () => {
    const key = uniqueName('burst')
    const hits = await Promise.all(Array.from({ length: 50 }, () => store.hit(key, 60_000)))
    expect(hits.map((h) => h.current).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    )
  })
}

describe('rate-limit store contract [memory]', () => {
  rateLimitStoreContract(() => memoryRateLimitStore())

  it('forgets the least recently used keys beyond its capacity, so memory stays bounded', async () => {
    const store = memoryRateLimitStore(2)
    await store.hit('first', 60_000)
    await store.hit('second', 60_000)
    await store.hit('third', 60_000)
    expect((await store.hit('first', 60_000)).current).toBe(1)
    expect((await store.hit('third', 60_000)).current).toBe(2)
  })
})

const redisUrl = inject('engines').redis

describe.skipIf(!redisUrl)('rate-limit store contract [redis]', () => {
  const prefix = `${uniqueName('t')}:`
  let client: RedisClient

  beforeAll(async () => {
    client = await connectRedis(redisUrl!)
  })
  afterAll(async () => {
    if (!client) return
    const keys = (await client.keys(`${prefix}*`)) as string[]
    if (keys.length > 0) await client.del(keys)
    await client.close()
  })

  rateLimitStoreContract(() => redisRateLimitStore(client, prefix))

  it('writes only under its key prefix, and every counter expires by itself', async () => {
    const store = redisRateLimitStore(client, prefix)
    await store.hit('visible', 30_000)
    const keys = (await client.keys(`${prefix}*`)) as string[]
    expect(keys).toContain(`${prefix}rl:visible`)
    for (const key of keys) expect(await client.pTTL(key)).toBeGreaterThan(0)
  })

  it('shares counts between two stores on the same prefix, as processes of one deployment do', async () => {
    const other = await connectRedis(redisUrl!)
    try {
      const key = uniqueName('shared')
      const one = redisRateLimitStore(client, prefix)
      const two = redisRateLimitStore(other, prefix)
      await one.hit(key, 60_000)
      expect((await two.hit(key, 60_000)).current).toBe(2)
      // Another deployment (another prefix) counts on its own.
      expect((await redisRateLimitStore(other, `${prefix}other:`).hit(key, 60_000)).current).toBe(1)
    } finally {
      await other.close()
    }
  })

  it('keeps working after Redis forgets its scripts (a restarted or new node)', async () => {
    const store = redisRateLimitStore(client, prefix)
    const key = uniqueName('noscript')
    await store.hit(key, 60_000)
    await client.scriptFlush()
    expect((await store.hit(key, 60_000)).current).toBe(2)
  })
})
