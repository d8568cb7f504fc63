import { createHash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { luaScript, type RedisClient, runScript } from '../../platform/redis.js'

export type Begin =
  /**
   * The key is claimed for this request. `unseen`: the store vouches that no earlier request with this
   * key placed an order, so a refusal needs no look at the durable record. A store that forgets (an
   * in-process one across restarts), a claim taken over from a request that crashed or gave up, and a
   * key the store may have lost cannot vouch.
   */
  | { state: 'new'; unseen: boolean }
  | { state: 'in_flight' }
  | { state: 'mismatch' }
  | { state: 'done'; status: number; body: string }

/**
 * The fast record of order requests by (user, Idempotency-Key). The database keeps the durable
 * record of every placed order; this store also answers for rejected attempts, which never reach it.
 */
export interface IdempotencyStore {
  /** Claims the key for this request, or says what became of the earlier one. */
  begin(userId: string, key: string, fingerprint: string): Promise<Begin>
  finish(userId: string, key: string, fingerprint: string, status: number, body: string): Promise<void>
  /**
   * Frees the key after an unexpected failure, so the client may retry. The failed request may still
   * have placed its order (a commit whose answer was lost), so the next claim of the key is not unseen.
   */
  abandon(userId: string, key: string): Promise<void>
}

/** Keys are kept at least this long. */
export const IDEMPOTENCY_TTL_MS = 25 * 3600 * 1000
/** A request that crashed mid-flight frees its key after this long. */
export const IN_FLIGHT_TTL_MS = 60 * 1000

interface Entry {
  fp: string
  state: 'in_flight' | 'done'
  /** In-flight claims: when the claim lapses (ms since the epoch), the request presumed crashed. */
  lease?: number
  status?: number
  body?: string
}

function interpret(entry: Entry, fingerprint: string): Begin {
  if (entry.fp !== fingerprint) return { state: 'mismatch' }
  if (entry.state === 'in_flight') return { state: 'in_flight' }
  return { state: 'done', status: entry.status!, body: entry.body! }
}

/** A stable digest of a request body: the same JSON in any key order gives the same fingerprint. */
export function fingerprint(body: unknown): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical)
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
      )
    }
    return value
  }
  return createHash('sha256')
    .update(JSON.stringify(canonical(body)))
    .digest('base64url')
}

export function memoryIdempotencyStore(max = 1_000_000): IdempotencyStore {
  const entries = new LRUCache<string, Entry>({ max })
  const id = (userId: string, key: string) => `${userId}\u0000${key}`
  return {
    async begin(userId, key, fp) {
      const existing = entries.get(id(userId, key))
      if (existing) return interpret(existing, fp)
      entries.set(id(userId, key), { fp, state: 'in_flight' }, { ttl: IN_FLIGHT_TTL_MS })
      // This store forgets on restart and on eviction.
      return { state: 'new', unseen: false }
    },
    async finish(userId, key, fp, status, body) {
      entries.set(id(userId, key), { fp, state: 'done', status, body }, { ttl: IDEMPOTENCY_TTL_MS })
    },
    async abandon(userId, key) {
      entries.delete(id(userId, key))
    },
  }
}

/**
 * Claims a key. A claim is kept as long as a finished record, with a lease: a claim whose lease has
 * lapsed (its request crashed, or gave up) is taken over and answered `stale`, so an absent key is one
 * never used. ARGV: the claim, its keeping time in ms, now in ms.
 */
const BEGIN = luaScript(`
local existing = redis.call('GET', KEYS[1])
if existing then
  local entry = cjson.decode(existing)
  if entry.state ~= 'in_flight' or tonumber(entry.lease) > tonumber(ARGV[3]) then return existing end
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 'stale'
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
`)

export function redisIdempotencyStore(client: RedisClient, prefix: string): IdempotencyStore {
  const redisKey = (userId: string, key: string) =>
    `${prefix}idem:${userId}:${createHash('sha256').update(key).digest('base64url')}`
  return {
    async begin(userId, key, fp) {
      const now = Date.now()
      const claim: Entry = { fp, state: 'in_flight', lease: now + IN_FLIGHT_TTL_MS }
      const existing = await runScript(
        client,
        BEGIN,
        [redisKey(userId, key)],
        [JSON.stringify(claim), IDEMPOTENCY_TTL_MS, now],
      )
      if (existing === null || existing === undefined || existing === false) {
        return { state: 'new', unseen: true }
      }
      if (existing === 'stale') return { state: 'new', unseen: false }
      return interpret(JSON.parse(String(existing)) as Entry, fp)
    },
    async finish(userId, key, fp, status, body) {
      const entry: Entry = { fp, state: 'done', status, body }
      await client.set(redisKey(userId, key), JSON.stringify(entry), { PX: IDEMPOTENCY_TTL_MS })
    },
    async abandon(userId, key) {
      // A lapsed claim, not no record: the next request takes the key over but cannot be vouched for.
      const lapsed: Entry = { fp: '', state: 'in_flight', lease: 0 }
      await client.set(redisKey(userId, key), JSON.stringify(lapsed), { PX: IDEMPOTENCY_TTL_MS })
    },
  }
}
