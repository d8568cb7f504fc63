import { sql } from 'drizzle-orm'
import type { Db } from '../../platform/db/index.js'

export interface AnalyticsRow {
  event_id: string
  event_type: string
  user_id: string | null
  creator_id: string | null
  drop_id: string | null
  product_id: string | null
  session_id: string | null
  metadata: Record<string, unknown> | null
}

export function analyticsRepository(db: Db) {
  return {
    /** Appends a batch in one statement with one parameter, however many events it holds. */
    async append(rows: AnalyticsRow[]): Promise<void> {
      if (rows.length === 0) return
      await db.primary.execute(sql`
        INSERT INTO analytics_events
          (event_id, event_type, user_id, creator_id, drop_id, product_id, session_id, metadata)
        SELECT event_id, event_type, user_id, creator_id, drop_id, product_id, session_id, metadata
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS e(
          event_id uuid, event_type text, user_id uuid, creator_id uuid, drop_id uuid, product_id uuid,
          session_id text, metadata jsonb)`)
    },
  }
}
export type AnalyticsRepository = ReturnType<typeof analyticsRepository>
