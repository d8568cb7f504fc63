import { LRUCache } from 'lru-cache'
import { uuidv7 } from 'uuidv7'
import type { EventBus } from '../../platform/bus/index.js'
import { type Cache, sharedRuns } from '../../platform/cache/index.js'
import type { Db, Tx } from '../../platform/db/index.js'
import { AppError, forbidden, notFound, validationFailed } from '../../platform/http/errors.js'
import { decodeCursor, encodeCursor, type Page } from '../../platform/http/pagination.js'
import { appendToOutbox, type OutboxEntry } from '../../platform/outbox/index.js'
import type { CatalogService } from '../catalog/index.js'
import type { CreatorsService } from '../creators/index.js'
import type { InventoryGate } from '../inventory/index.js'
import { dropEvent, type StockSnapshot } from './events.js'
import type { DropsRepository, StockChange, StockClaim } from './repository.js'
import type { DropItemRow, DropRow, DropStatus } from './schema.js'

export interface Drop {
  drop_id: string
  creator_id: string
  name: string
  description: string | null
  status: DropStatus
  start_time: string
  end_time: string
  total_inventory: number
  remaining_inventory: number
  sold_out: boolean
  low_stock_threshold: number
  per_user_limit: number
  created_at: string
  updated_at: string
}

export interface DropInventory {
  drop_id: string
  remaining_inventory: number
  sold_out: boolean
  items: { product_id: string; variant_id: string; available: number }[]
}

/** What the order path needs to know about a drop, cached for a moment. */
export interface DropForOrder {
  dropId: string
  creatorId: string
  status: DropStatus
  startsAt: number
  endsAt: number
  perUserLimit: number
  items: Map<string, { productId: string; variantId: string; name: string; price: number; currency: string }>
  variantsByProduct: Map<string, string[]>
}

export interface DropsDeps {
  db: Db
  repo: DropsRepository
  catalog: Pick<CatalogService, 'productsByIds'>
  creators: Pick<CreatorsService, 'byUser'>
  gate: InventoryGate
  cache: Cache
  bus: EventBus
}

// Short: a read racing an invalidation can re-cache the old row, and status must not stay stale long.
const DROP_CACHE_TTL_MS = 2_000
const ORDER_VIEW_TTL_MS = 1_000

const toDrop = (row: DropRow, remaining = row.remainingInventory): Drop => ({
  drop_id: row.dropId,
  creator_id: row.creatorId,
  name: row.name,
  description: row.description,
  status: row.status,
  start_time: row.startTime.toISOString(),
  end_time: row.endTime.toISOString(),
  total_inventory: row.totalInventory,
  remaining_inventory: remaining,
  sold_out: remaining === 0,
  low_stock_threshold: row.lowStockThreshold,
  per_user_limit: row.perUserLimit,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
})

const snapshotOf = (change: StockChange): StockSnapshot => ({
  drop_id: change.dropId,
  remaining_inventory: change.remainingAfter,
  version: change.version,
  items: change.items,
})

/** The events a stock change announces: always the new figures, and each threshold crossed. */
function stockEvents(change: StockChange): OutboxEntry[] {
  const snapshot = snapshotOf(change)
  const events: OutboxEntry[] = [dropEvent('stock.changed', change.dropId, snapshot)]
  const { remainingBefore: before, remainingAfter: after, lowStockThreshold: threshold } = change
  if (before > threshold && after <= threshold && after > 0) {
    events.push(dropEvent('stock.low', change.dropId, { ...snapshot, low_stock_threshold: threshold }))
  }
  if (before > 0 && after === 0) {
    events.push(
      dropEvent('drop.sold_out', change.dropId, { drop_id: change.dropId, creator_id: change.creatorId }),
    )
  }
  return events
}

function startedEvent(row: DropRow) {
  return dropEvent('drop.started', row.dropId, {
    drop_id: row.dropId,
    creator_id: row.creatorId,
    name: row.name,
    start_time: row.startTime.toISOString(),
    end_time: row.endTime.toISOString(),
  })
}

function endedEvent(row: DropRow, reason: 'scheduled' | 'ended_early') {
  return dropEvent('drop.ended', row.dropId, {
    drop_id: row.dropId,
    creator_id: row.creatorId,
    name: row.name,
    reason,
  })
}

