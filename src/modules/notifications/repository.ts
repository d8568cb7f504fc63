import { type SQL, sql } from 'drizzle-orm'
import { perTurn } from '../../platform/batch.js'
import { type Db, rowsOf } from '../../platform/db/index.js'

export interface NewNotification {
  /** The id of the event it comes from, so a redelivery inserts nothing. */
  id: string
  type: string
  data: unknown
  createdAt: string
}

export interface InboxRow {
  id: string
  type: string
  data: Record<string, unknown>
  createdAt: Date
  read: boolean
}

export interface InboxQuery {
  userId: string
  /** Followed creators and when each follow began: their feed is shown from then on. */
  follows: { creatorId: string; followedAt: Date }[]
  limit: number
  /** Items strictly older than this (created_at, id) position. */
  before: { createdAt: string; id: string } | undefined
  unreadOnly: boolean
}

type RawInboxRow = {
  id: string
  type: string
  data: unknown
  created_at: Date | string
  read: boolean
}

const jsonOf = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value)

/** Most inbox rows one statement writes. */
const INSERT_BATCH = 500

export function notificationsRepository(db: Db) {
  /**
   * Inbox rows arriving over one turn of the event loop go in as one statement: a sale confirms
   * thousands of orders a second, and a row each would be as many commits.
   */
  const personalInserts = perTurn<{ userId: string; n: NewNotification }, void>(async (rows) => {
    const column = (value: (r: (typeof rows)[number]) => unknown) => sql.param(rows.map(value))
    await db.primary.execute(sql`
        INSERT INTO notifications (notification_id, user_id, type, data, created_at)
        SELECT * FROM unnest(${column((r) => r.n.id)}::uuid[], ${column((r) => r.userId)}::uuid[],
                             ${column((r) => r.n.type)}::text[],
                             ${column((r) => JSON.stringify(r.n.data))}::jsonb[],
                             ${column((r) => r.n.createdAt)}::timestamptz[])
        ON CONFLICT (notification_id) DO NOTHING`)
    return rows.map(() => undefined)
  }, INSERT_BATCH)

  return {
    insertPersonal: (userId: string, n: NewNotification): Promise<void> => personalInserts({ userId, n }),

    async insertFeed(creatorId: string, n: NewNotification): Promise<void> {
      await db.primary.execute(sql`
        INSERT INTO creator_feed (event_id, creator_id, type, data, created_at)
        VALUES (${n.id}::uuid, ${creatorId}::uuid, ${n.type}, ${JSON.stringify(n.data)}::jsonb, ${n.createdAt}::timestamptz)
        ON CONFLICT (event_id) DO NOTHING`)
    },

    /**
     * One page of the merged inbox, newest first by (created_at, id). Positions come from index-only
     * scans: the user's own rows from their index, and for each followed creator one bounded probe of
     * its feed index (LATERAL ... LIMIT). Only the page's rows are then read from the tables. The cost
     * grows with the page size and the number of follows, never with the number of followers or the
     * length of any history. The primary is read so that marks just made are seen.
     */
    async inbox(q: InboxQuery): Promise<InboxRow[]> {
      const take = q.limit
      const follows = JSON.stringify(
        q.follows.map((f) => ({ creator_id: f.creatorId, followed_at: f.followedAt.toISOString() })),
      )
      const personalBefore: SQL = q.before
        ? sql`AND (n.created_at, n.notification_id) < (${q.before.createdAt}::timestamptz, ${q.before.id}::uuid)`
        : sql``
      const feedBefore: SQL = q.before
        ? sql`AND (e.created_at, e.event_id) < (${q.before.createdAt}::timestamptz, ${q.before.id}::uuid)`
        : sql``
      // The all-read mark bounds both scans from below, so a marked inbox stops at the mark.
      const personalUnread: SQL = q.unreadOnly
        ? sql`AND n.created_at > mark.before AND n.read_at IS NULL`
        : sql``
      const feedUnread: SQL = q.unreadOnly
        ? sql`AND e.created_at > mark.before
              AND NOT EXISTS (SELECT 1 FROM notification_reads r
                              WHERE r.user_id = ${q.userId}::uuid AND r.notification_id = e.event_id)`
        : sql``
      const rows = rowsOf<RawInboxRow>(
        await db.primary.execute(sql`
          WITH mark AS (
            SELECT coalesce(
              (SELECT read_all_before FROM notification_read_marks WHERE user_id = ${q.userId}::uuid),
              '-infinity'::timestamptz) AS before
          ), followed AS (
            SELECT creator_id, followed_at
            FROM jsonb_to_recordset(${follows}::jsonb) AS f(creator_id uuid, followed_at timestamptz)
          ), personal AS (
            SELECT n.created_at, n.notification_id AS id, true AS own
            FROM notifications n, mark
            WHERE n.user_id = ${q.userId}::uuid ${personalBefore} ${personalUnread}
            ORDER BY n.created_at DESC, n.notification_id DESC
            LIMIT ${take}::int
          ), feed AS (
            SELECT e.created_at, e.event_id AS id, false AS own
            FROM followed f CROSS JOIN mark CROSS JOIN LATERAL (
              SELECT e.created_at, e.event_id
              FROM creator_feed e
              WHERE e.creator_id = f.creator_id AND e.created_at >= f.followed_at ${feedBefore} ${feedUnread}
              ORDER BY e.created_at DESC, e.event_id DESC
              LIMIT ${take}::int
            ) e
          ), page AS (
            SELECT created_at, id, own FROM personal
            UNION ALL
            SELECT created_at, id, own FROM feed
            ORDER BY created_at DESC, id DESC
            LIMIT ${take}::int
          )
          SELECT p.id, p.created_at,
            CASE WHEN p.own THEN n.type ELSE e.type END AS type,
            CASE WHEN p.own THEN n.data ELSE e.data END AS data,
            CASE WHEN p.own THEN n.read_at IS NOT NULL OR p.created_at <= mark.before
                 ELSE p.created_at <= mark.before OR EXISTS (
                   SELECT 1 FROM notification_reads r
                   WHERE r.user_id = ${q.userId}::uuid AND r.notification_id = p.id)
            END AS read
          FROM page p CROSS JOIN mark
          LEFT JOIN notifications n ON p.own AND n.notification_id = p.id
          LEFT JOIN creator_feed e ON NOT p.own AND e.event_id = p.id
          ORDER BY p.created_at DESC, p.id DESC`),
      )
      return rows.map((r) => ({
        id: r.id,
        type: r.type,
        data: jsonOf(r.data) as Record<string, unknown>,
        createdAt: new Date(r.created_at),
        read: r.read,
      }))
    },

    /**
     * Marks the caller's own rows and the feed items among `ids` read; ids of other users' rows and
     * unknown ids match nothing.
     */
    async markRead(userId: string, ids: string[]): Promise<void> {
      await db.primary.execute(sql`
        WITH ids AS (
          SELECT DISTINCT value::uuid AS id FROM jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)
        ), own AS (
          UPDATE notifications n SET read_at = now()
          FROM ids
          WHERE n.user_id = ${userId}::uuid AND n.notification_id = ids.id AND n.read_at IS NULL
          RETURNING 1
        )
        INSERT INTO notification_reads (user_id, notification_id)
        SELECT ${userId}::uuid, e.event_id FROM creator_feed e JOIN ids ON e.event_id = ids.id
        ON CONFLICT DO NOTHING`)
    },

    /**
     * Everything created up to now counts as read: one row per user, whatever the inbox holds. The
     * per-item feed marks it covers are no longer needed.
     */
    async markAllRead(userId: string): Promise<void> {
      await db.primary.execute(sql`
        WITH marked AS (
          INSERT INTO notification_read_marks AS m (user_id, read_all_before)
          VALUES (${userId}::uuid, now())
          ON CONFLICT (user_id) DO UPDATE
            SET read_all_before = greatest(m.read_all_before, EXCLUDED.read_all_before)
          RETURNING read_all_before
        )
        DELETE FROM notification_reads r USING creator_feed e
        WHERE r.user_id = ${userId}::uuid AND e.event_id = r.notification_id
          AND e.created_at <= (SELECT read_all_before FROM marked)`)
    },
  }
}
export type NotificationsRepository = ReturnType<typeof notificationsRepository>
