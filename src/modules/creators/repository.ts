import { eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '../../platform/db/index.js'
import { type CreatorRow, creators } from './schema.js'

export function creatorsRepository(db: Db) {
  return {
    async insert(row: Pick<CreatorRow, 'creatorId' | 'userId' | 'creatorName' | 'bio' | 'profileImageUrl'>) {
      const [created] = await db.primary.insert(creators).values(row).returning()
      return created!
    },
    async remove(creatorId: string) {
      await db.primary.delete(creators).where(eq(creators.creatorId, creatorId))
    },
    async findById(creatorId: string): Promise<CreatorRow | undefined> {
      const [row] = await db.reader.select().from(creators).where(eq(creators.creatorId, creatorId))
      return row
    },
    async findByUserId(userId: string): Promise<CreatorRow | undefined> {
      const [row] = await db.primary.select().from(creators).where(eq(creators.userId, userId))
      return row
    },
    async findMany(creatorIds: string[]): Promise<CreatorRow[]> {
      if (creatorIds.length === 0) return []
      return db.reader.select().from(creators).where(inArray(creators.creatorId, creatorIds))
    },
    /** Newest first; `q` matches a substring of the name or a close misspelling of it. */
    async list(options: { limit: number; after?: { createdAt: string; creatorId: string }; q?: string }) {
      const conditions = [sql`true`]
      if (options.after) {
        conditions.push(
          sql`(${creators.createdAt}, ${creators.creatorId}) < (${options.after.createdAt}::timestamptz, ${options.after.creatorId}::uuid)`,
        )
      }
      if (options.q) {
        const needle = options.q.toLowerCase()
        const pattern = `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
        conditions.push(
          sql`(lower(${creators.creatorName}) LIKE ${pattern} OR word_similarity(${needle}, lower(${creators.creatorName})) >= 0.5)`,
        )
      }
      return db.reader
        .select()
        .from(creators)
        .where(sql.join(conditions, sql` AND `))
        .orderBy(sql`${creators.createdAt} DESC, ${creators.creatorId} DESC`)
        .limit(options.limit + 1)
    },
  }
}
export type CreatorsRepository = ReturnType<typeof creatorsRepository>
