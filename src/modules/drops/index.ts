import type { FastifyBaseLogger } from 'fastify'
import type { Db } from '../../platform/db/index.js'
import { every } from '../../platform/loop.js'
import { dropsRepository } from './repository.js'
import { type DropsDeps, dropsService } from './service.js'

export type { DropEvents, DropTopic, StockSnapshot } from './events.js'
export { type StockChange, type StockClaim, type StockLine, StockRefused } from './repository.js'
export { dropsRoutes } from './routes.js'
export type { Drop, DropForOrder, DropsService } from './service.js'

export function createDropsModule(db: Db, deps: Omit<DropsDeps, 'db' | 'repo'>) {
  return { service: dropsService({ db, repo: dropsRepository(db), ...deps }) }
}

/** Scheduler cadence: a drop starts and ends within this much of its time (well under 1 s). */
export const SCHEDULER_TICK_MS = 200

export function startScheduler(
  drops: Pick<ReturnType<typeof dropsService>, 'advanceSchedule'>,
  log: FastifyBaseLogger,
) {
  return every(SCHEDULER_TICK_MS, drops.advanceSchedule, log, 'drop scheduler')
}