export function dropsService({ db, repo, catalog, creators, gate, cache, bus }: DropsDeps) {
  const orderViews = new LRUCache<string, DropForOrder>({ max: 10_000, ttl: ORDER_VIEW_TTL_MS })
  const cacheKey = (dropId: string) => `drop:${dropId}`

  // One database read per drop at a time, however many orders arrive when the view expires; an
  // invalidation starts a new read (generation) so nobody is handed a view from before it.
  const viewLoads = sharedRuns<DropForOrder | undefined>()
  let generation = 0

  async function forget(dropId: string) {
    orderViews.delete(dropId)
    viewLoads.forget(dropId)
    rowLoads.forget(dropId)
    generation += 1
    await cache.delete(cacheKey(dropId))
  }
  bus.subscribe({
    topics: ['drop.started', 'drop.ended', 'drop.updated'],
    handler: (event) => forget(event.key),
  })

  /** Rows parsed from the cached (JSON-shaped) values, once per cached value rather than per read. */
  const parsedRows = new WeakMap<object, DropRow>()
  type CachedRow = DropRow & { startTime: string; endTime: string; createdAt: string; updatedAt: string }

  /** Loads of a drop's row from the database: reads that miss the cache together share one. */
  const rowLoads = sharedRuns<DropRow>()

  /** The drop's row; the same object while its cached value lasts (reads memoise on it). */
  async function row(dropId: string): Promise<DropRow> {
    const cached = await cache.get<CachedRow>(cacheKey(dropId))
    if (cached) {
      let parsed = parsedRows.get(cached)
      if (!parsed) {
        parsed = {
          ...cached,
          startTime: new Date(cached.startTime),
          endTime: new Date(cached.endTime),
          createdAt: new Date(cached.createdAt),
          updatedAt: new Date(cached.updatedAt),
        }
        parsedRows.set(cached, parsed)
      }
      return parsed
    }
    return rowLoads.run(dropId, async () => {
      const found = await repo.findById(dropId)
      if (!found) throw notFound('Drop')
      await cache.set(cacheKey(dropId), found, DROP_CACHE_TTL_MS)
      return found
    })
  }

  /**
   * A crowd refreshing a live drop asks for the same answer thousands of times between two stock
   * changes: it is built once per (row, figures) pair, both of which stay the same objects meanwhile.
   */
  function rendered<T>() {
    const last = new LRUCache<string, { row: DropRow; available: object | undefined; view: T }>({
      max: 10_000,
    })
    return async (
      dropId: string,
      build: (found: DropRow, available: Readonly<Record<string, number>> | undefined) => Promise<T> | T,
    ): Promise<T> => {
      const found = await row(dropId)
      const available = await gate.availability(dropId)
      const memo = last.get(dropId)
      if (available && memo && memo.row === found && memo.available === available) return memo.view
      const view = await build(found, available)
      // Without the gate's figures the answer comes from the database: not kept.
      if (available) last.set(dropId, { row: found, available, view })
      return view
    }
  }
  const renderedDrop = rendered<Drop>()
  const renderedInventory = rendered<DropInventory>()

  async function remainingOf(dropRow: DropRow): Promise<number> {
    return remainingIn(dropRow, await gate.availability(dropRow.dropId))
  }

  function remainingIn(dropRow: DropRow, available: Readonly<Record<string, number>> | undefined) {
    if (!available) return dropRow.remainingInventory
    return Object.values(available).reduce((n, v) => n + Math.max(v, 0), 0)
  }

  async function ownDrop(userId: string, dropId: string): Promise<DropRow> {
    const found = await repo.findById(dropId)
    if (!found) throw notFound('Drop')
    const creator = await creators.byUser(userId)
    if (creator?.creator_id !== found.creatorId) throw forbidden('Only the drop’s creator can change it')
    return found
  }

  const loadOrderView = (dropId: string): Promise<DropForOrder | undefined> =>
    viewLoads.run(dropId, () => readOrderView(dropId, generation))

  async function readOrderView(dropId: string, startedAt: number): Promise<DropForOrder | undefined> {
    const found = await repo.findById(dropId)
    if (!found) return undefined
    const items = await repo.items(dropId)
    const view: DropForOrder = {
      dropId,
      creatorId: found.creatorId,
      status: found.status,
      startsAt: found.startTime.getTime(),
      endsAt: found.endTime.getTime(),
      perUserLimit: found.perUserLimit,
      items: new Map(
        items.map((i) => [
          i.variantId,
          {
            productId: i.productId,
            variantId: i.variantId,
            name: i.name,
            price: i.dropPrice,
            currency: i.currency,
          },
        ]),
      ),
      variantsByProduct: new Map(),
    }
    for (const item of items) {
      view.variantsByProduct.set(item.productId, [
        ...(view.variantsByProduct.get(item.productId) ?? []),
        item.variantId,
      ])
    }
    if (startedAt === generation) orderViews.set(dropId, view)
    return view
  }

  return {
    async create(
      userId: string,
      input: {
        name: string
        description?: string | null
        start_time: string
        end_time: string
        low_stock_threshold?: number
        per_user_limit?: number
        items: { product_id: string; variant_id?: string; drop_price: number; initial_stock: number }[]
      },
    ): Promise<Drop> {
      const creator = await creators.byUser(userId)
      if (!creator) throw forbidden('Only creators can create drops')
      const startTime = new Date(input.start_time)
      const endTime = new Date(input.end_time)
      if (endTime <= startTime)
        throw validationFailed([{ path: '/end_time', message: 'must be after start_time' }])
      if (endTime.getTime() <= Date.now())
        throw validationFailed([{ path: '/end_time', message: 'must be in the future' }])

      const products = await catalog.productsByIds([...new Set(input.items.map((i) => i.product_id))])
      const dropId = uuidv7()
      const seen = new Set<string>()
      const items: DropItemRow[] = input.items.map((item, index) => {
        const product = products.get(item.product_id)
        const path = `/items/${index}`
        if (!product)
          throw validationFailed([{ path: `${path}/product_id`, message: 'is not a known product' }])
        if (product.creator_id !== creator.creator_id)
          throw forbidden('A drop can only sell its creator’s own products')
        const variant = item.variant_id
          ? product.variants.find((v) => v.variant_id === item.variant_id)
          : product.variants[0]
        if (!variant)
          throw validationFailed([
            { path: `${path}/variant_id`, message: 'is not a variant of this product' },
          ])
        if (seen.has(variant.variant_id)) {
          throw validationFailed([{ path: `${path}/variant_id`, message: 'appears twice in this drop' }])
        }
        seen.add(variant.variant_id)
        const name = product.variants.length > 1 ? `${product.name} — ${variant.name}` : product.name
        return {
          dropId,
          productId: product.product_id,
          variantId: variant.variant_id,
          position: index,
          name,
          dropPrice: item.drop_price,
          currency: product.currency,
          initialStock: item.initial_stock,
          currentStock: item.initial_stock,
        }
      })
      const total = items.reduce((n, i) => n + i.initialStock, 0)
      const status: DropStatus = startTime.getTime() <= Date.now() ? 'live' : 'scheduled'

      const created = await db.primary.transaction(async (tx) => {
        await repo.lockCreatorDrops(tx, creator.creator_id)
        const inserted = await repo.insert(
          tx,
          {
            dropId,
            creatorId: creator.creator_id,
            name: input.name.trim(),
            description: input.description ?? null,
            status,
            startTime,
            endTime,
            lowStockThreshold: input.low_stock_threshold ?? 10,
            perUserLimit: input.per_user_limit ?? 1,
            totalInventory: total,
            remainingInventory: total,
          },
          items,
        )
        const totalDrops = await repo.countByCreator(tx, creator.creator_id)
        const events = [
          dropEvent('drop.created', dropId, {
            drop_id: dropId,
            creator_id: creator.creator_id,
            creator_total_drops: totalDrops,
          }),
        ]
        if (status === 'live') events.push(startedEvent(inserted) as never)
        await appendToOutbox(tx, events)
        return inserted
      })
      await gate.load(dropId, {
        items: Object.fromEntries(items.map((i) => [i.variantId, i.initialStock])),
        users: {},
      })
      return toDrop(created)
    },

    get(dropId: string): Promise<Drop> {
      return renderedDrop(dropId, (found, available) => toDrop(found, remainingIn(found, available)))
    },

    async items(dropId: string) {
      await row(dropId)
      const items = await repo.items(dropId)
      const available = await gate.availability(dropId)
      return {
        items: items.map((i) => ({
          product_id: i.productId,
          variant_id: i.variantId,
          name: i.name,
          drop_price: i.dropPrice,
          currency: i.currency,
          initial_stock: i.initialStock,
          current_stock: available?.[i.variantId] ?? i.currentStock,
        })),
      }
    },

    /** Live availability, served by the gate so a stampede of watchers never reaches the database. */
    inventory(dropId: string): Promise<DropInventory> {
      return renderedInventory(dropId, async (found, available) => {
        const items = available
          ? [...(orderViews.get(dropId) ?? (await loadOrderView(dropId)))!.items.values()].map((i) => ({
              product_id: i.productId,
              variant_id: i.variantId,
              available: Math.max(available[i.variantId] ?? 0, 0),
            }))
          : (await repo.items(dropId)).map((i) => ({
              product_id: i.productId,
              variant_id: i.variantId,
              available: i.currentStock,
            }))
        const remaining = available ? items.reduce((n, i) => n + i.available, 0) : found.remainingInventory
        return { drop_id: dropId, remaining_inventory: remaining, sold_out: remaining === 0, items }
      })
    },

    /** Newest first. */
    async list(query: {
      limit?: number
      cursor?: string
      page?: number
      status?: DropStatus
      creator_id?: string
    }): Promise<Page<Drop>> {
      const limit = query.limit ?? 20
      const after = query.cursor ? decodeCursor(query.cursor, ['date', 'uuid']) : undefined
      const rows = await repo.list({
        status: query.status,
        creatorId: query.creator_id,
        limit,
        after: after && { createdAt: after[0] as string, dropId: after[1] as string },
        offset: !after && query.page ? (query.page - 1) * limit : 0,
      })
      const kept = rows.slice(0, limit)
      const last = kept[kept.length - 1]
      const items = await Promise.all(kept.map(async (r) => toDrop(r, await remainingOf(r))))
      return {
        items,
        next_cursor:
          rows.length > limit && last ? encodeCursor([last.createdAt.toISOString(), last.dropId]) : null,
      }
    },

    /** Edits a scheduled drop, or ends a live one early with `{status: "ended"}`. */
    async update(
      userId: string,
      dropId: string,
      input: {
        name?: string
        description?: string | null
        start_time?: string
        end_time?: string
        low_stock_threshold?: number
        per_user_limit?: number
        status?: 'ended'
      },
    ): Promise<Drop> {
      const current = await ownDrop(userId, dropId)
      if (input.status === 'ended') {
        if (Object.keys(input).length > 1) {
          throw validationFailed([
            { path: '/status', message: 'ending a drop cannot be combined with other changes' },
          ])
        }
        const ended = await db.primary.transaction(async (tx) => {
          const done = await repo.end(tx, dropId, ['scheduled', 'live'])
          if (done) await appendToOutbox(tx, [endedEvent(done, 'ended_early')])
          return done
        })
        if (!ended) throw new AppError(409, 'drop_already_ended', 'This drop has already ended')
        await forget(dropId)
        return toDrop(ended, await remainingOf(ended))
      }
      const startTime = input.start_time ? new Date(input.start_time) : current.startTime
      const endTime = input.end_time ? new Date(input.end_time) : current.endTime
      if (endTime <= startTime)
        throw validationFailed([{ path: '/end_time', message: 'must be after start_time' }])
      if (input.end_time && endTime.getTime() <= Date.now()) {
        throw validationFailed([{ path: '/end_time', message: 'must be in the future' }])
      }
      const updated = await db.primary.transaction(async (tx) => {
        const done = await repo.updateScheduled(tx, dropId, {
          name: input.name?.trim(),
          description: input.description,
          startTime: input.start_time ? startTime : undefined,
          endTime: input.end_time ? endTime : undefined,
          lowStockThreshold: input.low_stock_threshold,
          perUserLimit: input.per_user_limit,
        })
        if (done) await appendToOutbox(tx, [dropEvent('drop.updated', dropId, { drop_id: dropId })])
        return done
      })
      if (!updated) throw new AppError(409, 'drop_not_editable', 'Only a scheduled drop can be edited')
      await forget(dropId)
      return toDrop(updated, await remainingOf(updated))
    },

    /** The drop as the order path sees it; fresh from the database when the cached view may be out of date. */
    async forOrder(dropId: string): Promise<DropForOrder | undefined> {
      const cached = orderViews.get(dropId)
      const now = Date.now()
      const stale = cached && cached.status === 'scheduled' && cached.startsAt <= now
      return cached && !stale ? cached : loadOrderView(dropId)
    },

    /**
     * The expression that takes stock for orders of one drop and writes the stock events, for the
     * caller's statement (see the repository); stockRefusalOf names a refusal.
     */
    stockTaking: (dropId: string, claims: StockClaim[]) => repo.stockTaking(dropId, claims),

    /** Returns an order's units in the caller's transaction and writes the stock events. */
    async returnStock(tx: Tx, dropId: string, claim: StockClaim): Promise<StockChange> {
      const change = await repo.returnStock(tx, dropId, claim)
      await appendToOutbox(tx, stockEvents(change))
      return change
    },

    /** Moves due drops scheduled -> live -> ended, once each, with their events. */
    async advanceSchedule(): Promise<{ started: string[]; ended: string[] }> {
      const moved = await db.primary.transaction(async (tx) => {
        const opened = await repo.advanceDue(tx, 'scheduled')
        const closed = await repo.advanceDue(tx, 'live')
        const events: OutboxEntry[] = []
        for (const r of opened) {
          events.push(startedEvent(r))
          if (r.status === 'ended') events.push(endedEvent(r, 'scheduled'))
        }
        for (const r of closed) events.push(endedEvent(r, 'scheduled'))
        await appendToOutbox(tx, events)
        return { opened, closed }
      })
      for (const r of [...moved.opened, ...moved.closed]) await forget(r.dropId)
      return {
        started: moved.opened.map((r) => r.dropId),
        ended: [...moved.opened.filter((r) => r.status === 'ended'), ...moved.closed].map((r) => r.dropId),
      }
    },

    /** When the next scheduled start or end falls due, if any (the scheduler sleeps until then). */
    nextTransitionAt: () => repo.nextTransitionAt(),

    stockState: (dropId: string) => repo.stockState(dropId),
    openDropIds: () => repo.openDropIds(),
  }
}
export type DropsService = ReturnType<typeof dropsService>
