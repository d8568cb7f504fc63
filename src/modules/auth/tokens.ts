import { createHash, randomBytes } from 'node:crypto'
import { createSigner, createVerifier, TokenError } from 'fast-jwt'

export interface Principal {
  userId: string
  roles: string[]
}

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60
const ISSUER = 'livedrop'
/** Verified tokens remembered per process; a client sends the same token with every request. */
const VERIFIED_CACHE_SIZE = 50_000

/**
 * HS256 access tokens. Signing and verifying are synchronous HMACs (fast-jwt): WebCrypto's are
 * asynchronous jobs on the thread pool, several times the cost of the HMAC itself on a request that
 * does little else, such as a follow. A token verified before is served from the verifier's cache
 * until its `exp`.
 */
export function accessTokens(secret: string) {
  const sign = createSigner({
    key: secret,
    algorithm: 'HS256',
    iss: ISSUER,
    expiresIn: ACCESS_TOKEN_TTL_SECONDS * 1000,
  })
  const verify = createVerifier({
    key: secret,
    algorithms: ['HS256'],
    allowedIss: ISSUER,
    requiredClaims: ['sub', 'exp'],
    cache: VERIFIED_CACHE_SIZE,
    cacheTTL: ACCESS_TOKEN_TTL_SECONDS * 1000,
  })
  return {
    async sign(principal: Principal): Promise<string> {
      return sign({ sub: principal.userId, roles: principal.roles })
    },
    /** The principal of a valid token, or undefined for an invalid, expired or forged one. */
    async verify(token: string): Promise<Principal | undefined> {
      let payload: { sub?: unknown; roles?: unknown }
      try {
        payload = verify(token)
      } catch (error) {
        if (error instanceof TokenError) return undefined
        throw error
      }
      if (typeof payload.sub !== 'string') return undefined
      const roles = Array.isArray(payload.roles) ? payload.roles.filter((r) => typeof r === 'string') : []
      return { userId: payload.sub, roles }
    },
  }
}
export type AccessTokens = ReturnType<typeof accessTokens>

/** Refresh tokens are opaque random strings; only their digest is stored. */
export function newRefreshToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString('base64url')
  return { token, hash: hashRefreshToken(token) }
}

export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token).digest()
}
