import type { Db } from '../../platform/db/index.js'
import { creatorsRepository } from './repository.js'
import { type CreatorsDeps, creatorsService } from './service.js'

export { creatorsRoutes } from './routes.js'
export type { Creator, CreatorsService } from './service.js'

export function createCreatorsModule(db: Db, deps: Omit<CreatorsDeps, 'repo'>) {
  return { service: creatorsService({ repo: creatorsRepository(db), ...deps }) }
}
