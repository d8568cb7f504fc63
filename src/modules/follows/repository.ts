import { and, eq, inArray, sql } from 'drizzle-orm'
import { uuidv7 } from 'uuidv7'
import { perTurn } from '../../platform/batch.js'
import { type Db, rowsOf } from '../../platform/db/index.js'
import { outboxWritten } from '../../platform/outbox/index.js'
import { followerCounts, follows } from './schema.js'

export interface Edge {
  userId: string
  creatorId: string
  createdAt: Date
}

type After = { createdAt: string; id: string } | undefined

/** How many deltas one fold takes at most; the rest wait for the next tick. */
const FOLD_BATCH = 100_000

/** A follower as a page shows it; the time comes as ISO text from the database, not as a parsed Date. */
export interface Follower {
  userId: string
  followedAt: string
}

type FollowerRow = { user_id: string; followed_at: string }

/** ISO 8601 in UTC with milliseconds, exactly as Date#toISOString writes it (created_at has ms precision). */
const ISO_FOLLOWED_AT = sql.raw(
  `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS followed_at`,
)

/**
 * A follow or unfollow commits without waiting for its WAL to reach disk (synchronous_commit off for
 * that transaction alone). The edge, its count delta and its event still commit together or not at
 * all; what a database crash can cost is the last fraction of a second of acknowledged follows
 * (PostgreSQL flushes within 3 x wal_writer_delay), which the user can simply repeat. Orders, payments
 * and everything else keep synchronous commits. Referenced through `EXISTS (SELECT FROM relaxed)` so
 * the setting is made before the statement's commit.
 */
const RELAXED_COMMIT = sql`relaxed AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true))`

/** The statements of the follow hot path, prepared once per connection. */
function prepareStatements(db: Db) {
  const creatorId = sql.placeholder('creatorId')
  const userId = sql.placeholder('userId')
  const limit = sql.placeholder('limit')
  return {
    // Insert only: the already-following case reads the edge separately, so this statement never plans
    // a read across every partition of `follows`. Many follows at once: one edge and one event each,
    // and one count delta per creator.
    follow: db.prepare<{ creator_id: string; user_id: string; created_at: Date | string }>(
      'follows_follow',
      sql`
        WITH ${RELAXED_COMMIT}, wanted AS (
          SELECT DISTINCT ON (creator_id, user_id) creator_id, user_id, event_id
          FROM unnest(${sql.placeholder('creatorIds')}::uuid[], ${sql.placeholder('userIds')}::uuid[],
                      ${sql.placeholder('eventIds')}::uuid[]) AS w (creator_id, user_id, event_id)
        ), inserted AS (
          INSERT INTO follows (creator_id, user_id) SELECT creator_id, user_id FROM wanted
          ON CONFLICT DO NOTHING RETURNING creator_id, user_id, created_at
        ), counted AS (
          INSERT INTO follower_count_deltas (creator_id, delta)
          SELECT creator_id, count(*) FROM inserted GROUP BY creator_id
        ), announced AS (
          INSERT INTO outbox (id, topic, key, payload)
          SELECT w.event_id, 'follow.created', i.user_id::text,
            jsonb_build_object('user_id', i.user_id::text, 'creator_id', i.creator_id::text)
          FROM inserted i JOIN wanted w ON w.creator_id = i.creator_id AND w.user_id = i.user_id
        )
        SELECT creator_id::text, user_id::text, created_at FROM inserted WHERE EXISTS (SELECT FROM relaxed)`,
    ),
    unfollow: db.prepare(
      'follows_unfollow',
      sql`
        WITH ${RELAXED_COMMIT}, removed AS (
          DELETE FROM follows WHERE creator_id = ${creatorId}::uuid AND user_id = ${userId}::uuid
          RETURNING creator_id
        ), counted AS (
          INSERT INTO follower_count_deltas (creator_id, delta) SELECT creator_id, -1 FROM removed
        )
        INSERT INTO outbox (id, topic, key, payload)
        SELECT ${sql.placeholder('eventId')}::uuid, 'follow.removed', ${userId}::text,
          jsonb_build_object('user_id', ${userId}::text, 'creator_id', ${creatorId}::text)
        FROM removed WHERE EXISTS (SELECT FROM relaxed)`,
    ),
    followersFirst: db.prepare<FollowerRow>(
      'follows_followers_first',
      sql`
        SELECT user_id, ${ISO_FOLLOWED_AT} FROM follows
        WHERE creator_id = ${creatorId}::uuid
        ORDER BY created_at DESC, user_id DESC LIMIT ${limit}::int`,
    ),
    followersAfter: db.prepare<FollowerRow>(
      'follows_followers_after',
      sql`
        SELECT user_id, ${ISO_FOLLOWED_AT} FROM follows
        WHERE creator_id = ${creatorId}::uuid
          AND (created_at, user_id) < (${sql.placeholder('afterCreatedAt')}::timestamptz, ${sql.placeholder('afterUserId')}::uuid)
        ORDER BY created_at DESC, user_id DESC LIMIT ${limit}::int`,
    ),
  }
}

/** Most follows one statement inserts. */
const FOLLOW_BATCH = 500

