import { jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { Type } from 'typebox'
import { PageQuery, pageOf } from '../../platform/http/pagination.js'

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 })

/** A user's own notifications; the id is the id of the event that caused it. */
export const notifications = pgTable('notifications', {
  notificationId: uuid('notification_id').primaryKey(),
  userId: uuid('user_id').notNull(),
  type: text('type').notNull(),
  data: jsonb('data').notNull(),
  createdAt: ts('created_at').notNull(),
  readAt: ts('read_at'),
})

/** One row per drop event of a creator, shared by all of its followers' inboxes. */
export const creatorFeed = pgTable('creator_feed', {
  eventId: uuid('event_id').primaryKey(),
  creatorId: uuid('creator_id').notNull(),
  type: text('type').notNull(),
  data: jsonb('data').notNull(),
  createdAt: ts('created_at').notNull(),
})

/** Per-reader read marks of feed items. */
export const notificationReads = pgTable(
  'notification_reads',
  {
    userId: uuid('user_id').notNull(),
    notificationId: uuid('notification_id').notNull(),
    readAt: ts('read_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.notificationId] })],
)

/** "Mark all read": everything created up to `read_all_before` is read. */
export const notificationReadMarks = pgTable('notification_read_marks', {
  userId: uuid('user_id').primaryKey(),
  readAllBefore: ts('read_all_before').notNull(),
})

const Id = Type.String({ format: 'uuid' })

export const NotificationListQuery = Type.Object(
  {
    ...PageQuery,
    unread_only: Type.Optional(Type.Boolean({ default: false, description: 'Only items not yet read' })),
  },
  { additionalProperties: false },
)

export const NotificationSchema = Type.Object({
  notification_id: Id,
  type: Type.String({
    description: 'The event: order.confirmed, order.cancelled, order.expired or drop.started',
  }),
  data: Type.Object({}, { additionalProperties: true, description: 'The event payload' }),
  created_at: Type.String({ format: 'date-time' }),
  read: Type.Boolean(),
})
export const NotificationPage = pageOf(NotificationSchema)

/** The most ids one request may mark. */
export const MAX_MARKED = 500

export const MarkReadBody = Type.Union(
  [
    Type.Object(
      { notification_ids: Type.Array(Id, { minItems: 1, maxItems: MAX_MARKED }) },
      { additionalProperties: false },
    ),
    Type.Object({ all: Type.Literal(true) }, { additionalProperties: false }),
  ],
  { description: 'Either the ids to mark read, or `{"all": true}` for everything up to now' },
)
