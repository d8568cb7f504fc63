import { and, asc, eq, inArray, type SQL, sql } from 'drizzle-orm'
import { uuidv7 } from 'uuidv7'
import { perTurn } from '../../platform/batch.js'
import { type Db, type Executor, rowsOf, sqlStateOf, type Tx } from '../../platform/db/index.js'
import { UUID } from '../../platform/http/pagination.js'
import { type OutboxEntry, outboxWritten } from '../../platform/outbox/index.js'
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

/** SQLSTATE orders_insert_placed raises when a (user, key) already has a durable record. */
const KEY_ALREADY_USED = 'LD003'

/** A placed order's (user, key) already had a durable record; nothing of the statement was written. */
export class KeyAlreadyUsed extends Error {
  constructor() {
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
 * Durable-record lookups by (user, key), gathered over one turn of the event loop (perTurn) and
 * answered by one prepared statement. A sale asks for one with every refusal that may be a retry, thousands a second;
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
  const lookUp = perTurn<{ userId: string; key: string }, StoredResponse | undefined>(async (wanted) => {
    const rows = await statement.primary({
      userIds: wanted.map((w) => w.userId),
      keys: wanted.map((w) => w.key),
    })
    const found = new Map(rows.map((r) => [`${r.user_id}\u0000${r.key}`, r]))
    return wanted.map((w) => {
      const row = found.get(`${w.userId.toLowerCase()}\u0000${w.key}`)
      return row && { fingerprint: row.fingerprint, status_code: row.status_code, response: row.response }
    })
  }, LOOKUP_BATCH)
  return async (userId: string, key: string): Promise<StoredResponse | undefined> =>
    // No record can belong to something that is not a user id; it must not fail the batch's cast.
    UUID.test(userId) ? lookUp({ userId, key }) : undefined
}

export function ordersRepository(db: Db) {
  const lookUpStoredResponse = storedResponseLoader(db)
  return {
    /**
     * Writes placed orders (durable idempotency records, orders, items, the audit trail and their
     * events, by orders_insert_placed in migrations/0004) and, in the same statement, `alongside`:
     * the stock they take. One statement is one round trip and one commit however many orders a group
     * carries, and nothing of it stays if any part fails. An order whose key already has a durable
     * record fails the statement with KeyAlreadyUsed.
     */
    async writePlaced(
      placed: NewOrder[],
      events: OutboxEntry[],
      actorOf: (o: OrderRow) => string,
      alongside: SQL,
    ): Promise<void> {
      const rows = placed.map(({ row, fingerprint, responseStatus, response }) => ({
        order_id: row.orderId,
        user_id: row.userId,
        drop_id: row.dropId,
        creator_id: row.creatorId,
        status: row.status,
        total_amount: row.totalAmount,
        currency: row.currency,
        payment_id: row.paymentId,
        hold_expires_at: row.holdExpiresAt?.toISOString() ?? null,
        idempotency_key: row.idempotencyKey,
        created_at: row.createdAt.toISOString(),
        updated_at: row.updatedAt.toISOString(),
        fingerprint,
        status_code: responseStatus,
        response,
        actor: actorOf(row),
      }))
      const items = placed.flatMap((o) =>
        o.items.map((i) => ({
          order_id: i.orderId,
          position: i.position,
          product_id: i.productId,
          variant_id: i.variantId,
          quantity: i.quantity,
          unit_price: i.unitPrice,
          total_price: i.totalPrice,
        })),
      )
      const outbox = events.map((e) => ({ id: uuidv7(), topic: e.topic, key: e.key, payload: e.payload }))
      try {
        await db.primary.execute(sql`
          SELECT orders_insert_placed(${JSON.stringify(rows)}::jsonb, ${JSON.stringify(items)}::jsonb,
                                      ${JSON.stringify(outbox)}::jsonb),
                 ${alongside}`)
      } catch (error) {
        if (sqlStateOf(error) === KEY_ALREADY_USED) throw new KeyAlreadyUsed()
        throw error
      }
      outboxWritten()
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

    /** Creates the missing monthly partitions of `orders` through `monthsAhead` months from now. */
    async addMonthPartitions(monthsAhead: number): Promise<number> {
      const [row] = rowsOf<{ created: number }>(
        await db.primary.execute(sql`
          SELECT orders_add_month_partitions(now(), now() + make_interval(months => ${monthsAhead})) AS created`),
      )
      return Number(row?.created ?? 0)
    },
  }
}
export type OrdersRepository = ReturnType<typeof ordersRepository>
