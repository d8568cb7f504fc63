import { sql } from 'drizzle-orm'
import { Agent, request } from 'undici'
import { uuidv7 } from 'uuidv7'
import type { LiveDrop } from '../../src/app.js'
import { accessTokens } from '../../src/modules/auth/index.js'
import { hashPassword } from '../../src/modules/auth/password.js'
import type { GateState } from '../../src/modules/inventory/index.js'
import { createUsersModule } from '../../src/modules/users/index.js'
import { type Db, rowsOf } from '../../src/platform/db/index.js'
import type { Client } from './client.js'

const V1 = '/api/v1'

/** One answer as it came over the wire: the raw body is kept so replays can be compared byte for byte. */
export interface RawReply {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: any
}

/**
 * A keep-alive HTTP client for stampedes: undici's pooled `request` costs far less per call than
 * `fetch`, so the load generator does not starve the server it shares the two cores with.
 */
export function stampedeClient(baseUrl: string, connections = 256) {
  const agent = new Agent({ connections, keepAliveTimeout: 30_000, pipelining: 1 })
  async function send(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<RawReply> {
    const headers: Record<string, string> = { ...options.headers }
    if (options.token) headers.authorization = `Bearer ${options.token}`
    let body: string | undefined
    if (options.body !== undefined) {
      body = JSON.stringify(options.body)
      headers['content-type'] = 'application/json'
    }
    const response = await request(`${baseUrl}${path}`, {
      method: method as 'POST',
      headers,
      body,
      dispatcher: agent,
    })
    const text = await response.body.text()
    const type = String(response.headers['content-type'] ?? '')
    return {
      status: response.statusCode,
      headers: response.headers,
      text,
      json: text && type.includes('json') ? JSON.parse(text) : undefined,
    }
  }
  return {
    send,
    /** POST /orders with an Idempotency-Key. */
    order(token: string, key: string, body: OrderBody) {
      return send('POST', `${V1}/orders`, { token, body, headers: { 'idempotency-key': key } })
    },
    close: () => agent.close(),
  }
}
export type StampedeClient = ReturnType<typeof stampedeClient>

export interface OrderBody {
  drop_id: string
  items: { product_id: string; variant_id?: string; quantity: number }[]
  payment?: { method: 'card'; token: string }
}

/** Runs `work` over `items` with at most `width` in flight, keeping the pipe full (not in lockstep batches). */
export async function inPool<T, R>(items: T[], width: number, work: (item: T, index: number) => Promise<R>) {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    for (;;) {
      const index = next++
      if (index >= items.length) return
      results[index] = await work(items[index]!, index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker))
  return results
}

/** A small deterministic generator (mulberry32) so a failing order of attempts can be replayed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

export interface Shopper {
  userId: string
  token: string
}

/**
 * Shoppers made through the users service with one shared password hash (hashing a thousand
 * passwords would dominate the suite), with access tokens signed by the app's own key, so the API
 * treats them as real accounts.
 */
export async function makeShoppers(app: LiveDrop, count: number): Promise<Shopper[]> {
  const users = createUsersModule(app.db).service
  const tokens = accessTokens(app.config.jwtSecret)
  const passwordHash = await hashPassword('Correct-horse-9')
  const tag = uuidv7().slice(-12)
  return inPool(
    Array.from({ length: count }, (_, i) => i),
    25,
    async (i) => {
      const name = `buyer_${tag}_${i}`
      const user = await users.create({ email: `${name}@example.test`, username: name, passwordHash })
      return { userId: user.user_id, token: await tokens.sign({ userId: user.user_id, roles: user.roles }) }
    },
  )
}

export interface Seller {
  token: string
  creatorId: string
}

/** Turns a registered session into a creator. */
export async function becomeCreator(api: Client, token: string): Promise<Seller> {
  const reply = await api.post(`${V1}/creators`, { creator_name: `Seller ${uuidv7().slice(-6)}` }, token)
  if (reply.status !== 201) throw new Error(`creator: ${reply.status} ${JSON.stringify(reply.body)}`)
  return { token, creatorId: reply.body.creator_id }
}

export interface Item {
  productId: string
  variantId: string
}

export async function newProduct(api: Client, seller: Seller, name: string): Promise<Item> {
  const reply = await api.post(`${V1}/products`, { name, base_price: 1500 }, seller.token)
  if (reply.status !== 201) throw new Error(`product: ${reply.status} ${JSON.stringify(reply.body)}`)
  return { productId: reply.body.product_id, variantId: reply.body.variants[0].variant_id }
}

/** A drop that is live now (started a minute ago) and ends in an hour. */
export async function liveDrop(
  api: Client,
  seller: Seller,
  stock: { item: Item; units: number }[],
  perUserLimit: number,
): Promise<string> {
  const reply = await api.post(
    `${V1}/drops`,
    {
      name: `Flash ${uuidv7().slice(-6)}`,
      start_time: new Date(Date.now() - 60_000).toISOString(),
      end_time: new Date(Date.now() + 3_600_000).toISOString(),
      per_user_limit: perUserLimit,
      items: stock.map((s) => ({
        product_id: s.item.productId,
        variant_id: s.item.variantId,
        drop_price: 999,
        initial_stock: s.units,
      })),
    },
    seller.token,
  )
  if (reply.status !== 201) throw new Error(`drop: ${reply.status} ${JSON.stringify(reply.body)}`)
  if (reply.body.status !== 'live') throw new Error(`drop is ${reply.body.status}, not live`)
  return reply.body.drop_id
}

export interface StoredItem {
  variant_id: string
  initial_stock: number
  current_stock: number
  ledger: number
}

export interface StoredOrderLine {
  order_id: string
  user_id: string
  status: string
  idempotency_key: string
  variant_id: string | null
  quantity: number | null
}

/** What the database holds about a drop's stock, its orders and who bought how much. */
export async function dropState(db: Db, dropId: string) {
  const items = rowsOf<StoredItem>(
    await db.primary.execute(sql`
      SELECT di.variant_id, di.initial_stock, di.current_stock,
        coalesce((SELECT sum(l.change) FROM inventory_ledger l
                  WHERE l.drop_id = di.drop_id AND l.variant_id = di.variant_id), 0)::integer AS ledger
      FROM drop_items di WHERE di.drop_id = ${dropId} ORDER BY di.position`),
  )
  const lines = rowsOf<StoredOrderLine>(
    await db.primary.execute(sql`
      SELECT o.order_id, o.user_id, o.status, o.idempotency_key, oi.variant_id, oi.quantity
      FROM orders o LEFT JOIN order_items oi ON oi.order_id = o.order_id
      WHERE o.drop_id = ${dropId} ORDER BY o.order_id, oi.position`),
  )
  const purchases = rowsOf<{ user_id: string; quantity: number }>(
    await db.primary.execute(
      sql`SELECT user_id, quantity FROM drop_purchases WHERE drop_id = ${dropId} AND quantity > 0`,
    ),
  )
  const remaining = rowsOf<{ remaining_inventory: number }>(
    await db.primary.execute(sql`SELECT remaining_inventory FROM drops WHERE drop_id = ${dropId}`),
  )[0]!.remaining_inventory

  const orders = new Map<
    string,
    { userId: string; status: string; key: string; lines: { variantId: string; quantity: number }[] }
  >()
  for (const line of lines) {
    const order = orders.get(line.order_id) ?? {
      userId: line.user_id,
      status: line.status,
      key: line.idempotency_key,
      lines: [],
    }
    if (line.variant_id !== null) order.lines.push({ variantId: line.variant_id, quantity: line.quantity! })
    orders.set(line.order_id, order)
  }
  /** Units held per user by orders that still hold stock (pending or confirmed or shipped). */
  const heldByUser = new Map<string, number>()
  for (const order of orders.values()) {
    if (!['pending', 'confirmed', 'shipped'].includes(order.status)) continue
    const units = order.lines.reduce((n, l) => n + l.quantity, 0)
    heldByUser.set(order.userId, (heldByUser.get(order.userId) ?? 0) + units)
  }
  return {
    items,
    orders,
    remaining,
    purchases: Object.fromEntries(purchases.map((p) => [p.user_id, p.quantity])) as Record<string, number>,
    heldByUser,
    /** The figures the gate must equal: available units per variant, units held per user. */
    gateView: {
      items: Object.fromEntries(items.map((i) => [i.variant_id, i.current_stock])),
      users: Object.fromEntries(purchases.map((p) => [p.user_id, p.quantity])),
    } satisfies GateState,
  }
}
export type DropState = Awaited<ReturnType<typeof dropState>>

/**
 * The stock invariants every test ends with; returns the problems found (empty when all hold):
 * per item `initial_stock + sum(ledger) = current_stock` and `0 <= current_stock <= initial_stock`;
 * units held by live orders equal what was taken from stock, per item and per user; the drop's
 * remaining figure is the sum of its items; nobody holds more than the limit.
 */
export function invariantProblems(state: DropState, perUserLimit: number): string[] {
  const problems: string[] = []
  const soldByVariant = new Map<string, number>()
  for (const order of state.orders.values()) {
    if (order.lines.length === 0) problems.push(`order of ${order.userId} has no items`)
    if (!['pending', 'confirmed', 'shipped'].includes(order.status)) continue
    for (const line of order.lines) {
      soldByVariant.set(line.variantId, (soldByVariant.get(line.variantId) ?? 0) + line.quantity)
    }
  }
  for (const item of state.items) {
    if (item.initial_stock + item.ledger !== item.current_stock) {
      problems.push(
        `ledger of ${item.variant_id}: ${item.initial_stock} + ${item.ledger} != ${item.current_stock}`,
      )
    }
    if (item.current_stock < 0 || item.current_stock > item.initial_stock) {
      problems.push(`stock of ${item.variant_id} out of range: ${item.current_stock}`)
    }
    const sold = soldByVariant.get(item.variant_id) ?? 0
    if (sold !== item.initial_stock - item.current_stock) {
      problems.push(
        `orders hold ${sold} units of ${item.variant_id}, stock says ${item.initial_stock - item.current_stock}`,
      )
    }
    if (sold > item.initial_stock)
      problems.push(`oversold ${item.variant_id}: ${sold} > ${item.initial_stock}`)
  }
  const remaining = state.items.reduce((n, i) => n + i.current_stock, 0)
  if (remaining !== state.remaining) problems.push(`drop remaining ${state.remaining} != items ${remaining}`)
  for (const [userId, units] of state.heldByUser) {
    if (units > perUserLimit) problems.push(`user ${userId} holds ${units} > limit ${perUserLimit}`)
    if ((state.purchases[userId] ?? 0) !== units) {
      problems.push(
        `user ${userId}: orders hold ${units}, drop_purchases says ${state.purchases[userId] ?? 0}`,
      )
    }
  }
  for (const [userId, units] of Object.entries(state.purchases)) {
    if (!state.heldByUser.has(userId)) problems.push(`user ${userId}: drop_purchases ${units} without orders`)
  }
  return problems
}

/** Polls `probe` until it returns true or the time is up; returns whether it did. */
export async function eventually(probe: () => Promise<boolean>, withinMs: number, everyMs = 50) {
  const deadline = Date.now() + withinMs
  for (;;) {
    if (await probe()) return true
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}
