import type { FastifyBaseLogger } from 'fastify'
import { every } from '../../platform/loop.js'
import type { RedisClient } from '../../platform/redis.js'
import { type InventoryGate, memoryGate } from './gate.js'
import { createReconciler, type StockSource } from './reconciler.js'
import { redisGate } from './redis-gate.js'

export type { GateLine, GateState, InventoryGate, ReserveOutcome } from './gate.js'
export { memoryGate } from './gate.js'
export { RESERVE_FUNCTION, redisGate, redisGateKeys, reservePairs } from './redis-gate.js'

export function createInventoryModule(deps: {
  redis: RedisClient | undefined
  redisKeyPrefix: string
  source: StockSource
  log: FastifyBaseLogger
}) {
  const gate: InventoryGate = deps.redis ? redisGate(deps.redis, deps.redisKeyPrefix) : memoryGate()
  const reconciler = createReconciler(gate, deps.source, deps.log)
  return {
    gate,
    /** Loads every open drop the gate does not know yet (at start; Redis may already hold them). */
    rebuild: reconciler.loadMissing,
    reconcile: reconciler.reconcile,
    /** Periodic reconciliation; returns the stop function. */
    startReconciling: (everyMs: number) =>
      every(everyMs, reconciler.reconcile, deps.log, 'inventory reconciliation'),
  }
}
export type InventoryModule = ReturnType<typeof createInventoryModule>
