import { and, eq, inArray, type SQL, sql } from 'drizzle-orm'
import { uuidv7 } from 'uuidv7'
import { type Db, type Executor, rowsOf, sqlStateOf, type Tx } from '../../platform/db/index.js'
import { type DropItemRow, type DropRow, type DropStatus, dropItems, drops } from './schema.js'

export interface StockLine {
  productId: string
  variantId: string
  quantity: number
}

/** One order's share of a stock change. */
export interface StockClaim {
  orderId: string
  userId: string
  lines: StockLine[]
}

export interface StockChange {
  dropId: string
  creatorId: string
  remainingBefore: number
  remainingAfter: number
  lowStockThreshold: number
  version: number
  items: { product_id: string; variant_id: string; available: number }[]
}

/** Why a stock claim was refused inside the transaction (the transaction rolls back). */
export class StockRefused extends Error {
  constructor(readonly reason: 'drop_not_live' | 'sold_out' | 'purchase_limit_exceeded') {
    super(reason)
    this.name = 'StockRefused'
  }
}

/** SQLSTATEs of the refusals drops_take_stock raises, and of the CHECK that guards stock. */
const REFUSED_BY_STATE: Record<string, StockRefused['reason']> = {
  LD001: 'drop_not_live',
  LD002: 'purchase_limit_exceeded',
  '23514': 'sold_out',
}

/** Why the database refused a stock claim, from the error that undid the statement taking it. */
export function stockRefusalOf(error: unknown): StockRefused | undefined {
  const reason = REFUSED_BY_STATE[sqlStateOf(error) ?? '']
  return reason && new StockRefused(reason)
}

/** First key of the advisory lock that orders one creator's drop creations. */
const CREATOR_DROPS_LOCK = 727_101

type After = { createdAt: string; dropId: string }

function sumByKey<T>(entries: T[], key: (e: T) => string, amount: (e: T) => number): Map<string, number> {
  const sums = new Map<string, number>()
  for (const entry of entries) sums.set(key(entry), (sums.get(key(entry)) ?? 0) + amount(entry))
  return sums
}

function valuesList(pairs: [string, number][]) {
  return sql.join(
    pairs.map(([id, n]) => sql`(${id}::uuid, ${n}::integer)`),
    sql`, `,
  )
}