export function followsRepository(db: Db) {
  const statements = prepareStatements(db)
  const edgeInserts = perTurn<{ creatorId: string; userId: string }, Date | undefined>(async (wanted) => {
    const rows = await statements.follow.primary({
      creatorIds: wanted.map((w) => w.creatorId),
      userIds: wanted.map((w) => w.userId),
      eventIds: wanted.map(() => uuidv7()),
    })
    if (rows.length > 0) outboxWritten()
    const inserted = new Map(rows.map((r) => [`${r.creator_id}|${r.user_id}`, new Date(r.created_at)]))
    // The same follow twice in one batch inserted one edge: the first asker made it, the other found it.
    return wanted.map((w) => {
      const pair = `${w.creatorId.toLowerCase()}|${w.userId.toLowerCase()}`
      const createdAt = inserted.get(pair)
      inserted.delete(pair)
      return createdAt
    })
  }, FOLLOW_BATCH)
  return {
    /**
     * Inserts the edge, its count delta and its event; undefined when it already existed. Follows
     * arriving over one turn of the event loop go in as one statement (a celebrity's stampede is
     * thousands a second, and a statement each would be as many round trips and commits).
     */
    insertEdge: (creatorId: string, userId: string): Promise<Date | undefined> =>
      edgeInserts({ creatorId, userId }),

    /** Deletes the edge, records its -1 delta and announces it, in one statement. */
    async unfollow(creatorId: string, userId: string): Promise<void> {
      await statements.unfollow.primary({ creatorId, userId, eventId: uuidv7() })
      outboxWritten()
    },

    /** Every creator a user follows (for routing live events to their sockets). */
    async followedCreatorIds(userId: string, max: number): Promise<string[]> {
      const rows = await db.primary
        .select({ creatorId: follows.creatorId })
        .from(follows)
        .where(eq(follows.userId, userId))
        .limit(max)
      return rows.map((r) => r.creatorId)
    },

    /** The creators a user follows and when each follow began, newest follow first. */
    async followedSince(userId: string, max: number): Promise<{ creatorId: string; followedAt: Date }[]> {
      return db.primary
        .select({ creatorId: follows.creatorId, followedAt: follows.createdAt })
        .from(follows)
        .where(eq(follows.userId, userId))
        .orderBy(sql`${follows.createdAt} DESC, ${follows.creatorId} DESC`)
        .limit(max)
    },

    async since(creatorId: string, userId: string): Promise<Date | undefined> {
      const [row] = await db.primary
        .select({ createdAt: follows.createdAt })
        .from(follows)
        .where(and(eq(follows.creatorId, creatorId), eq(follows.userId, userId)))
      return row?.createdAt
    },

    /** A creator's followers, newest first, keyset-paginated on (created_at, user_id). */
    async followers(creatorId: string, limit: number, after: After): Promise<Follower[]> {
      const rows = after
        ? await statements.followersAfter.reader({
            creatorId,
            limit: limit + 1,
            afterCreatedAt: after.createdAt,
            afterUserId: after.id,
          })
        : await statements.followersFirst.reader({ creatorId, limit: limit + 1 })
      return rows.map((r) => ({ userId: r.user_id, followedAt: r.followed_at }))
    },

    /** The creators a user follows, newest first, keyset-paginated on (created_at, creator_id). */
    async following(userId: string, limit: number, after: After): Promise<Edge[]> {
      return db.reader
        .select()
        .from(follows)
        .where(
          after
            ? sql`${follows.userId} = ${userId} AND (${follows.createdAt}, ${follows.creatorId}) < (${after.createdAt}::timestamptz, ${after.id}::uuid)`
            : eq(follows.userId, userId),
        )
        .orderBy(sql`${follows.createdAt} DESC, ${follows.creatorId} DESC`)
        .limit(limit + 1)
    },

    async counts(creatorIds: string[]): Promise<Map<string, number>> {
      if (creatorIds.length === 0) return new Map()
      const rows = await db.reader
        .select({ creatorId: followerCounts.creatorId, count: followerCounts.followerCount })
        .from(followerCounts)
        .where(inArray(followerCounts.creatorId, creatorIds))
      return new Map(rows.map((r) => [r.creatorId, r.count]))
    },

    /**
     * Moves pending deltas into the counts: one update per creator per fold, whatever the number of
     * follows. SKIP LOCKED lets several workers fold at once without double counting.
     */
    async foldCounts(): Promise<number> {
      const rows = rowsOf<{ creators: number | string }>(
        await db.primary.execute(sql`
          WITH taken AS (
            DELETE FROM follower_count_deltas
            WHERE id IN (SELECT id FROM follower_count_deltas ORDER BY id LIMIT ${FOLD_BATCH} FOR UPDATE SKIP LOCKED)
            RETURNING creator_id, delta
          ), sums AS (
            SELECT creator_id, sum(delta)::bigint AS change FROM taken GROUP BY creator_id
          ), applied AS (
            INSERT INTO follower_counts AS c (creator_id, follower_count)
            SELECT creator_id, change FROM sums
            ON CONFLICT (creator_id) DO UPDATE
              SET follower_count = c.follower_count + EXCLUDED.follower_count, updated_at = now()
            RETURNING 1
          )
          SELECT count(*) AS creators FROM applied`),
      )
      return Number(rows[0]?.creators ?? 0)
    },
  }
}
export type FollowsRepository = ReturnType<typeof followsRepository>
