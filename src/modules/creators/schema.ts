import { boolean, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { Type } from 'typebox'
import { PageQuery, pageOf } from '../../platform/http/pagination.js'
import { ImageUrl } from '../users/schema.js'

export const creators = pgTable('creators', {
  creatorId: uuid('creator_id').primaryKey(),
  userId: uuid('user_id').notNull(),
  creatorName: text('creator_name').notNull(),
  bio: text('bio'),
  profileImageUrl: text('profile_image_url'),
  isVerified: boolean('is_verified').notNull().default(false),
  totalDrops: integer('total_drops').notNull().default(0),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
})
export type CreatorRow = typeof creators.$inferSelect

export const CreateCreatorBody = Type.Object(
  {
    creator_name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }),
    bio: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
    profile_image_url: Type.Optional(Type.Union([ImageUrl, Type.Null()])),
  },
  { additionalProperties: false },
)

export const CreatorSchema = Type.Object({
  creator_id: Type.String({ format: 'uuid' }),
  user_id: Type.String({ format: 'uuid' }),
  creator_name: Type.String(),
  bio: Type.Union([Type.String(), Type.Null()]),
  profile_image_url: Type.Union([Type.String(), Type.Null()]),
  follower_count: Type.Integer(),
  total_drops: Type.Integer(),
  is_verified: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
})

export const CreatorIdParams = Type.Object({ creator_id: Type.String({ format: 'uuid' }) })
export const CreatorListQuery = Type.Object(
  { ...PageQuery, q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) },
  { additionalProperties: false },
)
export const CreatorPage = pageOf(CreatorSchema)