export function dropsRepository(db: Db) {
  async function itemsAfterChange(tx: Executor, dropId: string) {
    return rowsOf<{ product_id: string; variant_id: string; available: number }>(
      await tx.execute(sql`
        SELECT product_id, variant_id, current_stock AS available FROM drop_items
        WHERE drop_id = ${dropId} ORDER BY position`),
    )
  }

  return {
    async insert(
      tx: Tx,
      drop: Omit<DropRow, 'createdAt' | 'updatedAt' | 'stockVersion'>,
      items: DropItemRow[],
    ) {
      const [row] = await tx.insert(drops).values(drop).returning()
      await tx.insert(dropItems).values(items)
      return row!
    },

    /**
     * Serialises drop creation per creator until the transaction ends, so each creation counts every
     * drop committed before it and the counts it announces end at the exact total.
     */
    async lockCreatorDrops(tx: Tx, creatorId: string): Promise<void> {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${CREATOR_DROPS_LOCK}, hashtext(${creatorId}))`)
    },

    async countByCreator(tx: Executor, creatorId: string): Promise<number> {
      const rows = rowsOf<{ n: number | string }>(
        await tx.execute(sql`SELECT count(*) AS n FROM drops WHERE creator_id = ${creatorId}`),
      )
      return Number(rows[0]?.n ?? 0)
    },

    async findById(dropId: string, executor: Executor = db.primary): Promise<DropRow | undefined> {
      const [row] = await executor.select().from(drops).where(eq(drops.dropId, dropId))
      return row
    },

    async items(dropId: string): Promise<DropItemRow[]> {
      return db.primary
        .select()
        .from(dropItems)
        .where(eq(dropItems.dropId, dropId))
        .orderBy(dropItems.position)
    },

    /** Newest first; keyset after a cursor or an offset for `page`. */
    async list(filter: {
      status?: DropStatus
      creatorId?: string
      limit: number
      after?: After
      offset?: number
    }) {
      const conditions = [sql`true`]
      if (filter.status) conditions.push(sql`${drops.status} = ${filter.status}`)
      if (filter.creatorId) conditions.push(sql`${drops.creatorId} = ${filter.creatorId}`)
      if (filter.after) {
        conditions.push(
          sql`(${drops.createdAt}, ${drops.dropId}) < (${filter.after.createdAt}::timestamptz, ${filter.after.dropId}::uuid)`,
        )
      }
      return db.reader
        .select()
        .from(drops)
        .where(sql.join(conditions, sql` AND `))
        .orderBy(sql`${drops.createdAt} DESC, ${drops.dropId} DESC`)
        .limit(filter.limit + 1)
        .offset(filter.offset ?? 0)
    },

    /** Edits a drop only while it is still scheduled; undefined when it is not. */
    async updateScheduled(tx: Tx, dropId: string, changes: Partial<DropRow>): Promise<DropRow | undefined> {
      const [row] = await tx
        .update(drops)
        .set({ ...changes, updatedAt: sql`now()` })
        .where(and(eq(drops.dropId, dropId), eq(drops.status, 'scheduled')))
        .returning()
      return row
    },

    /** Moves a drop to `ended` from `from`; undefined if it was not in that state. */
    async end(tx: Tx, dropId: string, from: DropStatus[]): Promise<DropRow | undefined> {
      const [row] = await tx
        .update(drops)
        .set({ status: 'ended', updatedAt: sql`now()` })
        .where(and(eq(drops.dropId, dropId), inArray(drops.status, from)))
        .returning()
      return row
    },

    /**
     * Claims drops whose time has come and moves them on, each exactly once even with several
     * schedulers: rows are claimed with SKIP LOCKED and the status is re-checked by the UPDATE.
     */
    async advanceDue(tx: Tx, from: 'scheduled' | 'live', limit = 100): Promise<DropRow[]> {
      const to = from === 'scheduled' ? 'live' : 'ended'
      const due = from === 'scheduled' ? sql`start_time <= now()` : sql`end_time <= now()`
      // A drop whose whole window has passed while nobody was running goes straight to ended.
      const target =
        from === 'scheduled' ? sql`CASE WHEN end_time <= now() THEN 'ended' ELSE 'live' END` : sql`${to}`
      return tx
        .update(drops)
        .set({ status: target as never, updatedAt: sql`now()` })
        .where(
          sql`${drops.dropId} IN (SELECT drop_id FROM drops WHERE status = ${from} AND ${due}
              ORDER BY drop_id LIMIT ${limit} FOR UPDATE SKIP LOCKED) AND ${drops.status} = ${from}`,
        )
        .returning()
    },

    /** Time until the next scheduled transition, so the scheduler can sleep exactly that long. */
    async nextTransitionAt(): Promise<Date | undefined> {
      const rows = rowsOf<{ at: Date | string | null }>(
        await db.primary.execute(sql`
          SELECT least(
            (SELECT min(start_time) FROM drops WHERE status = 'scheduled'),
            (SELECT min(end_time) FROM drops WHERE status = 'live')) AS at`),
      )
      const at = rows[0]?.at
      return at ? new Date(at) : undefined
    },

    /**
     * The call that takes the claimed units for one or many orders of one drop, with the ledger and the
     * stock events (drops_take_stock, migrations/0004): an expression for the caller's statement, so
     * the orders and their units are written by one statement. It locks the drop's row first (every
     * stock change does so), which orders changes per drop and makes the low-stock and sold-out
     * crossings exact; CHECK constraints are the last guard against overselling. A refusal fails the
     * statement; stockRefusalOf names it.
     */
    stockTaking(dropId: string, claims: StockClaim[]): SQL {
      const lines = claims.flatMap((c) =>
        c.lines.map((l) => ({
          variant_id: l.variantId,
          quantity: l.quantity,
          order_id: c.orderId,
          user_id: c.userId,
        })),
      )
      // Ids for stock.changed, stock.low and drop.sold_out, in that order; the last two when crossed.
      const eventIds = [uuidv7(), uuidv7(), uuidv7()]
      return sql`drops_take_stock(${dropId}::uuid, ${JSON.stringify(lines)}::jsonb, ${sql.param(eventIds)}::uuid[])`
    },

    /** Returns one order's units to stock (cancel, decline, expiry), whatever the drop's state. */
    async returnStock(tx: Tx, dropId: string, claim: StockClaim): Promise<StockChange> {
      const total = claim.lines.reduce((n, l) => n + l.quantity, 0)
      const locked = rowsOf<{
        remaining_inventory: number
        low_stock_threshold: number
        stock_version: number | string
        creator_id: string
      }>(
        await tx.execute(sql`
          UPDATE drops SET remaining_inventory = remaining_inventory + ${total},
            stock_version = stock_version + 1
          WHERE drop_id = ${dropId}
          RETURNING remaining_inventory, low_stock_threshold, stock_version, creator_id`),
      )[0]
      if (!locked) throw new Error(`drop ${dropId} vanished while returning stock`)
      const perVariant = [
        ...sumByKey(
          claim.lines,
          (l) => l.variantId,
          (l) => l.quantity,
        ),
      ]
      await tx.execute(sql`
        UPDATE drop_items AS di SET current_stock = di.current_stock + v.quantity
        FROM (VALUES ${valuesList(perVariant)}) AS v (variant_id, quantity)
        WHERE di.drop_id = ${dropId} AND di.variant_id = v.variant_id`)
      await tx.execute(sql`
        UPDATE drop_purchases SET quantity = greatest(quantity - ${total}, 0)
        WHERE drop_id = ${dropId} AND user_id = ${claim.userId}`)
      const ledger = claim.lines.map(
        (l) =>
          sql`(${dropId}::uuid, ${l.variantId}::uuid, ${l.quantity}::integer, 'release', ${claim.orderId}::uuid)`,
      )
      await tx.execute(sql`
        INSERT INTO inventory_ledger (drop_id, variant_id, change, reason, order_id)
        VALUES ${sql.join(ledger, sql`, `)}`)
      return {
        dropId,
        creatorId: locked.creator_id,
        remainingBefore: locked.remaining_inventory - total,
        remainingAfter: locked.remaining_inventory,
        lowStockThreshold: locked.low_stock_threshold,
        version: Number(locked.stock_version),
        items: await itemsAfterChange(tx, dropId),
      }
    },

    /** The database's view of a drop's stock and per-user holdings: what the gate must equal. */
    async stockState(dropId: string) {
      const [items, purchases] = await Promise.all([
        db.primary
          .select({ variantId: dropItems.variantId, currentStock: dropItems.currentStock })
          .from(dropItems)
          .where(eq(dropItems.dropId, dropId)),
        rowsOf<{ user_id: string; quantity: number }>(
          await db.primary.execute(
            sql`SELECT user_id, quantity FROM drop_purchases WHERE drop_id = ${dropId} AND quantity > 0`,
          ),
        ),
      ])
      return {
        items: Object.fromEntries(items.map((i) => [i.variantId, i.currentStock])),
        users: Object.fromEntries(purchases.map((p) => [p.user_id, p.quantity])),
      }
    },

    async openDropIds(): Promise<string[]> {
      const rows = rowsOf<{ drop_id: string }>(
        await db.primary.execute(sql`SELECT drop_id FROM drops WHERE status IN ('scheduled', 'live')`),
      )
      return rows.map((r) => r.drop_id)
    },
  }
}
export type DropsRepository = ReturnType<typeof dropsRepository>
