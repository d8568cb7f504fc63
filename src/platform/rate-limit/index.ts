import { LRUCache } from 'lru-cache'
import { luaScript, type RedisClient, runScript } from '../redis.js'

export interface Hit {
  /** Hits in the current window, this one included. */
  current: number
  /** Milliseconds until the window resets. */
  ttl: number
}

/** Fixed-window counters keyed by caller; the port behind every rate limit. */
export interface RateLimitStore {
  hit(key: string, windowMs: number): Promise<Hit>
  close(): Promise<void>
}

export function memoryRateLimitStore(maxKeys = 100_000): RateLimitStore {
  const windows = new LRUCache<string, { count: number; resetAt: number }>({ max: maxKeys })
  return {
    async hit(key, windowMs) {
      const now = Date.now()
      let window = windows.get(key)
      if (!window || window.resetAt <= now) {
        window = { count: 0, resetAt: now + windowMs }
        windows.set(key, window)
      }
      window.count += 1
      return { current: window.count, ttl: window.resetAt - now }
    },
    async close() {
      windows.clear()
    },
  }
}

const HIT = luaScript(`
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return { current, ttl }
`)

export function redisRateLimitStore(client: RedisClient, prefix: string): RateLimitStore {
  return {
    async hit(key, windowMs) {
      const [current, ttl] = (await runScript(client, HIT, [`${prefix}rl:${key}`], [windowMs])) as [
        number,
        number,
      ]
      return { current, ttl }
    },
    async close() {},
  }
}
