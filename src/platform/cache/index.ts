import { LRUCache } from 'lru-cache'
import type { RedisClient } from '../redis.js'

/** Read-through cache for display reads; never for decisions. Values are JSON-serialisable. */
export interface Cache {
  get<T>(key: string): Promise<T | undefined>
  set(key: string, value: unknown, ttlMs: number): Promise<void>
  delete(key: string): Promise<void>
}

export function memoryCache(max = 50_000): Cache {
  const lru = new LRUCache<string, { value: unknown }>({ max, ttlAutopurge: false })
  return {
    async get<T>(key: string) {
      return lru.get(key)?.value as T | undefined
    },
    async set(key, value, ttlMs) {
      lru.set(key, { value }, { ttl: ttlMs })
    },
    async delete(key) {
      lru.delete(key)
    },
  }
}

/**
 * Concurrent calls for one key share a single run of their work while it lasts. A popular cached value
 * expires under thousands of reads a second: without this, every read that arrives before the first
 * reload is back starts a reload of its own (a Redis GET or a database query each), and the pile-up
 * stalls the reads for tens of milliseconds every time the value expires.
 */
export function sharedRuns<V>() {
  const running = new Map<string, Promise<V>>()
  return {
    run(key: string, work: () => Promise<V>): Promise<V> {
      const current = running.get(key)
      if (current) return current
      const started = work()
      running.set(key, started)
      const done = () => {
        if (running.get(key) === started) running.delete(key)
      }
      started.then(done, done)
      return started
    },
    /** Calls after this start a run of their own (after an invalidation, say). */
    forget(key: string): void {
      running.delete(key)
    },
  }
}

/**
 * Redis behind a short-lived in-process LRU: most reads never leave the process, and an invalidation
 * reaches other processes within `localTtlMs`. Reads of one key that miss the LRU together share one
 * Redis GET.
 */
export function redisCache(client: RedisClient, prefix: string, localTtlMs = 1_000): Cache {
  const local = memoryCache(10_000)
  const reads = sharedRuns<unknown>()
  const read = async (key: string) => {
    const raw = await client.get(`${prefix}cache:${key}`)
    if (raw === null || raw === undefined) return undefined
    const value: unknown = JSON.parse(String(raw))
    await local.set(key, value, localTtlMs)
    return value
  }
  return {
    async get<T>(key: string) {
      const near = await local.get<T>(key)
      if (near !== undefined) return near
      return (await reads.run(key, () => read(key))) as T | undefined
    },
    async set(key, value, ttlMs) {
      reads.forget(key)
      await local.set(key, value, Math.min(ttlMs, localTtlMs))
      await client.set(`${prefix}cache:${key}`, JSON.stringify(value), { PX: ttlMs })
    },
    async delete(key) {
      reads.forget(key)
      await local.delete(key)
      await client.del(`${prefix}cache:${key}`)
    },
  }
}

/** Returns the cached value or loads, stores and returns it. */
export async function readThrough<T>(
  cache: Cache,
  key: string,
  ttlMs: number,
  load: () => Promise<T>,
): Promise<T> {
  const hit = await cache.get<T>(key)
  if (hit !== undefined) return hit
  const value = await load()
  if (value !== undefined) await cache.set(key, value, ttlMs)
  return value
}
