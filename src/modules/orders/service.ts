import { uuidv7 } from 'uuidv7'
import type { Db, Tx } from '../../platform/db/index.js'
import { AppError, forbidden, notFound, validationFailed } from '../../platform/http/errors.js'
import { decodeCursor, type Page, toPage } from '../../platform/http/pagination.js'
import { problemOf } from '../../platform/http/problem.js'
import { appendToOutbox, type OutboxEntry } from '../../platform/outbox/index.js'
import type { Principal } from '../auth/index.js'
import type { CreatorsService } from '../creators/index.js'
import {
  type DropForOrder,
  type DropsService,
  type StockClaim,
  StockRefused,
  stockRefusalOf,
} from '../drops/index.js'
import type { GateLine, InventoryGate, ReserveOutcome } from '../inventory/index.js'
import { DEFAULT_TEST_TOKEN, type PaymentProvider, type WebhookOutcome } from '../payments/index.js'
import { createCommitter } from './committer.js'
import { orderEvent } from './events.js'
import { type Begin, fingerprint, type IdempotencyStore } from './idempotency.js'
import { GATE_REFUSAL_ANSWERS, type GateRefusal, REFUSALS } from './refusals.js'
import { KeyAlreadyUsed, type NewOrder, type OrdersRepository } from './repository.js'
import type { OrderItemRow, OrderRow, OrderStatus } from './schema.js'

export interface Order {
  order_id: string
  user_id: string
  drop_id: string
  status: OrderStatus
  items: {
    product_id: string
    variant_id: string
    quantity: number
    unit_price: number
    total_price: number
  }[]
  total_amount: number
  currency: string
  hold_expires_at: string | null
  created_at: string
  updated_at: string
}

export interface PlaceOrderInput {
  drop_id: string
  items: { product_id: string; variant_id?: string; quantity: number }[]
  payment?: { method: 'card'; token: string }
}

/** An answer to POST /orders, kept byte for byte so a replay is identical. */
export interface OrderReply {
  status: number
  body: string
  problem: boolean
  replayed: boolean
}

export interface OrdersDeps {
  db: Db
  repo: OrdersRepository
  drops: Pick<DropsService, 'forOrder' | 'stockTaking' | 'returnStock' | 'stockState'>
  creators: Pick<CreatorsService, 'byUser'>
  gate: InventoryGate
  idempotency: IdempotencyStore
  payments: PaymentProvider
  holdTtlSeconds: number
}

const IDEMPOTENCY_KEY_MAX = 255

export const toOrder = (row: OrderRow, items: OrderItemRow[]): Order => ({
  order_id: row.orderId,
  user_id: row.userId,
  drop_id: row.dropId,
  status: row.status,
  items: items.map((i) => ({
    product_id: i.productId,
    variant_id: i.variantId,
    quantity: i.quantity,
    unit_price: i.unitPrice,
    total_price: i.totalPrice,
  })),
  total_amount: row.totalAmount,
  currency: row.currency,
  hold_expires_at: row.holdExpiresAt?.toISOString() ?? null,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
})

/** The answers to attempts the gate refused, made once: a sale hands them out by the thousand. */
const REFUSAL_REPLIES = Object.fromEntries(
  Object.entries(GATE_REFUSAL_ANSWERS).map(([outcome, answer]) => [
    outcome,
    Object.freeze({ ...answer, problem: true, replayed: false }),
  ]),
) as Record<GateRefusal, OrderReply>

/** The answer to an attempt the gate refused. */
const refusalReply = (outcome: GateRefusal): OrderReply => REFUSAL_REPLIES[outcome]

/** Orders are taken while the drop is live and before its end time. */
const isOpen = (drop: DropForOrder, now: number) => drop.status === 'live' && now < drop.endsAt

interface Attempt {
  drop: DropForOrder
  now: number
  lines: ReturnType<typeof resolveLines>
  gateLines: GateLine[]
}

/** An attempt the gate was already asked about, with its verdict. */
interface Reserved {
  attempt: Attempt
  verdict: ReserveOutcome
}

