import type { Db } from '../../platform/db/index.js'
import { usersRepository } from './repository.js'
import { usersService } from './service.js'

export { usersRoutes } from './routes.js'
export type { Profile, User, UsersService } from './service.js'

export function createUsersModule(db: Db) {
  return { service: usersService(usersRepository(db)) }
}
