import type { Db } from '../../platform/db/index.js'
import { followsRepository } from './repository.js'
import { type FollowsDeps, followsService } from './service.js'

export { followsRoutes } from './routes.js'
export type { Follow, FollowsService } from './service.js'
export { startCountFolding } from './worker.js'

export function createFollowsModule(db: Db, deps: Omit<FollowsDeps, 'repo'>) {
  return { service: followsService({ repo: followsRepository(db), ...deps }) }
}

/** Read-only access to counts, for modules created before the follow graph. */
export function followerCountsReader(db: Db) {
  return followsRepository(db).counts
}