interface Placement extends NewOrder {
  dropId: string
  claim: StockClaim
}

/** Resolves requested items against the drop: every line names a variant of the drop, merged per variant. */
function resolveLines(drop: DropForOrder, items: PlaceOrderInput['items']) {
  const merged = new Map<string, number>()
  items.forEach((item, index) => {
    const variants = drop.variantsByProduct.get(item.product_id)
    if (!variants) {
      throw validationFailed([{ path: `/items/${index}/product_id`, message: 'is not sold in this drop' }])
    }
    let variantId = item.variant_id
    if (variantId === undefined) {
      if (variants.length > 1) {
        throw validationFailed([
          {
            path: `/items/${index}/variant_id`,
            message: 'is required: this product has several variants in the drop',
          },
        ])
      }
      variantId = variants[0]!
    } else if (!variants.includes(variantId)) {
      throw validationFailed([{ path: `/items/${index}/variant_id`, message: 'is not sold in this drop' }])
    }
    merged.set(variantId, (merged.get(variantId) ?? 0) + item.quantity)
  })
  const lines = [...merged].map(([variantId, quantity]) => {
    const item = drop.items.get(variantId)!
    return { productId: item.productId, variantId, quantity, unitPrice: item.price, currency: item.currency }
  })
  const currencies = new Set(lines.map((l) => l.currency))
  if (currencies.size > 1) {
    throw validationFailed([
      { path: '/items', message: 'items priced in different currencies must be ordered separately' },
    ])
  }
  return lines
}

