import type { FastifyBaseLogger } from 'fastify'
import type { Db } from '../../platform/db/index.js'
import { every } from '../../platform/loop.js'
import { isCluster, type RedisClient } from '../../platform/redis.js'
import { type IdempotencyStore, memoryIdempotencyStore, redisIdempotencyStore } from './idempotency.js'
import { ordersRepository } from './repository.js'
import { type OrdersDeps, ordersService } from './service.js'

export type { OrderEvents, OrderTopic } from './events.js'
export {
  fingerprint,
  type IdempotencyStore,
  memoryIdempotencyStore,
  redisIdempotencyStore,
} from './idempotency.js'
export { ordersRoutes } from './routes.js'
export type { Order, OrderReply, OrdersService } from './service.js'

export function createOrdersModule(
  db: Db,
  deps: Omit<OrdersDeps, 'db' | 'repo' | 'idempotency'> & {
    redis: RedisClient | undefined
    redisKeyPrefix: string
    /** The fast idempotency store; by default Redis when there is one, else in-process. */
    idempotency?: IdempotencyStore
  },
) {
  const { redis, redisKeyPrefix, idempotency: given, ...rest } = deps
  // On one Redis server the store may reach the gate's keys; a Cluster puts them on other slots.
  const idempotency =
    given ??
    (redis
      ? redisIdempotencyStore(redis, redisKeyPrefix, isCluster(redis) ? undefined : rest.gate)
      : memoryIdempotencyStore())
  return { service: ordersService({ db, repo: ordersRepository(db), idempotency, ...rest }) }
}

/** Monthly partitions of `orders` are kept this many months ahead of the current one. */
const PARTITION_MONTHS_AHEAD = 3

/**
 * Expires unpaid holds (every second), purges idempotency records past their keeping time (hourly),
 * and creates the coming months' partitions of `orders` (now, then daily).
 */
export function startOrderHousekeeping(
  orders: Pick<ReturnType<typeof ordersService>, 'expireHolds' | 'purgeExpiredKeys' | 'addMonthPartitions'>,
  log: FastifyBaseLogger,
) {
  const stops = [
    every(1_000, orders.expireHolds, log, 'hold expiry'),
    every(3_600_000, orders.purgeExpiredKeys, log, 'idempotency purge'),
    every(86_400_000, () => orders.addMonthPartitions(PARTITION_MONTHS_AHEAD), log, 'order partitions', {
      now: true,
    }),
  ]
  return async () => {
    await Promise.all(stops.map((stop) => stop()))
  }
}
