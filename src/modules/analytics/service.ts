import { uuidv7 } from 'uuidv7'
import { validationFailed } from '../../platform/http/errors.js'
import type { AnalyticsRepository } from './repository.js'
import type { AnalyticsEventInput } from './schema.js'

/** Nesting allowed in `metadata`; deeper documents are refused before they reach JSON or SQL. */
const MAX_DEPTH = 8

/** How deep `value` nests, counted without recursion, stopping once past `limit`. */
function depthExceeds(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]]
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!
    if (current === null || typeof current !== 'object') continue
    if (depth > limit) return true
    for (const child of Object.values(current)) stack.push([child, depth + 1])
  }
  return false
}

/**
 * PostgreSQL's jsonb refuses the escape of a lone UTF-16 surrogate, which JSON.stringify writes; such
 * characters become U+FFFD, as they would in a text column.
 */
function wellFormed(value: unknown): unknown {
  if (typeof value === 'string') return Buffer.from(value, 'utf8').toString('utf8')
  if (Array.isArray(value)) return value.map(wellFormed)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [wellFormed(k), wellFormed(v)]))
  }
  return value
}

export function analyticsService({ repo }: { repo: AnalyticsRepository }) {
  return {
    /** Stores a batch of client events, with the caller's user id when signed in; returns how many. */
    async ingest(userId: string | undefined, events: AnalyticsEventInput[]): Promise<{ accepted: number }> {
      events.forEach((event, i) => {
        if (event.metadata !== undefined && depthExceeds(event.metadata, MAX_DEPTH)) {
          throw validationFailed([
            { path: `body/events/${i}/metadata`, message: `must nest at most ${MAX_DEPTH} levels` },
          ])
        }
      })
      await repo.append(
        events.map((event) => ({
          event_id: uuidv7(),
          event_type: wellFormed(event.event_type) as string,
          user_id: userId ?? null,
          creator_id: event.creator_id ?? null,
          drop_id: event.drop_id ?? null,
          product_id: event.product_id ?? null,
          session_id: event.session_id === undefined ? null : (wellFormed(event.session_id) as string),
          metadata:
            event.metadata === undefined ? null : (wellFormed(event.metadata) as Record<string, unknown>),
        })),
      )
      return { accepted: events.length }
    },
  }
}
export type AnalyticsService = ReturnType<typeof analyticsService>
