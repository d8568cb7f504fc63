import {
  createHash,
  createHmac,
  createSecretKey,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto'
import { decodeProtectedHeader, errors, SignJWT, UnsecuredJWT } from 'jose'
import { LRUCache } from 'lru-cache'

export interface Principal {
  userId: string
  roles: string[]
}

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60
const ISSUER = 'livedrop'
/** Verified tokens remembered per process; a client sends the same token with every request. */
const VERIFIED_CACHE_SIZE = 50_000

/** The header jose's claim checks accept once the signature has been checked here. */
const UNSIGNED_HEADER = Buffer.from('{"alg":"none"}').toString('base64url')

/**
 * The claims segment of an HS256 token whose signature is this secret's, else undefined. The HMAC is
 * computed synchronously: WebCrypto's verify (what jose's jwtVerify uses) costs a thread-pool round
 * trip and about 60 µs of CPU per token, which shows on a stampede of first requests. The claims are
 * then checked by jose itself (UnsecuredJWT.decode: iss, exp, nbf, required claims).
 */
function signedClaims(token: string, key: KeyObject): string | undefined {
  const firstDot = token.indexOf('.')
  const lastDot = token.lastIndexOf('.')
  if (firstDot <= 0 || lastDot <= firstDot + 1 || token.indexOf('.', firstDot + 1) !== lastDot)
    return undefined
  let header: ReturnType<typeof decodeProtectedHeader>
  try {
    header = decodeProtectedHeader(token)
  } catch {
    return undefined
  }
  // `crit` would name extensions this verifier does not implement.
  if (header.alg !== 'HS256' || header.crit !== undefined) return undefined
  const expected = Buffer.from(createHmac('sha256', key).update(token.slice(0, lastDot)).digest('base64url'))
  const given = Buffer.from(token.slice(lastDot + 1))
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
  return token.slice(firstDot + 1, lastDot)
}

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
  const verifyKey = createSecretKey(Buffer.from(secret, 'utf8'))
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
        const claims = signedClaims(token, verifyKey)
        if (claims === undefined) return undefined
        const { payload } = UnsecuredJWT.decode(`${UNSIGNED_HEADER}.${claims}.`, {
          issuer: ISSUER,
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
