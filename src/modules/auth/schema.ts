import { customType, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core'
import { Type } from 'typebox'
import { Username, UserSchema } from '../users/schema.js'

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' })

export const refreshTokens = pgTable('refresh_tokens', {
  tokenHash: bytea('token_hash').primaryKey(),
  familyId: uuid('family_id').notNull(),
  userId: uuid('user_id').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
  rotatedAt: timestamp('rotated_at', { withTimezone: true, precision: 3 }),
  revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
})

export const Email = Type.String({ format: 'email', maxLength: 254 })
export const Password = Type.String({ minLength: 1, maxLength: 256 })
const RefreshToken = Type.String({ minLength: 1, maxLength: 512 })

export const RegisterBody = Type.Object(
  { email: Email, username: Username, password: Password },
  { additionalProperties: false },
)
export const LoginBody = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: 254 }), password: Password },
  { additionalProperties: false },
)
export const RefreshBody = Type.Object({ refresh_token: RefreshToken }, { additionalProperties: false })

export const SessionSchema = Type.Object({
  user: UserSchema,
  access_token: Type.String(),
  refresh_token: Type.String(),
})
export const TokensSchema = Type.Object({ access_token: Type.String(), refresh_token: Type.String() })
