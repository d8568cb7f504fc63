import DataLoader from 'dataloader'
import { and, asc, eq, inArray, sql } from 'drizzle-orm'
import { type Db, type Executor, rowsOf, type Tx } from '../../platform/db/index.js'
import { UUID } from '../../platform/http/pagination.js'
import { type OrderItemRow, type OrderRow, type OrderStatus, orderItems, orders } from './schema.js'

export interface NewOrder {
  row: OrderRow
  items: OrderItemRow[]
  fingerprint: string
  /** The exact response body, kept for replays. */
  response: string
  responseStatus: number
}

export interface HistoryEntry {
  at: Date
  fromStatus: OrderStatus | null
  toStatus: OrderStatus
  actor: string
  reason: string
}

/** Raised in the transaction when a (user, key) already has a durable record. */
export class KeyAlreadyUsed extends Error {
  constructor(
    readonly userId: string,
    readonly key: string,
  ) {
    super('idempotency key already used')
    this.name = 'KeyAlreadyUsed'
  }
}

export interface StoredResponse {
  fingerprint: string
  status_code: number
  response: string
}

/** Most durable-record lookups one statement answers. */
const LOOKUP_BATCH = 500

/**
 * Durable-record lookups by (user, key), gathered over one turn of the event loop and answered by one
 * prepared statement. A sale asks for one with every refusal that may be a retry, thousands a second;
 * one statement per turn instead of one each keeps the database (and the socket writes to it) out of
 * the way of the orders.
 */
function storedResponseLoader(db: Db) {
  const statement = db.prepare<StoredResponse & { user_id: string; key: string }>(
    'orders_stored_responses',
    sql`
      SELECT k.user_id::text AS user_id, k.key, k.fingerprint, k.status_code, k.response
      FROM unnest(${sql.placeholder('userIds')}::uuid[], ${sql.placeholder('keys')}::text[]) AS w (user_id, key)
      JOIN idempotency_keys k ON k.user_id = w.user_id AND k.key = w.key
      WHERE k.state = 'completed'`,
  )
  const loader = new DataLoader<{ userId: string; key: string }, StoredResponse | undefined>(
    async (wanted) => {
      const rows = await statement.primary({
        userIds: wanted.map((w) => w.userId),
        keys: wanted.map((w) => w.key),
      })
      const found = new Map(rows.map((r) => [`${r.user_id}\u0000${r.key}`, r]))
      return wanted.map((w) => {
        const row = found.get(`${w.userId.toLowerCase()}\u0000${w.key}`)
        return row && { fingerprint: row.fingerprint, status_code: row.status_code, response: row.response }
      })
    },
    { cache: false, maxBatchSize: LOOKUP_BATCH, batchScheduleFn: (run) => setImmediate(run) },
  )
  return async (userId: string, key: string): Promise<StoredResponse | undefined> =>
    // No record can belong to something that is not a user id; it must not fail the batch's cast.
    UUID.test(userId) ? loader.load({ userId, key }) : undefined
}