export function ordersService(deps: OrdersDeps) {
  const { db, repo, drops, creators, gate, idempotency, payments } = deps
  const userActor = (userId: string) => `user:${userId}`

  const committer = createCommitter<Placement>(async (placements) => {
    const events: OutboxEntry[] = []
    for (const p of placements) {
      const payload = { ...(JSON.parse(p.response) as Order), creator_id: p.row.creatorId }
      events.push(orderEvent('order.created', p.row.orderId, payload))
      if (p.row.status === 'confirmed') events.push(orderEvent('order.confirmed', p.row.orderId, payload))
    }
    const taking = drops.stockTaking(
      placements[0]!.dropId,
      placements.map((p) => p.claim),
    )
    try {
      await repo.writePlaced(placements, events, (row) => userActor(row.userId), taking)
    } catch (error) {
      throw stockRefusalOf(error) ?? error
    }
  })

  /**
   * The gate's verdict; a drop missing from the gate (Redis flushed, say) is loaded from the database.
   * `reloaded`: whatever emptied the gate may have taken the idempotency records with it.
   */
  async function reserve(drop: DropForOrder, userId: string, lines: GateLine[], verdict?: ReserveOutcome) {
    const outcome = verdict ?? (await gate.reserve(drop.dropId, userId, lines, drop.perUserLimit))
    if (outcome !== 'not_loaded') return { outcome, reloaded: false }
    await gate.load(drop.dropId, await drops.stockState(drop.dropId), { onlyIfMissing: true })
    return { outcome: await gate.reserve(drop.dropId, userId, lines, drop.perUserLimit), reloaded: true }
  }

  /**
   * The answer of the order this key already placed, from the durable record. The fast store forgets
   * (an embedded restart empties it; a claim left by a crashed process lapses and is taken over), and
   * such a key looks new. A retry that gets through meets the durable record in its write; one that is
   * refused would be told `sold_out` about an order it placed, so refusals that may be retries of a
   * key the store cannot vouch for look here first.
   */
  async function earlierAnswer(userId: string, key: string, fp: string): Promise<OrderReply | undefined> {
    const stored = await repo.storedResponse(userId, key)
    if (!stored) return undefined
    if (stored.fingerprint !== fp) throw keyReused()
    return { status: stored.status_code, body: stored.response, problem: false, replayed: true }
  }

  /** The order checked against its drop, open now: what the gate is asked for. */
  function attemptOn(drop: DropForOrder, now: number, items: PlaceOrderInput['items']): Attempt {
    const lines = resolveLines(drop, items)
    return {
      drop,
      now,
      lines,
      gateLines: lines.map((l) => ({ variantId: l.variantId, quantity: l.quantity })),
    }
  }

  /** An attempt on an open drop that fits it, else undefined (the ordinary path answers the rest). */
  async function openAttempt(input: PlaceOrderInput): Promise<Attempt | undefined> {
    const drop = await drops.forOrder(input.drop_id)
    const now = Date.now()
    if (!drop || !isOpen(drop, now)) return undefined
    try {
      return attemptOn(drop, now, input.items)
    } catch {
      return undefined
    }
  }

  /**
   * Claims the key. Where the idempotency store can also reserve in the same step, an attempt on an
   * open drop that fits it is claimed and reserved at once: `reserved` carries the gate's verdict, and
   * a refusal the store recorded as the key's answer comes back as `answer`. Any other request is
   * claimed the ordinary way.
   */
  async function claim(
    userId: string,
    key: string,
    fp: string,
    input: PlaceOrderInput,
  ): Promise<{ answer: OrderReply } | { answer?: undefined; begun: Begin; reserved?: Reserved }> {
    const attempt = idempotency.claimAndReserve ? await openAttempt(input) : undefined
    if (!attempt || !idempotency.claimAndReserve) return { begun: await idempotency.begin(userId, key, fp) }
    const claimed = await idempotency.claimAndReserve(userId, key, fp, {
      dropId: attempt.drop.dropId,
      lines: attempt.gateLines,
      perUserLimit: attempt.drop.perUserLimit,
    })
    if (claimed.state === 'refused') return { answer: refusalReply(claimed.outcome) }
    if (claimed.state === 'earlier') return { begun: claimed.begun }
    return {
      begun: { state: 'new', unseen: claimed.unseen },
      reserved: { attempt, verdict: claimed.outcome },
    }
  }

  /**
   * The order path after the idempotency claim: check, gate, pay, write; each step undone if a later one
   * fails. `unseen`: the idempotency store vouches this key never placed an order. `reserved`: the
   * attempt and the gate's verdict, when the claim already asked the gate.
   */
  async function place(
    userId: string,
    key: string,
    fp: string,
    input: PlaceOrderInput,
    unseen: boolean,
    reserved?: Reserved,
  ): Promise<OrderReply> {
    let attempt = reserved?.attempt
    if (!attempt) {
      const drop = await drops.forOrder(input.drop_id)
      if (!drop) throw notFound('Drop')
      const now = Date.now()
      if (!isOpen(drop, now)) {
        // Nothing can have been placed before the start; after it, this may be a retry.
        const earlier = now >= drop.startsAt && !unseen ? await earlierAnswer(userId, key, fp) : undefined
        if (earlier) return earlier
        throw REFUSALS.drop_not_live()
      }
      attempt = attemptOn(drop, now, input.items)
    }
    const { drop, now, lines, gateLines } = attempt

    const { outcome, reloaded } = await reserve(drop, userId, gateLines, reserved?.verdict)
    if (outcome !== 'ok') {
      // A retry of an order that still holds its units comes from a user holding units of this drop:
      // asking only for those keeps a stampede of new buyers at a sold-out gate off the database, and
      // a key the store vouches for keeps the buyers who already hold their allowance off it too.
      const mayBeRetry =
        (outcome === 'limit_exceeded' || outcome === 'sold_out_held') && (reloaded || !unseen)
      const earlier = mayBeRetry ? await earlierAnswer(userId, key, fp) : undefined
      if (earlier) return earlier
      return refusalReply(outcome)
    }
    const undoReservation = () => gate.release(drop.dropId, userId, gateLines)

    const orderId = uuidv7()
    const totalAmount = lines.reduce((n, l) => n + l.unitPrice * l.quantity, 0)
    const currency = lines[0]!.currency
    let authorization: Awaited<ReturnType<PaymentProvider['authorize']>>
    try {
      const token = input.payment?.token ?? DEFAULT_TEST_TOKEN
      authorization = await payments.authorize({ orderId, amount: totalAmount, currency, token })
    } catch (error) {
      await undoReservation()
      throw error
    }
    if (authorization.outcome === 'declined') {
      await undoReservation()
      throw new AppError(
        402,
        'payment_declined',
        'The payment was declined; nothing was charged and the units were released',
      )
    }

    const createdAt = new Date(now)
    const pending = authorization.outcome === 'pending'
    const row: OrderRow = {
      orderId,
      userId,
      dropId: drop.dropId,
      creatorId: drop.creatorId,
      status: pending ? 'pending' : 'confirmed',
      totalAmount,
      currency,
      paymentId: authorization.paymentId,
      holdExpiresAt: pending ? new Date(now + deps.holdTtlSeconds * 1000) : null,
      idempotencyKey: key,
      createdAt,
      updatedAt: createdAt,
    }
    const items: OrderItemRow[] = lines.map((l, position) => ({
      orderId,
      position,
      productId: l.productId,
      variantId: l.variantId,
      quantity: l.quantity,
      unitPrice: l.unitPrice,
      totalPrice: l.unitPrice * l.quantity,
    }))
    const status = pending ? 202 : 201
    const response = JSON.stringify(toOrder(row, items))
    try {
      await committer.commit(drop.dropId, {
        row,
        items,
        fingerprint: fp,
        response,
        responseStatus: status,
        dropId: drop.dropId,
        claim: {
          orderId,
          userId,
          lines: gateLines.map((l, i) => ({ ...l, productId: lines[i]!.productId })),
        },
      })
    } catch (error) {
      await undoReservation()
      await payments.void(authorization.paymentId).catch(() => {})
      if (error instanceof StockRefused) throw REFUSALS[error.reason]()
      if (error instanceof KeyAlreadyUsed) {
        const earlier = await earlierAnswer(userId, key, fp)
        if (earlier) return earlier
      }
      throw error
    }
    return { status, body: response, problem: false, replayed: false }
  }

  const keyReused = () =>
    new AppError(
      422,
      'idempotency_key_reused',
      'This Idempotency-Key was already used with a different request',
    )

  async function visibleOrder(principal: Principal, orderId: string): Promise<OrderRow> {
    const row = await repo.find(orderId)
    if (!row) throw notFound('Order')
    if (row.userId === principal.userId || principal.roles.includes('admin')) return row
    const creator = await creators.byUser(principal.userId)
    if (creator?.creator_id === row.creatorId) return row
    throw notFound('Order')
  }

  async function present(row: OrderRow): Promise<Order> {
    return toOrder(row, await repo.itemsOf([row.orderId]))
  }

  /** Ends a held or paid order and returns its units, in one transaction, then frees them in the gate. */
  async function release(
    orderId: string,
    from: OrderStatus[],
    to: 'cancelled' | 'expired',
    audit: { actor: string; reason: string },
    extra: (tx: Tx, row: OrderRow) => OutboxEntry[] = () => [],
  ): Promise<OrderRow | undefined> {
    const done = await db.primary.transaction(async (tx) => {
      const moved = await repo.transition(tx, orderId, from, to, audit)
      if (!moved) return undefined
      const items = await repo.itemsOf([orderId], tx)
      const claim: StockClaim = {
        orderId,
        userId: moved.row.userId,
        lines: items.map((i) => ({ productId: i.productId, variantId: i.variantId, quantity: i.quantity })),
      }
      await drops.returnStock(tx, moved.row.dropId, claim)
      const payload = { ...toOrder(moved.row, items), creator_id: moved.row.creatorId }
      await appendToOutbox(tx, [
        to === 'cancelled'
          ? orderEvent('order.cancelled', orderId, { ...payload, reason: audit.reason })
          : orderEvent('order.expired', orderId, payload),
        ...extra(tx, moved.row),
      ])
      return { row: moved.row, claim }
    })
    if (!done) return undefined
    await gate.release(done.row.dropId, done.row.userId, done.claim.lines)
    return done.row
  }

  /** Moves an order on without touching its units (paid, shipped) and announces it, in one transaction. */
  async function advance(
    orderId: string,
    from: OrderStatus[],
    to: 'confirmed' | 'shipped',
    audit: { actor: string; reason: string },
  ): Promise<OrderRow | undefined> {
    return db.primary.transaction(async (tx) => {
      const moved = await repo.transition(tx, orderId, from, to, audit)
      if (!moved) return undefined
      const items = await repo.itemsOf([orderId], tx)
      const payload = { ...toOrder(moved.row, items), creator_id: moved.row.creatorId }
      await appendToOutbox(tx, [orderEvent(`order.${to}`, orderId, payload)])
      return moved.row
    })
  }

  /** One page of orders, newest first, from a keyset query on (created_at, order_id), with their items. */
  async function orderPage(
    query: { limit?: number; cursor?: string },
    list: (limit: number, after?: { createdAt: string; orderId: string }) => Promise<OrderRow[]>,
  ): Promise<Page<Order>> {
    const limit = query.limit ?? 20
    const after = query.cursor
      ? (decodeCursor(query.cursor, ['date', 'uuid']) as [string, string])
      : undefined
    const rows = await list(limit, after && { createdAt: after[0], orderId: after[1] })
    const page = toPage(
      rows,
      limit,
      (r) => [r.createdAt.toISOString(), r.orderId],
      (r) => r,
    )
    const items = await repo.itemsOf(page.items.map((r) => r.orderId))
    return {
      items: page.items.map((r) =>
        toOrder(
          r,
          items.filter((i) => i.orderId === r.orderId),
        ),
      ),
      next_cursor: page.next_cursor,
    }
  }

  return {
    /** POST /orders with Idempotency-Key semantics: one order per key per user, replays byte-identical. */
    async placeIdempotent(
      userId: string,
      key: string | undefined,
      input: PlaceOrderInput,
    ): Promise<OrderReply> {
      if (key === undefined || key.length === 0) {
        throw new AppError(400, 'idempotency_key_missing', 'The Idempotency-Key header is required')
      }
      if (key.length > IDEMPOTENCY_KEY_MAX) {
        throw validationFailed([
          { path: 'headers/idempotency-key', message: `must be 1 to ${IDEMPOTENCY_KEY_MAX} characters` },
        ])
      }
      const fp = fingerprint(input)
      const claimed = await claim(userId, key, fp, input)
      if (claimed.answer) return claimed.answer
      const { begun, reserved } = claimed
      if (begun.state === 'mismatch') throw keyReused()
      if (begun.state === 'in_flight') {
        // The order may be placed already, its answer not yet kept in the fast store (see below).
        const placed = await earlierAnswer(userId, key, fp)
        if (placed) return placed
        throw new AppError(
          409,
          'idempotency_key_in_use',
          'A request with this Idempotency-Key is still being processed',
        )
      }
      if (begun.state === 'done')
        return { status: begun.status, body: begun.body, problem: begun.status >= 400, replayed: true }

      let reply: OrderReply
      try {
        reply = await place(userId, key, fp, input, begun.unseen, reserved)
      } catch (error) {
        if (!(error instanceof AppError) || error.status >= 500) {
          await idempotency.abandon(userId, key).catch(() => {})
          throw error
        }
        const problem = problemOf(error.status, error.code, error.message, error.details?.errors)
        reply = { status: error.status, body: JSON.stringify(problem), problem: true, replayed: false }
      }
      const keeping = idempotency.finish(userId, key, fp, reply.status, reply.body)
      // A placed order's durable record, written with it, already answers a retry (a key still in
      // flight is looked up there), so its buyer does not wait for the fast store; if keeping it
      // there fails, the durable record goes on answering.
      if (reply.status < 300) keeping.catch(() => {})
      else await keeping
      return reply
    },

    async get(principal: Principal, orderId: string): Promise<Order> {
      return present(await visibleOrder(principal, orderId))
    },

    async history(principal: Principal, orderId: string) {
      await visibleOrder(principal, orderId)
      const entries = await repo.history(orderId)
      return {
        items: entries.map((e) => ({
          at: e.at.toISOString(),
          from_status: e.fromStatus,
          to_status: e.toStatus,
          actor: e.actor,
          reason: e.reason,
        })),
      }
    },

    /** Owner cancels (pending or confirmed; units return to stock); the drop's creator or an admin ships. */
    async update(
      principal: Principal,
      orderId: string,
      change: { status: 'cancelled' | 'shipped' },
    ): Promise<Order> {
      const row = await visibleOrder(principal, orderId)
      const actor = userActor(principal.userId)
      if (change.status === 'cancelled') {
        if (row.userId !== principal.userId) throw forbidden('Only the buyer can cancel an order')
        const done = await release(orderId, ['pending', 'confirmed'], 'cancelled', {
          actor,
          reason: 'cancelled by buyer',
        })
        if (!done) throw invalidTransition(row.status, 'cancelled')
        return present(done)
      }
      const isSeller =
        principal.roles.includes('admin') ||
        (await creators.byUser(principal.userId))?.creator_id === row.creatorId
      if (!isSeller) throw forbidden('Only the drop’s creator or an admin can mark an order shipped')
      const shipped = await advance(orderId, ['confirmed'], 'shipped', { actor, reason: 'marked shipped' })
      if (!shipped) throw invalidTransition(row.status, 'shipped')
      return present(shipped)
    },

    /** Newest first; self or admin. */
    async listForUser(
      principal: Principal,
      userId: string,
      query: { limit?: number; cursor?: string },
    ): Promise<Page<Order>> {
      if (principal.userId !== userId && !principal.roles.includes('admin')) {
        throw forbidden('You can only list your own orders')
      }
      return orderPage(query, (limit, after) => repo.listByUser(userId, limit, after))
    },

    /** A drop's orders, newest first; the drop's creator or an admin. */
    async listForDrop(
      principal: Principal,
      dropId: string,
      query: { limit?: number; cursor?: string },
    ): Promise<Page<Order>> {
      const drop = await drops.forOrder(dropId)
      if (!drop) throw notFound('Drop')
      if (
        !principal.roles.includes('admin') &&
        (await creators.byUser(principal.userId))?.creator_id !== drop.creatorId
      ) {
        throw forbidden('Only the drop’s creator or an admin can list its orders')
      }
      return orderPage(query, (limit, after) => repo.listByDrop(dropId, limit, after))
    },

    /** Applies an asynchronous payment outcome reported by the signed webhook. */
    async applyPaymentOutcome(
      orderId: string,
      outcome: WebhookOutcome,
    ): Promise<{ order_id: string; status: string }> {
      const audit = {
        actor: 'payment',
        reason: outcome === 'succeeded' ? 'payment succeeded' : 'payment failed',
      }
      const changed =
        outcome === 'succeeded'
          ? await advance(orderId, ['pending'], 'confirmed', audit)
          : await release(orderId, ['pending'], 'cancelled', audit, (_tx, row) => [
              orderEvent('payment.failed', orderId, {
                order_id: orderId,
                user_id: row.userId,
                drop_id: row.dropId,
              }),
            ])
      const row = changed ?? (await repo.find(orderId))
      if (!row) throw notFound('Order')
      return { order_id: orderId, status: row.status }
    },

    /** Expires unpaid holds whose time is up and returns their units. */
    async expireHolds(): Promise<number> {
      let expired = 0
      for (const orderId of await repo.dueHolds(100)) {
        const done = await release(orderId, ['pending'], 'expired', {
          actor: 'system',
          reason: 'payment hold expired',
        })
        if (done) expired += 1
      }
      return expired
    },

    purgeExpiredKeys: () => repo.purgeExpiredKeys(),

    /** Creates the missing monthly partitions of `orders`, up to `monthsAhead` months from now. */
    addMonthPartitions: (monthsAhead: number) => repo.addMonthPartitions(monthsAhead),
  }
}

const invalidTransition = (from: OrderStatus, to: OrderStatus) =>
  new AppError(409, 'invalid_status_transition', `An order that is ${from} cannot become ${to}`)

export type OrdersService = ReturnType<typeof ordersService>
