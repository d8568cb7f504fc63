import { hash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { luaScript, type RedisClient, runScript } from '../../platform/redis.js'
import {
  type GateLine,
  type InventoryGate,
  RESERVE_FUNCTION,
  type ReserveOutcome,
  redisGateKeys,
  reservePairs,
} from '../inventory/index.js'
import { GATE_REFUSAL_ANSWERS } from './refusals.js'

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
   * Where the store and the inventory gate share one Redis server: claims the key and, unless an
   * earlier request answers it, reserves in the gate, in one atomic step (one round trip instead of
   * two). A refusal for a key never seen before is recorded as the key's answer in the same step.
   */
  claimAndReserve?(
    userId: string,
    key: string,
    fingerprint: string,
    reservation: { dropId: string; lines: GateLine[]; perUserLimit: number },
  ): Promise<ClaimedReservation>
  /**
   * Frees the key after an unexpected failure, so the client may retry. The failed request may still
   * have placed its order (a commit whose answer was lost), so the next claim of the key is not unseen.
   */
  abandon(userId: string, key: string): Promise<void>
}

export type ClaimedReservation =
  /** An earlier request with the key answers this one; nothing was reserved. */
  | { state: 'earlier'; begun: Exclude<Begin, { state: 'new' }> }
  /** Refused, and the refusal is recorded as the key's answer: nothing left to finish. */
  | { state: 'refused'; outcome: Exclude<ReserveOutcome, 'ok' | 'not_loaded'> }
  /** The key is claimed (as `begin` claims it) and this is the gate's verdict. */
  | { state: 'claimed'; unseen: boolean; outcome: ReserveOutcome }

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

function interpret(entry: Entry, fingerprint: string): Exclude<Begin, { state: 'new' }> {
  if (entry.fp !== fingerprint) return { state: 'mismatch' }
  if (entry.state === 'in_flight') return { state: 'in_flight' }
  return { state: 'done', status: entry.status!, body: entry.body! }
}

/**
 * JSON with every object's keys in sorted order, written straight to a string: a request's fingerprint
 * is worked out on every order attempt. Gives exactly what JSON.stringify gives for the value with
 * its keys sorted, so fingerprints already kept stay valid.
 */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`
  }
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>
    let out = ''
    for (const key of Object.keys(record).sort()) {
      if (record[key] === undefined) continue
      out += `${out ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(record[key])}`
    }
    return `{${out}}`
  }
  return JSON.stringify(value)
}

/** A stable digest of a request body: the same JSON in any key order gives the same fingerprint. */
export function fingerprint(body: unknown): string {
  return hash('sha256', canonicalJson(body), 'base64url')
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
 * Claims a record. A claim is kept as long as a finished record, with a lease: a claim whose lease has
 * lapsed (its request crashed, or gave up) is taken over and answered 'stale', so an absent record is
 * one never used. Returns the earlier record, 'stale', or false for a record never used.
 */
const CLAIM_FUNCTION = `
local function claim(record, value, keep, now)
  local existing = redis.call('GET', record)
  if existing then
    local entry = cjson.decode(existing)
    if entry.state ~= 'in_flight' or tonumber(entry.lease) > tonumber(now) then return existing end
    redis.call('SET', record, value, 'PX', keep)
    return 'stale'
  end
  redis.call('SET', record, value, 'PX', keep)
  return false
end
`

// KEYS: the record. ARGV: the claim, its keeping time in ms, now in ms.
const BEGIN = luaScript(`${CLAIM_FUNCTION}
return claim(KEYS[1], ARGV[1], ARGV[2], ARGV[3])
`)

/** Lua's long brackets quote anything that does not contain the closing bracket. */
const luaString = (text: string) => {
  if (text.includes(']==]')) throw new Error('cannot quote this text for Lua')
  return `[==[${text}]==]`
}

/**
 * The answers the script records for the gate's refusals, as a Lua table's fields. A drop that is not
 * loaded is left to the caller, which loads it and asks again.
 */
const RECORDED_REFUSALS = (['sold_out', 'sold_out_held', 'limit_exceeded'] as const)
  .map((outcome) => {
    const answer = GATE_REFUSAL_ANSWERS[outcome]
    return `${outcome} = {${answer.status}, ${luaString(answer.body)}}`
  })
  .join(', ')

/**
 * The claim and the reservation in one script. KEYS: the drop's stock and users hashes, the record.
 * ARGV: the claim, keeping time, now, fingerprint, user, per-user limit, variant/quantity pairs.
 * Returns {'earlier', record}, {outcome, 'recorded'} or {outcome, 'stale' | 'new'}.
 */
const CLAIM_AND_RESERVE = luaScript(`${CLAIM_FUNCTION}${RESERVE_FUNCTION}
local REFUSED = {${RECORDED_REFUSALS}}
local earlier = claim(KEYS[3], ARGV[1], ARGV[2], ARGV[3])
if earlier and earlier ~= 'stale' then return {'earlier', earlier} end
local outcome = reserve(KEYS[1], KEYS[2], ARGV[5], ARGV[6], 7)
local refused = REFUSED[outcome]
if not earlier and refused then
  local answer = {fp = ARGV[4], state = 'done', status = refused[1], body = refused[2]}
  redis.call('SET', KEYS[3], cjson.encode(answer), 'PX', ARGV[2])
  return {outcome, 'recorded'}
end
return {outcome, earlier and 'stale' or 'new'}
`)

/**
 * The store on Redis. `gate`: the inventory gate on the same standalone server, which lets the order
 * path claim and reserve in one script (a Cluster keeps the two apart: their keys hash to other slots).
 */
export function redisIdempotencyStore(
  client: RedisClient,
  prefix: string,
  gate?: Pick<InventoryGate, 'reservedElsewhere'>,
): IdempotencyStore {
  const redisKey = (userId: string, key: string) =>
    `${prefix}idem:${userId}:${hash('sha256', key, 'base64url')}`
  const claimOf = (fp: string, now: number) =>
    JSON.stringify({ fp, state: 'in_flight', lease: now + IN_FLIGHT_TTL_MS } satisfies Entry)
  const store: IdempotencyStore = {
    async begin(userId, key, fp) {
      const now = Date.now()
      const existing = await runScript(
        client,
        BEGIN,
        [redisKey(userId, key)],
        [claimOf(fp, now), IDEMPOTENCY_TTL_MS, now],
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
  if (!gate) return store
  store.claimAndReserve = async (userId, key, fp, { dropId, lines, perUserLimit }) => {
    const now = Date.now()
    const [stock, users] = redisGateKeys(prefix, dropId)
    const [first, second] = (await runScript(
      client,
      CLAIM_AND_RESERVE,
      [stock, users, redisKey(userId, key)],
      [claimOf(fp, now), IDEMPOTENCY_TTL_MS, now, fp, userId, perUserLimit, ...reservePairs(lines)],
    )) as [string, string]
    if (first === 'earlier') {
      return { state: 'earlier', begun: interpret(JSON.parse(second) as Entry, fp) }
    }
    const outcome = first as ReserveOutcome
    if (outcome === 'ok') gate.reservedElsewhere(dropId)
    if (second === 'recorded') return { state: 'refused', outcome: outcome as never }
    return { state: 'claimed', unseen: second === 'new', outcome }
  }
  return store
}
