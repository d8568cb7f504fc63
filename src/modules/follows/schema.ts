import { bigint, pgTable, primaryKey, timestamp, uuid } from 'drizzle-orm/pg-core'
import { Type } from 'typebox'
import { PageQuery, pageOf } from '../../platform/http/pagination.js'

export const follows = pgTable(
  'follows',
  {
    creatorId: uuid('creator_id').notNull(),
    userId: uuid('user_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.creatorId, t.userId] })],
)

export const followerCounts = pgTable('follower_counts', {
  creatorId: uuid('creator_id').primaryKey(),
  followerCount: bigint('follower_count', { mode: 'number' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
})

const Id = Type.String({ format: 'uuid' })

export const FollowBody = Type.Object({ creator_id: Id }, { additionalProperties: false })
export const FollowSchema = Type.Object({
  user_id: Id,
  creator_id: Id,
  created_at: Type.String({ format: 'date-time' }),
})
export const CreatorIdParams = Type.Object({ creator_id: Id })
export const UserIdParams = Type.Object({ user_id: Id })
export const StatusParams = Type.Object({ user_id: Id, creator_id: Id })
export const StatusSchema = Type.Object({
  following: Type.Boolean(),
  since: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
})
export const ListQuery = Type.Object(PageQuery, { additionalProperties: false })
export const FollowerPage = pageOf(
  Type.Object({ user_id: Id, username: Type.String(), followed_at: Type.String({ format: 'date-time' }) }),
)
export const FollowingPage = pageOf(
  Type.Object({
    creator_id: Id,
    creator_name: Type.String(),
    followed_at: Type.String({ format: 'date-time' }),
  }),
)
