import { eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '../../platform/db/index.js'
import { type UserRow, users } from './schema.js'

export type NewUser = Pick<UserRow, 'userId' | 'email' | 'username' | 'passwordHash'>

export function usersRepository(db: Db) {
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
      const rows = await db.reader
        .select({ userId: users.userId, username: users.username })
        .from(users)
        .where(inArray(users.userId, userIds))
      return new Map(rows.map((r) => [r.userId, r.username]))
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
