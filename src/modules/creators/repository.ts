import { eq, inArray, type SQL, sql } from 'drizzle-orm'
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
    /** Never lowers the figure, so replayed or out-of-order events are harmless. */
    async raiseTotalDrops(creatorId: string, totalDrops: number): Promise<void> {
      await db.primary
        .update(creators)
        .set({ totalDrops: sql`greatest(${creators.totalDrops}, ${totalDrops})` })
        .where(eq(creators.creatorId, creatorId))
    },
    async findMany(creatorIds: string[]): Promise<CreatorRow[]> {
      if (creatorIds.length === 0) return []
      return db.reader.select().from(creators).where(inArray(creators.creatorId, creatorIds))
    },
    /** Newest first; `q` matches a substring of the name or a close misspelling of it (see `typoMatch`). */
    async list(options: { limit: number; after?: { createdAt: string; creatorId: string }; q?: string }) {
      const conditions = [sql`true`]
      if (options.after) {
        conditions.push(
          sql`(${creators.createdAt}, ${creators.creatorId}) < (${options.after.createdAt}::timestamptz, ${options.after.creatorId}::uuid)`,
        )
      }
      if (options.q) {
        const needle = options.q.toLowerCase()
        const pattern = `%${escapeLike(needle)}%`
        const typos = typoMatch(needle, sql`lower(${creators.creatorName})`)
        conditions.push(
          sql`(lower(${creators.creatorName}) LIKE ${pattern} OR word_similarity(${needle}, lower(${creators.creatorName})) >= 0.5${typos ? sql` OR ${typos}` : sql``})`,
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

/** Whitespace and ASCII punctuation separate words, the same in JavaScript and in SQL. */
const WORD_BREAK = /[\s!-/:-@[-`{-~]+/
const SQL_WORD_BREAK = '[[:space:][:punct:]]+'
/** Words shorter than this must match exactly (or as a prefix); longer ones may carry one typo. */
const TYPO_MIN_LENGTH = 4

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`)

/** The word and, when it is long enough, every way of deleting one of its characters. */
function deletionKeys(word: string): string[] {
  const chars = Array.from(word)
  if (chars.length < TYPO_MIN_LENGTH) return [word]
  return [word, ...chars.map((_, i) => [...chars.slice(0, i), ...chars.slice(i + 1)].join(''))]
}

/**
 * True when every word of the query is a prefix of a word of `text`, or one typo away from one: a
 * character inserted, dropped, replaced or two neighbours swapped ("nvoa" finds "nova"). Two words are
 * within one typo when they share a deletion key (symmetric delete); trigrams miss such typos in short
 * words. Undefined when the query has no words.
 */
function typoMatch(query: string, text: SQL): SQL | undefined {
  const words = [...new Set(query.split(WORD_BREAK).filter(Boolean))].slice(0, 10)
  if (words.length === 0) return undefined
  const perWord = words.map((word) => {
    const prefix = sql`t.word LIKE ${`${escapeLike(word)}%`}`
    const keys = deletionKeys(word)
    const oneTypo =
      keys.length === 1
        ? sql``
        : sql` OR t.word IN (${sql.join(
            keys.map((key) => sql`${key}`),
            sql`, `,
          )}) OR EXISTS (
            SELECT 1 FROM generate_series(1, char_length(t.word)) AS d(i)
            WHERE char_length(t.word) >= ${sql.raw(String(TYPO_MIN_LENGTH))}
              AND overlay(t.word PLACING '' FROM d.i FOR 1) IN (${sql.join(
                keys.map((key) => sql`${key}`),
                sql`, `,
              )}))`
    return sql`EXISTS (SELECT 1 FROM regexp_split_to_table(${text}, ${SQL_WORD_BREAK}) AS t(word) WHERE ${prefix}${oneTypo})`
  })
  return sql`(${sql.join(perWord, sql` AND `)})`
}
