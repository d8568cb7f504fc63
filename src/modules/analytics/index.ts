import type { Db } from '../../platform/db/index.js'
import { analyticsRepository } from './repository.js'
import { analyticsService } from './service.js'

export { analyticsRoutes } from './routes.js'
export type { AnalyticsService } from './service.js'

export function createAnalyticsModule(db: Db) {
  return { service: analyticsService({ repo: analyticsRepository(db) }) }
}
