import { createHash, randomBytes } from 'node:crypto'
import { errors, jwtVerify, SignJWT } from 'jose'
import { LRUCache } from 'lru-cache'

export interface Principal {
  userId: string
  roles: string[]
}

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60
const ISSUER = 'livedrop'
/** Verified tokens remembered per process; a client sends the same token with every request. */
const VERIFIED_CACHE_SIZE = 50_000

export function accessTokens(secret: string) {
  // Imported once: handing jose the raw bytes would import the key again on every sign and verify.
  let imported: Promise<CryptoKey> | undefined
  const keyOf = () => {
    imported ??= crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    )
    return imported
  }
  const verified = new LRUCache<string, { userId: string; roles: string[]; expiresAt: number }>({
    max: VERIFIED_CACHE_SIZE,
  })
  return {
    async sign(principal: Principal): Promise<string> {
      return new SignJWT({ roles: principal.roles })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(principal.userId)
        .setIssuer(ISSUER)
        .setIssuedAt()
        .setExpirationTime(`${ACCESS_TOKEN_TTL_SECONDS}s`)
        .sign(await keyOf())
    },
    /** The principal of a valid token, or undefined for an invalid, expired or forged one. */
    async verify(token: string): Promise<Principal | undefined> {
      // A token's signature and claims never change, only the clock moves: a token verified before is
      // valid until its `exp` (and `nbf` has passed), so the HMAC need not be computed again.
      const known = verified.get(token)
      if (known) {
        if (Date.now() < known.expiresAt) return { userId: known.userId, roles: [...known.roles] }
        verified.delete(token)
      }
      try {
        const { payload } = await jwtVerify(token, await keyOf(), {
          issuer: ISSUER,
          algorithms: ['HS256'],
          // Every token this service signs expires; one that does not was not made here.
          requiredClaims: ['sub', 'exp'],
        })
        if (typeof payload.sub !== 'string') return undefined
        const roles = Array.isArray(payload.roles) ? payload.roles.filter((r) => typeof r === 'string') : []
        // Remembered once valid (nbf passed), until it expires; jose has checked that exp is a number.
        verified.set(token, { userId: payload.sub, roles, expiresAt: payload.exp! * 1000 })
        return { userId: payload.sub, roles: [...roles] }
      } catch (error) {
        if (error instanceof errors.JOSEError) return undefined
        throw error
      }
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
