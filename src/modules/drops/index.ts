import type { FastifyBaseLogger } from 'fastify'
import type { Db } from '../../platform/db/index.js'
import { dropsRepository } from './repository.js'
import { type DropsDeps, dropsService } from './service.js'

export type { DropEvents, DropTopic, StockSnapshot } from './events.js'
export {
  type StockChange,
  type StockClaim,
  type StockLine,
  StockRefused,
  stockRefusalOf,
} from './repository.js'
export { dropsRoutes } from './routes.js'
export type { Drop, DropForOrder, DropsService } from './service.js'

export function createDropsModule(db: Db, deps: Omit<DropsDeps, 'db' | 'repo'>) {
  return { service: dropsService({ db, repo: dropsRepository(db), ...deps }) }
}

/**
 * Scheduler cadence: the longest it sleeps, so a drop made or edited meanwhile still starts and ends
 * within this much of its time (well under 1 s). Known transitions are met on time: it wakes when the
 * next one falls due.
 */
export const SCHEDULER_TICK_MS = 200
/** A transition due but not yet made (another scheduler holds it, clocks a little apart): look again soon. */
const SCHEDULER_RETRY_MS = 20

/**
 * Runs `advanceSchedule` at each due start and end, and at least every SCHEDULER_TICK_MS; returns stop.
 * `onMoved` is called after a commit that started or ended drops (the outbox relay beside it publishes
 * their events at once instead of at its next poll).
 */
export function startScheduler(
  drops: Pick<ReturnType<typeof dropsService>, 'advanceSchedule' | 'nextTransitionAt'>,
  log: FastifyBaseLogger,
  onMoved?: () => void,
): () => Promise<void> {
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<unknown> = Promise.resolve()
  const tick = () => {
    running = drops
      .advanceSchedule()
      .then((moved) => {
        if (moved.started.length > 0 || moved.ended.length > 0) onMoved?.()
        return drops.nextTransitionAt()
      })
      .catch((error: unknown) => {
        log.warn({ err: error, task: 'drop scheduler' }, 'drop scheduler failed; will retry')
        return undefined
      })
      .then((next) => {
        if (stopped) return
        const wait = next ? next.getTime() - Date.now() : SCHEDULER_TICK_MS
        timer = setTimeout(tick, wait > 0 ? Math.min(SCHEDULER_TICK_MS, wait) : SCHEDULER_RETRY_MS)
      })
  }
  timer = setTimeout(tick, SCHEDULER_TICK_MS)
  return async () => {
    stopped = true
    clearTimeout(timer)
    await running
  }
}
