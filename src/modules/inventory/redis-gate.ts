import { LRUCache } from 'lru-cache'
import { luaScript, type RedisClient, runScript } from '../../platform/redis.js'
import type { GateState, InventoryGate } from './gate.js'

/**
 * The reservation as a Lua function, so another script can run it atomically with a step of its own
 * (the order path claims its idempotency record in the same call). Arguments: the drop's stock and
 * users hashes, the user, the per-user limit, and the index in ARGV of the first variant/quantity pair.
 */
export const RESERVE_FUNCTION = `
local function reserve(stock, users, user, limit, first)
  if redis.call('EXISTS', stock) == 0 then return 'not_loaded' end
  local total = 0
  for i = first, #ARGV, 2 do total = total + tonumber(ARGV[i + 1]) end
  local held = tonumber(redis.call('HGET', users, user) or '0')
  if held + total > tonumber(limit) then return 'limit_exceeded' end
  local wanted = {}
  for i = first, #ARGV, 2 do wanted[ARGV[i]] = (wanted[ARGV[i]] or 0) + tonumber(ARGV[i + 1]) end
  for variant, quantity in pairs(wanted) do
    local available = tonumber(redis.call('HGET', stock, variant) or '-1')
    if available < quantity then
      if held > 0 then return 'sold_out_held' end
      return 'sold_out'
    end
  end
  for variant, quantity in pairs(wanted) do redis.call('HINCRBY', stock, variant, -quantity) end
  redis.call('HINCRBY', users, user, total)
  return 'ok'
end
`

// KEYS: stock hash, users hash. ARGV: user, limit, then variant/quantity pairs.
const RESERVE = luaScript(`${RESERVE_FUNCTION}
return reserve(KEYS[1], KEYS[2], ARGV[1], ARGV[2], 3)
`)

/** A drop's keys in the gate: its stock and its users' allowances, under one hash tag. */
export const redisGateKeys = (prefix: string, dropId: string) =>
  [`${prefix}{drop:${dropId}}:stock`, `${prefix}{drop:${dropId}}:users`] as const

/** The variant/quantity pairs a reservation takes as arguments. */
export const reservePairs = (lines: { variantId: string; quantity: number }[]) =>
  lines.flatMap((l) => [l.variantId, l.quantity])

// KEYS: stock hash, users hash. ARGV: user, then variant/quantity pairs.
const RELEASE = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local total = 0
for i = 2, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], tonumber(ARGV[i + 1]))
  total = total + tonumber(ARGV[i + 1])
end
local held = redis.call('HINCRBY', KEYS[2], ARGV[1], -total)
if held <= 0 then redis.call('HDEL', KEYS[2], ARGV[1]) end
return 1
`)

// KEYS: stock hash, users hash. ARGV: onlyIfMissing, item count, item pairs..., user pairs...
const LOAD = luaScript(`
if ARGV[1] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
local items = tonumber(ARGV[2])
for i = 0, items - 1 do redis.call('HSET', KEYS[1], ARGV[3 + i * 2], ARGV[4 + i * 2]) end
for i = 3 + items * 2, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
return 1
`)

// KEYS: the hash. ARGV: field, seen, value, delete-when-zero.
const CORRECT = luaScript(`
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if current ~= tonumber(ARGV[2]) then return 0 end
if ARGV[4] == '1' and tonumber(ARGV[3]) == 0 then redis.call('HDEL', KEYS[1], ARGV[1])
else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
return 1
`)

/**
 * How long availability read for display is shared by this process's readers. Changes made through
 * this process drop it at once; changes made by other processes show within this time (stock
 * broadcasts are conflated over 100-250 ms anyway). Decisions never read it: they go through RESERVE.
 */
export const AVAILABILITY_SHARE_MS = 100

/** The gate on Redis. Every key of a drop shares the hash tag {drop:<id>}, so scripts stay atomic on a Cluster. */
export function redisGate(client: RedisClient, prefix: string): InventoryGate {
  const keys = (dropId: string) => redisGateKeys(prefix, dropId)
  const pairs = reservePairs
  // A crowd watching a drop costs one HGETALL per drop per AVAILABILITY_SHARE_MS, not one per request.
  const shown = new LRUCache<string, { at: number; value: Promise<Record<string, number> | undefined> }>({
    max: 10_000,
  })

  return {
    async reserve(dropId, userId, lines, perUserLimit) {
      const [stock, users] = keys(dropId)
      const outcome = await runScript(
        client,
        RESERVE,
        [stock, users],
        [userId, perUserLimit, ...pairs(lines)],
      )
      if (outcome === 'ok') shown.delete(dropId)
      return outcome as never
    },
    reservedElsewhere(dropId) {
      shown.delete(dropId)
    },
    async release(dropId, userId, lines) {
      const [stock, users] = keys(dropId)
      await runScript(client, RELEASE, [stock, users], [userId, ...pairs(lines)])
      shown.delete(dropId)
    },
    async load(dropId, state, options) {
      const [stock, users] = keys(dropId)
      const items = Object.entries(state.items)
      const holders = Object.entries(state.users).filter(([, n]) => n > 0)
      const args = [options?.onlyIfMissing ? '1' : '0', items.length, ...items.flat(), ...holders.flat()]
      const wrote = (await runScript(client, LOAD, [stock, users], args)) === 1
      shown.delete(dropId)
      return wrote
    },
    async read(dropId) {
      const [stock, users] = keys(dropId)
      const [items, holders] = await Promise.all([client.hGetAll(stock), client.hGetAll(users)])
      if (Object.keys(items).length === 0) return undefined
      const numbers = (record: Record<string, string>) =>
        Object.fromEntries(Object.entries(record).map(([k, v]) => [k, Number(v)]))
      return { items: numbers(items), users: numbers(holders) } satisfies GateState
    },
    async held(dropId, userId) {
      return Number((await client.hGet(keys(dropId)[1], userId)) ?? 0)
    },
    availability(dropId) {
      const now = Date.now()
      const recent = shown.get(dropId)
      if (recent && now - recent.at < AVAILABILITY_SHARE_MS) return recent.value
      const entry = {
        at: now,
        value: client.hGetAll(keys(dropId)[0]).then((items) => {
          if (Object.keys(items).length === 0) return undefined
          return Object.fromEntries(Object.entries(items).map(([k, v]) => [k, Number(v)]))
        }),
      }
      shown.set(dropId, entry)
      entry.value.catch(() => {
        if (shown.get(dropId) === entry) shown.delete(dropId)
      })
      return entry.value
    },
    async correct(dropId, kind, field, seen, value) {
      const [stock, users] = keys(dropId)
      const key = kind === 'items' ? stock : users
      const done =
        (await runScript(client, CORRECT, [key], [field, seen, value, kind === 'users' ? '1' : '0'])) === 1
      shown.delete(dropId)
      return done
    },
    async close() {},
  }
}
