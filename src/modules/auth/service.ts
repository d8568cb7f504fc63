import { uuidv7 } from 'uuidv7'
import { AppError, unauthenticated } from '../../platform/http/errors.js'
import type { RateLimitStore } from '../../platform/rate-limit/index.js'
import type { User, UsersService } from '../users/index.js'
import { assertStrongPassword, burnVerification, hashPassword, verifyPassword } from './password.js'
import type { AuthRepository } from './repository.js'
import { type AccessTokens, hashRefreshToken, newRefreshToken, type Principal } from './tokens.js'

const REFRESH_TOKEN_TTL_MS = 30 * 24 * 3600 * 1000

/** Login attempts allowed per window, per client address and per email. */
export const LOGIN_LIMITS = {
  perIp: { max: 20, windowMs: 60_000 },
  perEmail: { max: 10, windowMs: 15 * 60_000 },
}

export interface Session {
  user: User
  access_token: string
  refresh_token: string
}

export interface AuthDeps {
  repo: AuthRepository
  users: UsersService
  tokens: AccessTokens
  /** Absent when rate limiting is off. */
  throttle: RateLimitStore | undefined
}

const invalidCredentials = () => new AppError(401, 'invalid_credentials', 'Email or password is incorrect')

export function authService({ repo, users, tokens, throttle }: AuthDeps) {
  async function issueRefreshToken(userId: string, familyId = uuidv7()) {
    const { token, hash } = newRefreshToken()
    await repo.insertRefreshToken({
      tokenHash: hash,
      familyId,
      userId,
      expiresAt: new Date(Date.now() + REFRESH_TOKEN_TTL_MS),
    })
    return token
  }

  async function sessionFor(user: User): Promise<Session> {
    const [access_token, refresh_token] = await Promise.all([
      tokens.sign({ userId: user.user_id, roles: user.roles }),
      issueRefreshToken(user.user_id),
    ])
    return { user, access_token, refresh_token }
  }

  async function throttleLogin(ip: string, email: string): Promise<void> {
    if (!throttle) return
    const [byIp, byEmail] = await Promise.all([
      throttle.hit(`login:ip:${ip}`, LOGIN_LIMITS.perIp.windowMs),
      throttle.hit(`login:email:${email.toLowerCase()}`, LOGIN_LIMITS.perEmail.windowMs),
    ])
    const over = [
      byIp.current > LOGIN_LIMITS.perIp.max ? byIp.ttl : 0,
      byEmail.current > LOGIN_LIMITS.perEmail.max ? byEmail.ttl : 0,
    ]
    const wait = Math.max(...over)
    if (wait > 0) {
      const seconds = Math.max(1, Math.ceil(wait / 1000))
      throw new AppError(429, 'rate_limited', `Too many login attempts; retry in ${seconds} s`, {
        headers: { 'retry-after': String(seconds) },
      })
    }
  }

  return {
    async register(input: { email: string; username: string; password: string }): Promise<Session> {
      assertStrongPassword(input.password, input)
      const passwordHash = await hashPassword(input.password)
      const user = await users.create({ email: input.email, username: input.username, passwordHash })
      return sessionFor(user)
    },

    /** The same answer, after the same work, whether the email is unknown or the password wrong. */
    async login(input: { email: string; password: string }, ip: string): Promise<Session> {
      await throttleLogin(ip, input.email)
      const found = await users.credentials(input.email)
      if (!found) {
        await burnVerification(input.password)
        throw invalidCredentials()
      }
      if (!(await verifyPassword(found.passwordHash, input.password))) throw invalidCredentials()
      return sessionFor(found.user)
    },

    /** Rotates a refresh token; presenting one that was already rotated revokes its whole family. */
    async refresh(refreshToken: string): Promise<{ access_token: string; refresh_token: string }> {
      const successor = newRefreshToken()
      const result = await repo.rotate(hashRefreshToken(refreshToken), {
        hash: successor.hash,
        expiresAt: new Date(Date.now() + REFRESH_TOKEN_TTL_MS),
      })
      if (result.outcome === 'reused') {
        await repo.revokeFamily(result.familyId!)
        throw unauthenticated('This refresh token was already used; the session has been revoked')
      }
      if (result.outcome === 'invalid') throw unauthenticated('The refresh token is invalid or expired')
      const user = await users.get(result.userId!)
      return {
        access_token: await tokens.sign({ userId: user.user_id, roles: user.roles }),
        refresh_token: successor.token,
      }
    },

    async logout(refreshToken: string): Promise<void> {
      const familyId = await repo.familyOf(hashRefreshToken(refreshToken))
      if (familyId) await repo.revokeFamily(familyId)
    },

    authenticate: (accessToken: string): Promise<Principal | undefined> => tokens.verify(accessToken),
  }
}
export type AuthService = ReturnType<typeof authService>
