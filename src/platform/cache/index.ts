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
 * Redis behind a short-lived in-process LRU: most reads never leave the process, and an invalidation
 * reaches other processes within `localTtlMs`.
 */
export function redisCache(client: RedisClient, prefix: string, localTtlMs = 1_000): Cache {
  const local = memoryCache(10_000)
  return {
    async get<T>(key: string) {
      const near = await local.get<T>(key)
      if (near !== undefined) return near
      const raw = await client.get(`${prefix}cache:${key}`)
      if (raw === null || raw === undefined) return undefined
      const value = JSON.parse(String(raw)) as T
      await local.set(key, value, localTtlMs)
      return value
    },
    async set(key, value, ttlMs) {
      await local.set(key, value, Math.min(ttlMs, localTtlMs))
      await client.set(`${prefix}cache:${key}`, JSON.stringify(value), { PX: ttlMs })
    },
    async delete(key) {
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
