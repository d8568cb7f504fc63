import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { Type } from 'typebox'

export const users = pgTable('users', {
  userId: uuid('user_id').primaryKey(),
  email: text('email').notNull(),
  username: text('username').notNull(),
  passwordHash: text('password_hash').notNull(),
  profileImageUrl: text('profile_image_url'),
  roles: text('roles').array().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
})
export type UserRow = typeof users.$inferSelect

export const Username = Type.String({
  minLength: 3,
  maxLength: 30,
  pattern: '^[A-Za-z0-9_]+$',
  description: 'letters, digits and underscores',
})
export const ImageUrl = Type.String({ format: 'uri', maxLength: 2048, pattern: '^https?://' })

export const UserSchema = Type.Object({
  user_id: Type.String({ format: 'uuid' }),
  email: Type.String(),
  username: Type.String(),
  profile_image_url: Type.Union([Type.String(), Type.Null()]),
  roles: Type.Array(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
})

export const ProfileSchema = Type.Object({
  user_id: Type.String({ format: 'uuid' }),
  username: Type.String(),
  profile_image_url: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
})

export const ProfileUpdate = Type.Object(
  {
    username: Type.Optional(Username),
    profile_image_url: Type.Optional(Type.Union([ImageUrl, Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const UserIdParams = Type.Object({ user_id: Type.String({ format: 'uuid' }) })
