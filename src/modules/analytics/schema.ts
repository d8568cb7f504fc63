import { jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { type Static, Type } from 'typebox'

/** Append-only: rows are inserted and never changed. */
export const analyticsEvents = pgTable('analytics_events', {
  eventId: uuid('event_id').primaryKey(),
  eventType: text('event_type').notNull(),
  userId: uuid('user_id'),
  creatorId: uuid('creator_id'),
  dropId: uuid('drop_id'),
  productId: uuid('product_id'),
  sessionId: text('session_id'),
  metadata: jsonb('metadata'),
  receivedAt: timestamp('received_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
})

/** The most events one request may carry. */
export const MAX_EVENTS = 500

const Id = Type.String({ format: 'uuid' })

export const AnalyticsEventSchema = Type.Object(
  {
    event_type: Type.String({ minLength: 1, maxLength: 100, description: 'e.g. drop_view, product_click' }),
    creator_id: Type.Optional(Id),
    drop_id: Type.Optional(Id),
    product_id: Type.Optional(Id),
    session_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    metadata: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        maxProperties: 50,
        propertyNames: { maxLength: 100 },
        description: 'Free-form JSON object, nested at most 8 levels',
      }),
    ),
  },
  { additionalProperties: false },
)
export type AnalyticsEventInput = Static<typeof AnalyticsEventSchema>

export const IngestBody = Type.Object(
  { events: Type.Array(AnalyticsEventSchema, { maxItems: MAX_EVENTS }) },
  { additionalProperties: false },
)

export const IngestReply = Type.Object({ accepted: Type.Integer({ description: 'Events stored' }) })
