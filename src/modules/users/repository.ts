import { eq, sql } from 'drizzle-orm'
import type { Db } from '../../platform/db/index.js'
import { type UserRow, users } from './schema.js'

export type NewUser = Pick<UserRow, 'userId' | 'email' | 'username' | 'passwordHash'>

export function usersRepository(db: Db) {
  // A follower page names fifty users: one prepared statement with an array, not a fresh IN list to
  // build and plan per page.
  const usernamesOf = db.prepare<{ user_id: string; username: string }>(
    'users_usernames',
    sql`SELECT user_id, username FROM users WHERE user_id = ANY(${sql.placeholder('userIds')}::uuid[])`,
  )
  return {
    async insert(user: NewUser): Promise<UserRow> {
      const [row] = await db.primary
        .insert(users)
        .values({ ...user, roles: ['shopper'] })
        .returning()
      return row!
    },
    async findById(userId: string): Promise<UserRow | undefined> {
      const [row] = await db.primary.select().from(users).where(eq(users.userId, userId))
      return row
    },
    async findByEmail(email: string): Promise<UserRow | undefined> {
      const [row] = await db.primary.select().from(users).where(sql`lower(${users.email}) = lower(${email})`)
      return row
    },
    async usernames(userIds: string[]): Promise<Map<string, string>> {
      if (userIds.length === 0) return new Map()
      const rows = await usernamesOf.reader({ userIds })
      return new Map(rows.map((r) => [r.user_id, r.username]))
    },
    async update(
      userId: string,
      changes: Partial<Pick<UserRow, 'username' | 'profileImageUrl'>>,
    ): Promise<UserRow | undefined> {
      const [row] = await db.primary
        .update(users)
        .set({ ...changes, updatedAt: sql`now()` })
        .where(eq(users.userId, userId))
        .returning()
      return row
    },
    async addRole(userId: string, role: string): Promise<void> {
      await db.primary
        .update(users)
        .set({ roles: sql`array_append(${users.roles}, ${role}::text)`, updatedAt: sql`now()` })
        .where(sql`${users.userId} = ${userId} AND NOT (${role}::text = ANY (${users.roles}))`)
    },
    async removeRole(userId: string, role: string): Promise<void> {
      await db.primary
        .update(users)
        .set({ roles: sql`array_remove(${users.roles}, ${role}::text)` })
        .where(eq(users.userId, userId))
    },
  }
}
export type UsersRepository = ReturnType<typeof usersRepository>
