import type { Config } from '../../config.js'
import type { Db } from '../../platform/db/index.js'
import type { RateLimitStore } from '../../platform/rate-limit/index.js'
import type { UsersService } from '../users/index.js'
import { createGuards } from './guard.js'
import { authRepository } from './repository.js'
import { authService } from './service.js'
import { accessTokens } from './tokens.js'

export { type Guards, principalOf } from './guard.js'
export { authRoutes } from './routes.js'
export type { AuthService } from './service.js'
export { accessTokens, type Principal } from './tokens.js'

export function createAuthModule(deps: {
  config: Config
  db: Db
  users: UsersService
  rateLimitStore: RateLimitStore
}) {
  const tokens = accessTokens(deps.config.jwtSecret)
  const service = authService({
    repo: authRepository(deps.db),
    users: deps.users,
    tokens,
    throttle: deps.config.rateLimit ? deps.rateLimitStore : undefined,
  })
  return { service, guards: createGuards(service.authenticate) }
}
