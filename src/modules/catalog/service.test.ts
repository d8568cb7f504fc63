import { describe, expect, it } from 'vitest'
import { AppError } from '../../platform/http/errors.js'
import { encodeCursor } from '../../platform/http/pagination.js'
import { SHORT_QUERY_TRIGRAM_THRESHOLD, TRIGRAM_THRESHOLD, trigramThreshold } from './repository.js'
import { duplicateSkus, listOrder, planVariants } from './service.js'

const BOUND = '01900000-0000-7000-8000-0000000000ff'
const ID = '01900000-0000-7000-8000-000000000001'

function validationError(run: () => unknown): AppError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).code).toBe('validation_failed')
    return error as AppError
  }
  throw new Error('expected a validation error')
}

describe('duplicateSkus', () => {
  it('reports every repeat after the first occurrence, with its path', () => {
    expect(
      duplicateSkus([
        { sku: 'a', name: '1' },
        { sku: 'b', name: '2' },
        { sku: 'a', name: '3' },
        { sku: 'a', name: '4' },
      ]),
    ).toEqual([
      { path: 'body/variants/2/sku', message: expect.any(String) },
      { path: 'body/variants/3/sku', message: expect.any(String) },
    ])
  })

  it('treats skus as case-sensitive, as the database does', () => {
    expect(
      duplicateSkus([
        { sku: 'A', name: '1' },
        { sku: 'a', name: '2' },
      ]),
    ).toEqual([])
  })
})

describe('planVariants', () => {
  const existing = [
    { variantId: 'v-red', sku: 'RED', name: 'Red', position: 0 },
    { variantId: 'v-blue', sku: 'BLUE', name: 'Blue', position: 3 },
  ]

  it('keeps known skus, renames them when the name differs and appends new ones after the last position', () => {
    expect(
      planVariants(existing, [
        { sku: 'BLUE', name: 'Navy' },
        { sku: 'GREEN', name: 'Green' },
        { sku: 'RED', name: 'Red' },
        { sku: 'PINK', name: 'Pink' },
      ]),
    ).toEqual({
      added: [
        { sku: 'GREEN', name: 'Green', position: 4 },
        { sku: 'PINK', name: 'Pink', position: 5 },
      ],
      renamed: [{ variantId: 'v-blue', name: 'Navy' }],
    })
  })

  it('changes nothing when every variant is already there as asked', () => {
    expect(planVariants(existing, [{ sku: 'RED', name: 'Red' }])).toEqual({ added: [], renamed: [] })
  })

  it('starts at position 0 for a product without variants', () => {
    expect(planVariants([], [{ sku: 'X', name: 'X' }]).added).toEqual([{ sku: 'X', name: 'X', position: 0 }])
  })
})

describe('listOrder', () => {
  const bound = () => BOUND

  it('lists newest first from the start, or after a keyset cursor', () => {
    expect(listOrder({}, 20, bound)).toEqual({ kind: 'newest', offset: 0 })
    const cursor = encodeCursor(['2025-01-02T03:04:05.678Z', ID])
    expect(listOrder({ cursor }, 20, bound)).toEqual({
      kind: 'newest',
      after: { createdAt: '2025-01-02T03:04:05.678Z', productId: ID },
      offset: 0,
    })
  })

  it('turns a page into an offset of (page - 1) * limit', () => {
    expect(listOrder({ page: 1 }, 10, bound)).toEqual({ kind: 'newest', offset: 0 })
    expect(listOrder({ page: 4 }, 10, bound)).toEqual({ kind: 'newest', offset: 30 })
    expect(listOrder({ page: 3, q: 'tee' }, 25, bound)).toEqual({
      kind: 'ranked',
      q: 'tee',
      bound: BOUND,
      offset: 50,
    })
  })

  it('ranks when q has words; a ranked cursor carries its offset and bound', () => {
    expect(listOrder({ q: '  hoodie ' }, 20, bound)).toEqual({
      kind: 'ranked',
      q: 'hoodie',
      bound: BOUND,
      offset: 0,
    })
    const cursor = encodeCursor([40, ID])
    expect(listOrder({ q: 'hoodie', cursor }, 20, bound)).toEqual({
      kind: 'ranked',
      q: 'hoodie',
      bound: ID,
      offset: 40,
    })
    expect(listOrder({ q: '   ' }, 20, bound)).toEqual({ kind: 'newest', offset: 0 })
  })

  it('rejects page with cursor, cursors of the other kind and forged offsets', () => {
    const keyset = encodeCursor(['2025-01-02T03:04:05.678Z', ID])
    const ranked = encodeCursor([20, ID])
    expect(validationError(() => listOrder({ page: 2, cursor: keyset }, 20, bound)).details?.errors).toEqual([
      { path: 'querystring/page', message: 'cannot be combined with cursor' },
    ])
    validationError(() => listOrder({ q: 'tee', cursor: keyset }, 20, bound))
    validationError(() => listOrder({ cursor: ranked }, 20, bound))
    for (const offset of [-1, 2.5, 1e12]) {
      validationError(() => listOrder({ q: 'tee', cursor: encodeCursor([offset, ID]) }, 20, bound))
    }
    validationError(() => listOrder({ cursor: 'not-base64-json' }, 20, bound))
  })
})

describe('trigramThreshold', () => {
  it('asks short queries for a near-exact match and lets longer ones carry a typo', () => {
    expect(trigramThreshold('cap')).toBe(SHORT_QUERY_TRIGRAM_THRESHOLD)
    expect(trigramThreshold(' mug ')).toBe(SHORT_QUERY_TRIGRAM_THRESHOLD)
    expect(trigramThreshold('hodie')).toBe(TRIGRAM_THRESHOLD)
  })
})
