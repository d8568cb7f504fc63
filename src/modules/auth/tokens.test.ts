import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { accessTokens } from './tokens.js'

const SECRET = 'a-test-secret-of-reasonable-length-0123456789'
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A token made by hand, so its header and claims can be anything. */
function handMade(header: object, claims: object, secret = SECRET) {
  const input = `${b64(header)}.${b64(claims)}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

/** A token signed by hand over a raw claims segment. */
function handMadeRaw(header: object, claimsSegment: string) {
  const input = `${b64(header)}.${claimsSegment}`
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`
}

describe('access tokens', () => {
  const tokens = accessTokens(SECRET)
  const now = Math.floor(Date.now() / 1000)
  const valid = { sub: 'u-1', roles: ['shopper'], iss: 'livedrop', iat: now, exp: now + 60 }

  it('verifies what it signs, with the roles, again from its cache, and with a fresh verifier', async () => {
    const token = await tokens.sign({ userId: 'u-1', roles: ['shopper', 'creator'] })
    const expected = { userId: 'u-1', roles: ['shopper', 'creator'] }
    expect(await tokens.verify(token)).toEqual(expected)
    expect(await tokens.verify(token)).toEqual(expected)
    expect(await accessTokens(SECRET).verify(token)).toEqual(expected)
    expect(await tokens.verify(handMade({ alg: 'HS256', typ: 'JWT' }, valid))).toEqual({
      userId: 'u-1',
      roles: ['shopper'],
    })
  })

  it.each([
    ['expired', handMade({ alg: 'HS256' }, { ...valid, exp: now - 1 })],
    ['without exp', handMade({ alg: 'HS256' }, { ...valid, exp: undefined })],
    ['without sub', handMade({ alg: 'HS256' }, { ...valid, sub: undefined })],
    ['from another issuer', handMade({ alg: 'HS256' }, { ...valid, iss: 'elsewhere' })],
    ['signed with another secret', handMade({ alg: 'HS256' }, valid, 'another-secret-0123456789')],
    ['unsigned (alg none)', `${b64({ alg: 'none' })}.${b64(valid)}.`],
    ['of another algorithm', handMade({ alg: 'HS512' }, valid)],
    ['with critical extensions', handMade({ alg: 'HS256', crit: ['b64'], b64: false }, valid)],
    ['with a signature that has extra characters', `${handMade({ alg: 'HS256' }, valid)}A`],
    [
      'with a header that is not JSON',
      `bm90LWpzb24.${handMade({ alg: 'HS256' }, valid).split('.').slice(1).join('.')}`,
    ],
    ['of four segments', `${handMade({ alg: 'HS256' }, valid)}.x`],
    ['with claims that are not JSON', handMadeRaw({ alg: 'HS256' }, 'bm90LWpzb24')],
    ['not yet valid (nbf ahead)', handMade({ alg: 'HS256' }, { ...valid, nbf: now + 3600 })],
    ['malformed', 'not.a.token'],
    ['empty', ''],
  ])('refuses a token %s', async (_, token) => {
    expect(await tokens.verify(token)).toBeUndefined()
  })
})
