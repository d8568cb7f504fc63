import { Type } from 'typebox'
import { validationFailed } from './errors.js'

export const DEFAULT_LIMIT = 20

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_LIMIT })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
}

export function pageOf<T extends ReturnType<typeof Type.Object>>(item: T) {
  return Type.Object({ items: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) })
}

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

/** Cursors are opaque to clients: base64url of a JSON tuple of the keyset values. */
export function encodeCursor(values: (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url')
}

const invalidCursor = () =>
  validationFailed([{ path: 'querystring/cursor', message: 'is not a cursor this list issued' }])

export function decodeCursor(cursor: string, shape: readonly ('string' | 'number' | 'date' | 'uuid')[]) {
  let values: unknown
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw invalidCursor()
  }
  if (!Array.isArray(values) || values.length !== shape.length) throw invalidCursor()
  shape.forEach((kind, i) => {
    const value = values[i]
    const ok =
      kind === 'number'
        ? typeof value === 'number' && Number.isFinite(value)
        : typeof value === 'string' &&
          ((kind === 'string' && !value.includes('\u0000')) ||
            (kind === 'uuid' && UUID.test(value)) ||
            (kind === 'date' && isIsoDate(value)))
    if (!ok) throw invalidCursor()
  })
  return values as (string | number)[]
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/**
 * Only what `toISOString` prints, from year 1 (PostgreSQL has no year 0): JavaScript rolls "02-30" over
 * to March where PostgreSQL refuses it.
 */
function isIsoDate(value: string): boolean {
  if (!ISO_DATE.test(value) || value.startsWith('0000')) return false
  const date = new Date(value)
  return !Number.isNaN(date.getTime()) && date.toISOString() === value
}

/** Runs a keyset query for limit + 1 rows and turns the extra row into the next cursor. */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  cursorOf: (row: Row) => (string | number)[],
  map: (row: Row) => Item,
): Page<Item> {
  const hasMore = rows.length > limit
  const kept = hasMore ? rows.slice(0, limit) : rows
  const last = kept[kept.length - 1]
  return {
    items: kept.map(map),
    next_cursor: hasMore && last !== undefined ? encodeCursor(cursorOf(last)) : null,
  }
}