export function ordersRepository(db: Db) {
  const lookUpStoredResponse = storedResponseLoader(db)
  return {
    /**
     * Writes placed orders: durable idempotency records, orders, items and the audit trail, in one
     * statement (one round trip however many orders a group commit carries). Each column travels as
     * one array parameter, so the statement text is the same for every batch size. Orders whose key
     * already has a durable record are not written, and the caller's transaction is failed with
     * KeyAlreadyUsed.
     */
    async insertPlaced(tx: Tx, placed: NewOrder[], actorOf: (o: OrderRow) => string): Promise<void> {
      const column = (value: (o: NewOrder) => unknown) => sql.param(placed.map(value))
      const items = placed.flatMap((o) => o.items)
      const itemColumn = (value: (i: OrderItemRow) => unknown) => sql.param(items.map(value))
      const claimed = rowsOf<{ user_id: string; key: string }>(
        await tx.execute(sql`
          WITH input AS (
            SELECT * FROM unnest(
              ${column((o) => o.row.orderId)}::uuid[], ${column((o) => o.row.userId)}::uuid[],
              ${column((o) => o.row.dropId)}::uuid[], ${column((o) => o.row.creatorId)}::uuid[],
              ${column((o) => o.row.status)}::text[], ${column((o) => o.row.totalAmount)}::bigint[],
              ${column((o) => o.row.currency)}::text[], ${column((o) => o.row.paymentId)}::text[],
              ${column((o) => o.row.holdExpiresAt?.toISOString() ?? null)}::timestamptz[],
              ${column((o) => o.row.idempotencyKey)}::text[],
              ${column((o) => o.row.createdAt.toISOString())}::timestamptz[],
              ${column((o) => o.row.updatedAt.toISOString())}::timestamptz[],
              ${column((o) => o.fingerprint)}::text[], ${column((o) => o.responseStatus)}::integer[],
              ${column((o) => o.response)}::text[], ${column((o) => actorOf(o.row))}::text[]
            ) AS t (order_id, user_id, drop_id, creator_id, status, total_amount, currency, payment_id,
                    hold_expires_at, idempotency_key, created_at, updated_at, fingerprint, status_code,
                    response, actor)
          ), claimed AS (
            INSERT INTO idempotency_keys (user_id, key, fingerprint, state, status_code, response, expires_at)
            SELECT user_id, idempotency_key, fingerprint, 'completed', status_code, response,
                   now() + interval '25 hours'
            FROM input
            ON CONFLICT (user_id, key) DO NOTHING
            RETURNING user_id, key
          ), written AS (
            INSERT INTO orders (order_id, user_id, drop_id, creator_id, status, total_amount, currency,
                                payment_id, hold_expires_at, idempotency_key, created_at, updated_at)
            SELECT i.order_id, i.user_id, i.drop_id, i.creator_id, i.status, i.total_amount, i.currency,
                   i.payment_id, i.hold_expires_at, i.idempotency_key, i.created_at, i.updated_at
            FROM input i JOIN claimed c ON c.user_id = i.user_id AND c.key = i.idempotency_key
            RETURNING order_id, status, created_at
          ), lines AS (
            INSERT INTO order_items (order_id, position, product_id, variant_id, quantity, unit_price, total_price)
            SELECT l.* FROM unnest(
              ${itemColumn((i) => i.orderId)}::uuid[], ${itemColumn((i) => i.position)}::smallint[],
              ${itemColumn((i) => i.productId)}::uuid[], ${itemColumn((i) => i.variantId)}::uuid[],
              ${itemColumn((i) => i.quantity)}::integer[], ${itemColumn((i) => i.unitPrice)}::bigint[],
              ${itemColumn((i) => i.totalPrice)}::bigint[]
            ) AS l (order_id, position, product_id, variant_id, quantity, unit_price, total_price)
            WHERE l.order_id IN (SELECT order_id FROM written)
          ), audit AS (
            INSERT INTO order_events (order_id, from_status, to_status, actor, reason, at)
            SELECT i.order_id, NULL, i.status, i.actor, 'placed', i.created_at
            FROM input i WHERE i.order_id IN (SELECT order_id FROM written)
          )
          SELECT user_id, key FROM claimed`),
      )
      if (claimed.length !== placed.length) {
        const got = new Set(claimed.map((c) => `${c.user_id}|${c.key}`))
        const taken = placed.find((o) => !got.has(`${o.row.userId}|${o.row.idempotencyKey}`))!
        throw new KeyAlreadyUsed(taken.row.userId, taken.row.idempotencyKey)
      }
    },

    /** The durable record of a finished request, when the fast store has forgotten it. */
    storedResponse(userId: string, key: string): Promise<StoredResponse | undefined> {
      return lookUpStoredResponse(userId, key)
    },

    async find(orderId: string, executor: Executor = db.primary): Promise<OrderRow | undefined> {
      const [row] = await executor.select().from(orders).where(eq(orders.orderId, orderId))
      return row
    },

    async itemsOf(orderIds: string[], executor: Executor = db.primary): Promise<OrderItemRow[]> {
      if (orderIds.length === 0) return []
      return executor
        .select()
        .from(orderItems)
        .where(inArray(orderItems.orderId, orderIds))
        .orderBy(asc(orderItems.orderId), asc(orderItems.position))
    },

    /**
     * Moves an order from one of `from` to `to`, with its audit row, and returns the new row; undefined
     * when the order was not in one of those states (someone else moved it first).
     */
    async transition(
      tx: Tx,
      orderId: string,
      from: OrderStatus[],
      to: OrderStatus,
      audit: { actor: string; reason: string },
    ): Promise<{ row: OrderRow; from: OrderStatus } | undefined> {
      const before = rowsOf<{ status: OrderStatus }>(
        await tx.execute(sql`SELECT status FROM orders WHERE order_id = ${orderId} FOR UPDATE`),
      )[0]
      if (!before || !from.includes(before.status)) return undefined
      const [row] = await tx
        .update(orders)
        .set({
          status: to,
          updatedAt: sql`now()`,
          ...(to === 'pending' ? {} : { holdExpiresAt: null }),
        })
        .where(and(eq(orders.orderId, orderId), eq(orders.status, before.status)))
        .returning()
      await tx.execute(sql`
        INSERT INTO order_events (order_id, from_status, to_status, actor, reason)
        VALUES (${orderId}, ${before.status}, ${to}, ${audit.actor}, ${audit.reason})`)
      return { row: row!, from: before.status }
    },

    async history(orderId: string): Promise<HistoryEntry[]> {
      const rows = rowsOf<{
        at: Date | string
        from_status: OrderStatus | null
        to_status: OrderStatus
        actor: string
        reason: string
      }>(
        await db.primary.execute(sql`
          SELECT at, from_status, to_status, actor, reason FROM order_events
          WHERE order_id = ${orderId} ORDER BY event_id`),
      )
      return rows.map((r) => ({
        at: new Date(r.at),
        fromStatus: r.from_status,
        toStatus: r.to_status,
        actor: r.actor,
        reason: r.reason,
      }))
    },

    /** A user's orders, newest first, keyset on (created_at, order_id). */
    async listByUser(userId: string, limit: number, after?: { createdAt: string; orderId: string }) {
      return db.reader
        .select()
        .from(orders)
        .where(
          after
            ? sql`${orders.userId} = ${userId} AND (${orders.createdAt}, ${orders.orderId}) < (${after.createdAt}::timestamptz, ${after.orderId}::uuid)`
            : eq(orders.userId, userId),
        )
        .orderBy(sql`${orders.createdAt} DESC, ${orders.orderId} DESC`)
        .limit(limit + 1)
    },

    /** A drop's orders, newest first, keyset on (created_at, order_id). */
    async listByDrop(dropId: string, limit: number, after?: { createdAt: string; orderId: string }) {
      return db.reader
        .select()
        .from(orders)
        .where(
          after
            ? sql`${orders.dropId} = ${dropId} AND (${orders.createdAt}, ${orders.orderId}) < (${after.createdAt}::timestamptz, ${after.orderId}::uuid)`
            : eq(orders.dropId, dropId),
        )
        .orderBy(sql`${orders.createdAt} DESC, ${orders.orderId} DESC`)
        .limit(limit + 1)
    },

    async dueHolds(limit: number): Promise<string[]> {
      const rows = rowsOf<{ order_id: string }>(
        await db.primary.execute(sql`
          SELECT order_id FROM orders WHERE status = 'pending' AND hold_expires_at <= now()
          ORDER BY hold_expires_at LIMIT ${limit}`),
      )
      return rows.map((r) => r.order_id)
    },

    async purgeExpiredKeys(): Promise<void> {
      await db.primary.execute(sql`DELETE FROM idempotency_keys WHERE expires_at < now()`)
    },
  }
}
export type OrdersRepository = ReturnType<typeof ordersRepository>
