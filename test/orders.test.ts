import { createHash, randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  fingerprint,
  type IdempotencyStore,
  memoryIdempotencyStore,
  redisIdempotencyStore,
} from '../src/modules/orders/index.js'
import { signatureHeader } from '../src/modules/payments/index.js'
import { rowsOf } from '../src/platform/db/index.js'
import { type Client, client, register } from './support/client.js'
import { describeShapes, startApp, type TestApp } from './support/engines.js'
import { eventually, ISO, isoIn, type Session, shop, UNKNOWN_ID, UUID_V7, V1 } from './support/shop.js'

const ORDER_FIELDS = [
  'created_at',
  'currency',
  'drop_id',
  'hold_expires_at',
  'items',
  'order_id',
  'status',
  'total_amount',
  'updated_at',
  'user_id',
]

/** One answer exactly as it came over the wire. */
interface Raw {
  status: number
  headers: Headers
  text: string
  json: any
}

it('fingerprints a body by its content: key order does not matter, and the digest is that of its JSON with sorted keys', () => {
  const body = {
    payment: { token: 'tok_visa', method: 'card' },
    items: [{ quantity: 2, product_id: 'p' }],
    drop_id: 'd',
  }
  const reordered = {
    drop_id: 'd',
    items: [{ product_id: 'p', quantity: 2 }],
    payment: { method: 'card', token: 'tok_visa' },
  }
  expect(fingerprint(reordered)).toBe(fingerprint(body))
  // Fingerprints are kept for a day or more (Redis, the durable record): their form must not drift.
  const sorted =
    '{"drop_id":"d","items":[{"product_id":"p","quantity":2}],"payment":{"method":"card","token":"tok_visa"}}'
  expect(fingerprint(body)).toBe(createHash('sha256').update(sorted).digest('base64url'))
  expect(fingerprint({ ...body, items: [{ quantity: 3, product_id: 'p' }] })).not.toBe(fingerprint(body))
  expect(fingerprint({ a: 'é"\\\n', b: [null, true, 1.5], c: {} })).toBe(
    createHash('sha256')
      .update(JSON.stringify({ a: 'é"\\\n', b: [null, true, 1.5], c: {} }))
      .digest('base64url'),
  )
})

describeShapes('orders', (shape) => {
  let server: TestApp
  let api: Client
  /** The app's own fast idempotency store (in-process here, or the same Redis keys). */
  let store: IdempotencyStore
  const { newCreator, createProduct, createDrop, liveDrop, order, inventory } = shop(() => api)

  async function rawOrder(token: string, body: unknown, key?: string, base = server.url): Promise<Raw> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
    }
    if (key !== undefined) headers['idempotency-key'] = key
    const response = await fetch(`${base}${V1}/orders`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, headers: response.headers, text, json: JSON.parse(text) }
  }

  async function webhook(body: unknown, signature?: string, base = server.url, secret?: string) {
    const raw = JSON.stringify(body)
    const headers: Record<string, string> = {
      'livedrop-signature': signature ?? signatureHeader(secret ?? server.config.paymentWebhookSecret, raw),
    }
    if (signature === '') delete headers['livedrop-signature']
    return client(base).request('POST', `${V1}/payments/webhook`, { raw, headers })
  }

  async function history(orderId: string, token: string) {
    const reply = await api.get(`${V1}/orders/${orderId}/history`, token)
    expect(reply.status, JSON.stringify(reply.body)).toBe(200)
    return reply.body.items as {
      at: string
      from_status: string | null
      to_status: string
      actor: string
      reason: string
    }[]
  }

  async function dbStock(dropId: string) {
    return rowsOf<{ variant_id: string; current_stock: number }>(
      await server.app.db.primary.execute(
        sql`SELECT variant_id, current_stock FROM drop_items WHERE drop_id = ${dropId} ORDER BY position`,
      ),
    ).map((r) => Number(r.current_stock))
  }

  async function admin(): Promise<Session> {
    const session = await register(api)
    await server.app.db.primary.execute(
      sql`UPDATE users SET roles = array_append(roles, 'admin') WHERE user_id = ${session.user.user_id}`,
    )
    // Roles travel in the access token, so the new role shows from the next login.
    const login = await api.post(`${V1}/auth/login`, {
      email: session.user.email,
      password: 'Correct-horse-9',
    })
    expect(login.status).toBe(200)
    expect(login.body.user.roles).toContain('admin')
    return login.body
  }

  const one = (dropId: string, productId: string, quantity = 1, extra: Record<string, unknown> = {}) => ({
    drop_id: dropId,
    items: [{ product_id: productId, quantity }],
    ...extra,
  })
  const card = (token: string) => ({ payment: { method: 'card', token } })

  beforeAll(async () => {
    const own = shape.redisUrl ? undefined : memoryIdempotencyStore()
    server = await startApp(shape, {}, { idempotency: own })
    api = client(server.url)
    store =
      own ?? redisIdempotencyStore(server.app.redis!, server.config.redisKeyPrefix, server.app.inventory.gate)
  })
  afterAll(() => server?.close())

  it('201: places and pays an order with tok_visa, and without any payment at all', async () => {
    const { creator, product, drop, variantId } = await liveDrop({ stock: 10, perUserLimit: 5, price: 1250 })
    const buyer = await register(api)
    const paid = await order(buyer.access_token, one(drop.drop_id, product.product_id, 2, card('tok_visa')))
    expect(paid.status, JSON.stringify(paid.body)).toBe(201)
    expect(paid.headers.get('idempotent-replayed')).toBeNull()
    expect(paid.headers.get('content-type')).toContain('application/json')
    const placed = paid.body
    expect(Object.keys(placed).sort()).toEqual(ORDER_FIELDS)
    expect(placed).toMatchObject({
      user_id: buyer.user.user_id,
      drop_id: drop.drop_id,
      status: 'confirmed',
      items: [
        {
          product_id: product.product_id,
          variant_id: variantId,
          quantity: 2,
          unit_price: 1250,
          total_price: 2500,
        },
      ],
      total_amount: 2500,
      currency: 'USD',
      hold_expires_at: null,
    })
    expect(placed.order_id).toMatch(UUID_V7)
    expect(placed.created_at).toMatch(ISO)
    expect(placed.updated_at).toMatch(ISO)

    const free = await order(buyer.access_token, one(drop.drop_id, product.product_id, 1))
    expect(free.status, JSON.stringify(free.body)).toBe(201)
    expect(free.body).toMatchObject({ status: 'confirmed', total_amount: 1250, hold_expires_at: null })

    expect((await api.get(`${V1}/orders/${placed.order_id}`, buyer.access_token)).body).toEqual(placed)
    expect(await history(placed.order_id, buyer.access_token)).toEqual([
      {
        at: expect.stringMatching(ISO),
        from_status: null,
        to_status: 'confirmed',
        actor: `user:${buyer.user.user_id}`,
        reason: 'placed',
      },
    ])
    expect((await inventory(drop.drop_id)).remaining_inventory).toBe(7)
    expect(await dbStock(drop.drop_id)).toEqual([7])
    expect((await api.get(`${V1}/drops/${drop.drop_id}`)).body).toMatchObject({
      creator_id: creator.creatorId,
      remaining_inventory: 7,
    })
  })

  it('keeps orders in monthly partitions: each order in its month, the coming months made ahead, none left to the default', async () => {
    const { product, drop } = await liveDrop({ stock: 5, perUserLimit: 5 })
    const buyer = await register(api)
    const placed = await order(buyer.access_token, one(drop.drop_id, product.product_id))
    expect(placed.status, JSON.stringify(placed.body)).toBe(201)
    const query = async <T>(text: ReturnType<typeof sql>) =>
      rowsOf<T>(await server.app.db.primary.execute(text))
    const month = (at: Date) => `orders_${at.toISOString().slice(0, 7).replace('-', '_')}`

    const [home] = await query<{ partition: string }>(
      sql`SELECT tableoid::regclass::text AS partition FROM orders WHERE order_id = ${placed.body.order_id}`,
    )
    expect(home?.partition).toBe(month(new Date(placed.body.created_at)))
    const partitions = (
      await query<{ name: string }>(
        sql`SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = 'orders'::regclass`,
      )
    ).map((r) => r.name)
    const now = new Date()
    for (let ahead = 0; ahead <= 3; ahead++) {
      expect(partitions).toContain(
        month(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + ahead, 1))),
      )
    }
    expect(partitions).toContain('orders_default')
    expect(await query(sql`SELECT 1 FROM orders_default`)).toEqual([])

    // What the workers run daily: idempotent, and safe when processes starting together both ask.
    const addMonths = async (months: number) => {
      const [row] = await query<{ created: number }>(
        sql`SELECT orders_add_month_partitions(now(), now() + make_interval(months => ${months})) AS created`,
      )
      return Number(row?.created)
    }
    expect(await addMonths(3)).toBe(0)
    const more = await Promise.all([addMonths(5), addMonths(5)])
    expect(more.sort()).toEqual([0, 2])

    // An order of a month without a partition waits in the default one, and moves when it is made.
    const later = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 8, 15))
    const laterId = randomUUID()
    await server.app.db.primary.execute(sql`
      INSERT INTO orders (order_id, user_id, drop_id, creator_id, status, total_amount, currency,
                          idempotency_key, created_at, updated_at)
      SELECT ${laterId}::uuid, user_id, drop_id, creator_id, status, total_amount, currency,
             'partition-test', ${later.toISOString()}::timestamptz, updated_at
      FROM orders WHERE order_id = ${placed.body.order_id}`)
    expect(await query(sql`SELECT 1 FROM orders_default`)).toHaveLength(1)
    expect(await addMonths(8)).toBe(3)
    expect(await query(sql`SELECT 1 FROM orders_default`)).toEqual([])
    const [moved] = await query<{ partition: string }>(
      sql`SELECT tableoid::regclass::text AS partition FROM orders WHERE order_id = ${laterId}`,
    )
    expect(moved?.partition).toBe(month(later))
    await server.app.db.primary.execute(sql`DELETE FROM orders WHERE order_id = ${laterId}`)
  })

  it('202: tok_async leaves the order pending with a hold that expires after HOLD_TTL_SECONDS', async () => {
    const { product, drop } = await liveDrop({ stock: 4 })
    const buyer = await register(api)
    const before = Date.now()
    const reply = await order(buyer.access_token, one(drop.drop_id, product.product_id, 2, card('tok_async')))
    expect(reply.status, JSON.stringify(reply.body)).toBe(202)
    expect(reply.body).toMatchObject({ status: 'pending', total_amount: 3000 })
    expect(reply.body.hold_expires_at).toMatch(ISO)
    const expires = Date.parse(reply.body.hold_expires_at)
    expect(expires).toBeGreaterThanOrEqual(before + 600_000 - 1_000)
    expect(expires).toBeLessThanOrEqual(Date.now() + 600_000 + 1_000)
    // A hold takes its units like a paid order does.
    expect((await inventory(drop.drop_id)).remaining_inventory).toBe(2)
    expect((await history(reply.body.order_id, buyer.access_token)).map((h) => h.to_status)).toEqual([
      'pending',
    ])
  })

  it('409 sold_out when there is not enough stock; nothing is taken', async () => {
    const { product, drop } = await liveDrop({ stock: 3, perUserLimit: 10 })
    const buyer = await register(api)
    const tooMany = await order(buyer.access_token, one(drop.drop_id, product.product_id, 4))
    expect(tooMany.status).toBe(409)
    expect(tooMany.body).toMatchObject({ status: 409, code: 'sold_out' })
    expect(tooMany.headers.get('content-type')).toContain('application/problem+json')
    expect((await inventory(drop.drop_id)).remaining_inventory).toBe(3)

    expect((await order(buyer.access_token, one(drop.drop_id, product.product_id, 3))).status).toBe(201)
    const late = await order((await register(api)).access_token, one(drop.drop_id, product.product_id, 1))
    expect(late.status).toBe(409)
    expect(late.body.code).toBe('sold_out')
    expect(await dbStock(drop.drop_id)).toEqual([0])
  })

  it('409 drop_not_live for a scheduled drop and for an ended one', async () => {
    const creator = await newCreator()
    const product = await createProduct(creator)
    const buyer = await register(api)
    const scheduled = await createDrop(creator, [{ product_id: product.product_id, initial_stock: 5 }], {
      start_time: isoIn(3_600_000),
    })
    const early = await order(buyer.access_token, one(scheduled.drop_id, product.product_id))
    expect(early.status).toBe(409)
    expect(early.body.code).toBe('drop_not_live')

    const live = await createDrop(creator, [{ product_id: product.product_id, initial_stock: 5 }])
    expect((await order(buyer.access_token, one(live.drop_id, product.product_id))).status).toBe(201)
    const ended = await api.put(`${V1}/drops/${live.drop_id}`, { status: 'ended' }, creator.token)
    expect(ended.status).toBe(200)
    const late = await order(buyer.access_token, one(live.drop_id, product.product_id))
    expect(late.status).toBe(409)
    expect(late.body.code).toBe('drop_not_live')
    expect(await dbStock(live.drop_id)).toEqual([4])
    expect(await dbStock(scheduled.drop_id)).toEqual([5])

    const unknown = await order(buyer.access_token, one(UNKNOWN_ID, product.product_id))
    expect(unknown.status).toBe(404)
    expect(unknown.body.code).toBe('not_found')
  })

  it('409 purchase_limit_exceeded past the per-user limit, across orders', async () => {
    const { product, drop } = await liveDrop({ stock: 10, perUserLimit: 2 })
    const buyer = await register(api)
    const greedy = await order(buyer.access_token, one(drop.drop_id, product.product_id, 3))
    expect(greedy.status).toBe(409)
    expect(greedy.body.code).toBe('purchase_limit_exceeded')
    expect((await order(buyer.access_token, one(drop.drop_id, product.product_id, 1))).status).toBe(201)
    expect((await order(buyer.access_token, one(drop.drop_id, product.product_id, 1))).status).toBe(201)
    const third = await order(buyer.access_token, one(drop.drop_id, product.product_id, 1))
    expect(third.status).toBe(409)
    expect(third.body.code).toBe('purchase_limit_exceeded')
    // The limit is per user: someone else still buys.
    const other = await order((await register(api)).access_token, one(drop.drop_id, product.product_id, 2))
    expect(other.status).toBe(201)
    expect(await dbStock(drop.drop_id)).toEqual([6])
  })

  it('402 payment_declined releases the units and the allowance', async () => {
    const { product, drop } = await liveDrop({ stock: 5, perUserLimit: 2 })
    const buyer = await register(api)
    const declined = await order(
      buyer.access_token,
      one(drop.drop_id, product.product_id, 2, card('tok_declined')),
    )
    expect(declined.status).toBe(402)
    expect(declined.body).toMatchObject({ status: 402, code: 'payment_declined' })
    expect(declined.headers.get('content-type')).toContain('application/problem+json')
    expect(await inventory(drop.drop_id)).toMatchObject({ remaining_inventory: 5, sold_out: false })
    expect(await dbStock(drop.drop_id)).toEqual([5])
    const orders = await api.get(`${V1}/users/${buyer.user.user_id}/orders`, buyer.access_token)
    expect(orders.body.items).toEqual([])

    // Nothing of the declined attempt counts against the limit.
    const retry = await order(buyer.access_token, one(drop.drop_id, product.product_id, 2, card('tok_visa')))
    expect(retry.status).toBe(201)
    expect((await inventory(drop.drop_id)).remaining_inventory).toBe(3)
  })

  it('400 idempotency_key_missing without the header; 400 validation_failed for a key over 255 chars', async () => {
    const { product, drop } = await liveDrop({ stock: 5 })
    const buyer = await register(api)
    for (const key of [null, '']) {
      const reply = await order(buyer.access_token, one(drop.drop_id, product.product_id), key)
      expect(reply.status, String(key)).toBe(400)
      expect(reply.body.code).toBe('idempotency_key_missing')
    }
    const long = await order(buyer.access_token, one(drop.drop_id, product.product_id), 'k'.repeat(256))
    expect(long.status).toBe(400)
    expect(long.body.code).toBe('validation_failed')
    const longest = await order(buyer.access_token, one(drop.drop_id, product.product_id), 'k'.repeat(255))
    expect(longest.status).toBe(201)

    // A request refused by validation does not use up its key.
    const key = randomUUID()
    const invalid = await order(buyer.access_token, { drop_id: drop.drop_id, items: [] }, key)
    expect(invalid.status).toBe(400)
    expect(invalid.body.code).toBe('validation_failed')
    const valid = await order(buyer.access_token, one(drop.drop_id, product.product_id), key)
    expect(valid.status).toBe(201)
    expect(valid.headers.get('idempotent-replayed')).toBeNull()

    const anonymous = await api.request('POST', `${V1}/orders`, {
      body: one(drop.drop_id, product.product_id),
      headers: { 'idempotency-key': randomUUID() },
    })
    expect(anonymous.status).toBe(401)
    expect(anonymous.body.code).toBe('unauthenticated')
    expect(await dbStock(drop.drop_id)).toEqual([3])
  })

  it('422 idempotency_key_reused for the same key with another body; key order in the body does not matter', async () => {
    const { product, drop } = await liveDrop({ stock: 5 })
    const buyer = await register(api)
    const key = randomUUID()
    const first = await order(buyer.access_token, one(drop.drop_id, product.product_id, 1), key)
    expect(first.status).toBe(201)
    for (const other of [
      one(drop.drop_id, product.product_id, 2),
      one(drop.drop_id, product.product_id, 1, card('tok_visa')),
    ]) {
      const reused = await order(buyer.access_token, other, key)
      expect(reused.status).toBe(422)
      expect(reused.body.code).toBe('idempotency_key_reused')
    }
    const reordered = await order(
      buyer.access_token,
      { items: [{ quantity: 1, product_id: product.product_id }], drop_id: drop.drop_id },
      key,
    )
    expect(reordered.status).toBe(201)
    expect(reordered.headers.get('idempotent-replayed')).toBe('true')
    expect(reordered.body).toEqual(first.body)
    expect(await dbStock(drop.drop_id)).toEqual([4])
  })

  it('replays a finished request byte for byte with Idempotent-Replayed: true (201, 202, 402 and 409)', async () => {
    const { product, drop } = await liveDrop({ stock: 3, perUserLimit: 10 })
    const buyer = await register(api)
    const token = buyer.access_token
    const cases: [unknown, number][] = [
      [one(drop.drop_id, product.product_id, 1, card('tok_visa')), 201],
      [one(drop.drop_id, product.product_id, 1, card('tok_async')), 202],
      [one(drop.drop_id, product.product_id, 1, card('tok_declined')), 402],
      [one(drop.drop_id, product.product_id, 2), 409],
    ]
    for (const [body, status] of cases) {
      const key = randomUUID()
      const first = await rawOrder(token, body, key)
      expect(first.status, first.text).toBe(status)
      expect(first.headers.get('idempotent-replayed')).toBeNull()
      for (let i = 0; i < 2; i++) {
        const again = await rawOrder(token, body, key)
        expect(again.status).toBe(status)
        expect(again.headers.get('idempotent-replayed')).toBe('true')
        expect(again.text).toBe(first.text)
        expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'))
      }
    }
    // The 409 was sold_out at the time; it replays as sold_out even though the answer might differ now.
    const soldOutKey = randomUUID()
    const soldOut = await rawOrder(token, one(drop.drop_id, product.product_id, 5), soldOutKey)
    expect(soldOut.json.code).toBe('sold_out')
    const pendingKey = randomUUID()
    const pending = await rawOrder(
      token,
      one(drop.drop_id, product.product_id, 1, card('tok_async')),
      pendingKey,
    )
    expect(pending.status).toBe(202)
    // Paying the held order later does not change what the request answered.
    expect((await webhook({ order_id: pending.json.order_id, outcome: 'succeeded' })).status).toBe(200)
    const replayed = await rawOrder(
      token,
      one(drop.drop_id, product.product_id, 1, card('tok_async')),
      pendingKey,
    )
    expect(replayed.status).toBe(202)
    expect(replayed.text).toBe(pending.text)
    expect((await rawOrder(token, one(drop.drop_id, product.product_id, 5), soldOutKey)).text).toBe(
      soldOut.text,
    )

    // One order per key: the replays placed nothing.
    const list = await api.get(`${V1}/users/${buyer.user.user_id}/orders`, token)
    expect(list.body.items).toHaveLength(3)

    // Keys are kept at least 24 hours.
    const kept = rowsOf<{ hours: number | string }>(
      await server.app.db.primary.execute(sql`
        SELECT min(extract(epoch FROM expires_at - now()) / 3600) AS hours FROM idempotency_keys
        WHERE user_id = ${buyer.user.user_id}`),
    )
    expect(Number(kept[0]!.hours)).toBeGreaterThanOrEqual(24)
  })

  it('409 idempotency_key_in_use while the first request with the key is still running', async () => {
    const { product, drop } = await liveDrop({ stock: 10 })
    const buyer = await register(api)
    const body = one(drop.drop_id, product.product_id)

    // Deterministic: the key is claimed in the app's own store, exactly as a request in flight claims it.
    const key = randomUUID()
    expect(await store.begin(buyer.user.user_id, key, fingerprint(body))).toEqual({
      state: 'new',
      unseen: Boolean(shape.redisUrl),
    })
    const busy = await order(buyer.access_token, body, key)
    expect(busy.status).toBe(409)
    expect(busy.body.code).toBe('idempotency_key_in_use')
    expect(busy.headers.get('idempotent-replayed')).toBeNull()
    // A different body with the key in flight is still a reuse of the key.
    const changed = await order(buyer.access_token, one(drop.drop_id, product.product_id, 2), key)
    expect(changed.status).toBe(422)
    expect(changed.body.code).toBe('idempotency_key_reused')
    expect(await dbStock(drop.drop_id)).toEqual([10])
    // Once the request that holds the key gives it up, the key may be used.
    await store.abandon(buyer.user.user_id, key)
    expect((await order(buyer.access_token, body, key)).status).toBe(201)

    // Over HTTP: two requests at once with one key place one order; the second is in use or a replay.
    const racer = await register(api)
    const raceKey = randomUUID()
    const [a, b] = await Promise.all([
      rawOrder(racer.access_token, body, raceKey),
      rawOrder(racer.access_token, body, raceKey),
    ])
    const placed = [a, b].filter((r) => r.status === 201 && !r.headers.get('idempotent-replayed'))
    expect(placed).toHaveLength(1)
    const other = a === placed[0] ? b : a
    if (other.status === 409) {
      expect(other.json.code).toBe('idempotency_key_in_use')
    } else {
      expect(other.status).toBe(201)
      expect(other.headers.get('idempotent-replayed')).toBe('true')
      expect(other.text).toBe(placed[0]!.text)
    }
    const orders = await api.get(`${V1}/users/${racer.user.user_id}/orders`, racer.access_token)
    expect(orders.body.items).toHaveLength(1)
    expect(await dbStock(drop.drop_id)).toEqual([8])
  })

  it('the fast store vouches for a key only while it cannot have forgotten it', async () => {
    const userId = randomUUID()
    const key = randomUUID()
    const fp = fingerprint({ any: 'body' })
    // Redis keeps every claim (with a lease) as long as its answer; the in-process store forgets on restart.
    expect(await store.begin(userId, key, fp)).toEqual({ state: 'new', unseen: Boolean(shape.redisUrl) })
    expect(await store.begin(userId, key, fp)).toEqual({ state: 'in_flight' })
    // A request that gave up (or crashed and let its lease lapse) may still have placed its order.
    await store.abandon(userId, key)
    expect(await store.begin(userId, key, fp)).toEqual({ state: 'new', unseen: false })
    expect(await store.begin(userId, key, fp)).toEqual({ state: 'in_flight' })
    await store.finish(userId, key, fp, 409, '{"code":"sold_out"}')
    expect(await store.begin(userId, key, fp)).toEqual({
      state: 'done',
      status: 409,
      body: '{"code":"sold_out"}',
    })
    expect(await store.begin(userId, key, fingerprint({ other: 'body' }))).toEqual({ state: 'mismatch' })
  })

  it('claims and reserves in one step on one Redis server, recording refusals as the key’s answer', async (context) => {
    if (!store.claimAndReserve) return context.skip()
    const { product, drop, variantId } = await liveDrop({ stock: 1, perUserLimit: 1 })
    const lines = [{ variantId, quantity: 1 }]
    const reservation = { dropId: drop.drop_id, lines, perUserLimit: 1 }
    const [winner, loser] = [randomUUID(), randomUUID()]
    const fp = fingerprint(one(drop.drop_id, product.product_id))
    const key = randomUUID()

    expect(await store.claimAndReserve(winner, key, fp, reservation)).toEqual({
      state: 'claimed',
      unseen: true,
      outcome: 'ok',
    })
    // The winner's key is in flight: nothing more is reserved for it.
    expect(await store.claimAndReserve(winner, key, fp, reservation)).toEqual({
      state: 'earlier',
      begun: { state: 'in_flight' },
    })
    expect(await store.claimAndReserve(winner, randomUUID(), fp, reservation)).toEqual({
      state: 'refused',
      outcome: 'limit_exceeded',
    })
    // A refusal of a key never seen is its recorded answer, byte for byte the one the API gives.
    const refusedKey = randomUUID()
    expect(await store.claimAndReserve(loser, refusedKey, fp, reservation)).toEqual({
      state: 'refused',
      outcome: 'sold_out',
    })
    const recorded = await store.begin(loser, refusedKey, fp)
    expect(recorded).toMatchObject({ state: 'done', status: 409 })
    const { product: other, drop: soldOut } = await liveDrop({ stock: 1 })
    const buyer = await register(api)
    expect((await order(buyer.access_token, one(soldOut.drop_id, other.product_id))).status).toBe(201)
    // The answer the API gives a buyer refused at a sold-out drop, byte for byte.
    const late = await rawOrder(
      (await register(api)).access_token,
      one(soldOut.drop_id, other.product_id),
      randomUUID(),
    )
    expect(late.status).toBe(409)
    expect(late.text).toBe((recorded as { body: string }).body)
    expect(await store.claimAndReserve(loser, refusedKey, fingerprint({ other: 1 }), reservation)).toEqual({
      state: 'earlier',
      begun: { state: 'mismatch' },
    })
    // A lapsed claim is taken over, and its refusal is left for the caller to check and record.
    await store.abandon(loser, refusedKey)
    expect(await store.claimAndReserve(loser, refusedKey, fp, reservation)).toEqual({
      state: 'claimed',
      unseen: false,
      outcome: 'sold_out',
    })
  })

  it('replays a placed order from the durable record when the fast store has forgotten the key', async () => {
    // Per-user limit 1 and the last unit: anything but a replay would now be refused.
    const { creator, product, drop } = await liveDrop({ stock: 2, perUserLimit: 1 })
    const buyer = await register(api)
    const token = buyer.access_token
    const body = one(drop.drop_id, product.product_id, 1, card('tok_async'))
    const key = randomUUID()
    const first = await rawOrder(token, body, key)
    expect(first.status).toBe(202)
    expect(
      (await order((await register(api)).access_token, one(drop.drop_id, product.product_id))).status,
    ).toBe(201)

    // The fast store loses its record (eviction, or the embedded process restarting).
    await store.abandon(buyer.user.user_id, key)
    const again = await rawOrder(token, body, key)
    expect(again.status, again.text).toBe(202)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(again.text).toBe(first.text)
    expect((await rawOrder(token, body, key)).text).toBe(first.text)

    await store.abandon(buyer.user.user_id, key)
    const reused = await order(token, one(drop.drop_id, product.product_id, 1), key)
    expect(reused.status).toBe(422)
    expect(reused.body.code).toBe('idempotency_key_reused')

    // The same after the drop has ended.
    expect((await api.put(`${V1}/drops/${drop.drop_id}`, { status: 'ended' }, creator.token)).status).toBe(
      200,
    )
    await store.abandon(buyer.user.user_id, key)
    const afterEnd = await rawOrder(token, body, key)
    expect(afterEnd.status, afterEnd.text).toBe(202)
    expect(afterEnd.text).toBe(first.text)
    const orders = await api.get(`${V1}/users/${buyer.user.user_id}/orders`, token)
    expect(orders.body.items).toHaveLength(1)
    expect(await dbStock(drop.drop_id)).toEqual([0])
  })

  it('scopes keys per user: the same key from two users places two orders', async () => {
    const { product, drop } = await liveDrop({ stock: 5 })
    const alice = await register(api)
    const bob = await register(api)
    const key = randomUUID()
    const body = one(drop.drop_id, product.product_id)
    const first = await order(alice.access_token, body, key)
    const second = await order(bob.access_token, body, key)
    expect(first.status).toBe(201)
    expect(second.status).toBe(201)
    expect(second.headers.get('idempotent-replayed')).toBeNull()
    expect(second.body.order_id).not.toBe(first.body.order_id)
    expect(second.body.user_id).toBe(bob.user.user_id)
    expect(await dbStock(drop.drop_id)).toEqual([3])
  })

  it('places a multi-item order all or nothing', async () => {
    const creator = await newCreator()
    const hoodie = await createProduct(creator, {
      name: 'Hoodie',
      variants: [
        { sku: 'H-S', name: 'Small' },
        { sku: 'H-L', name: 'Large' },
      ],
    })
    const cap = await createProduct(creator, { name: 'Cap' })
    const [small, large] = hoodie.variants
    const drop = await createDrop(
      creator,
      [
        { product_id: hoodie.product_id, variant_id: small.variant_id, drop_price: 4000, initial_stock: 5 },
        { product_id: hoodie.product_id, variant_id: large.variant_id, drop_price: 4500, initial_stock: 1 },
        { product_id: cap.product_id, drop_price: 1000, initial_stock: 5 },
      ],
      { per_user_limit: 10 },
    )
    const buyer = await register(api)
    const token = buyer.access_token

    const short = await order(token, {
      drop_id: drop.drop_id,
      items: [
        { product_id: cap.product_id, quantity: 2 },
        { product_id: hoodie.product_id, variant_id: large.variant_id, quantity: 2 },
      ],
    })
    expect(short.status).toBe(409)
    expect(short.body.code).toBe('sold_out')
    expect(await dbStock(drop.drop_id)).toEqual([5, 1, 5])
    expect((await inventory(drop.drop_id)).items.map((i) => i.available)).toEqual([5, 1, 5])

    // Two lines of one variant count together.
    const merged = await order(token, {
      drop_id: drop.drop_id,
      items: [
        { product_id: cap.product_id, quantity: 3 },
        { product_id: cap.product_id, quantity: 3 },
      ],
    })
    expect(merged.status).toBe(409)
    expect(merged.body.code).toBe('sold_out')

    const ambiguous = await order(token, {
      drop_id: drop.drop_id,
      items: [{ product_id: hoodie.product_id, quantity: 1 }],
    })
    expect(ambiguous.status).toBe(400)
    expect(ambiguous.body.code).toBe('validation_failed')
    const stranger = await order(token, {
      drop_id: drop.drop_id,
      items: [{ product_id: UNKNOWN_ID, quantity: 1 }],
    })
    expect(stranger.status).toBe(400)

    const all = await order(token, {
      drop_id: drop.drop_id,
      items: [
        { product_id: hoodie.product_id, variant_id: small.variant_id, quantity: 2 },
        { product_id: hoodie.product_id, variant_id: large.variant_id, quantity: 1 },
        { product_id: cap.product_id, quantity: 3 },
      ],
    })
    expect(all.status, JSON.stringify(all.body)).toBe(201)
    expect(all.body.items).toEqual([
      {
        product_id: hoodie.product_id,
        variant_id: small.variant_id,
        quantity: 2,
        unit_price: 4000,
        total_price: 8000,
      },
      {
        product_id: hoodie.product_id,
        variant_id: large.variant_id,
        quantity: 1,
        unit_price: 4500,
        total_price: 4500,
      },
      {
        product_id: cap.product_id,
        variant_id: cap.variants[0].variant_id,
        quantity: 3,
        unit_price: 1000,
        total_price: 3000,
      },
    ])
    expect(all.body.total_amount).toBe(15_500)
    expect(await dbStock(drop.drop_id)).toEqual([3, 0, 2])
    expect(await inventory(drop.drop_id)).toMatchObject({ remaining_inventory: 5, sold_out: false })

    // Cancelling returns every line.
    const cancelled = await api.put(`${V1}/orders/${all.body.order_id}`, { status: 'cancelled' }, token)
    expect(cancelled.status).toBe(200)
    expect(await dbStock(drop.drop_id)).toEqual([5, 1, 5])
    expect((await inventory(drop.drop_id)).remaining_inventory).toBe(11)
  })

  it('webhook: a bad, missing or old signature is 401 and changes nothing', async () => {
    const { product, drop } = await liveDrop({ stock: 5 })
    const buyer = await register(api)
    const held = await order(buyer.access_token, one(drop.drop_id, product.product_id, 1, card('tok_async')))
    expect(held.status).toBe(202)
    const body = { order_id: held.body.order_id, outcome: 'succeeded' }
    const raw = JSON.stringify(body)
    const now = Math.floor(Date.now() / 1000)
    const forged = [
      '',
      'garbage',
      signatureHeader('not-the-secret-not-the-secret-not-the-secret', raw),
      signatureHeader(server.config.paymentWebhookSecret, raw, now - 3600),
      signatureHeader(server.config.paymentWebhookSecret, raw, now + 3600),
      signatureHeader(server.config.paymentWebhookSecret, JSON.stringify({ ...body, outcome: 'failed' })),
    ]
    for (const signature of forged) {
      const reply = await webhook(body, signature)
      expect(reply.status, signature).toBe(401)
      expect(reply.body.code).toBe('unauthenticated')
    }
    // The signature covers the exact bytes: the same JSON spaced differently does not verify.
    const respaced = await client(server.url).request('POST', `${V1}/payments/webhook`, {
      raw: JSON.stringify(body, null, 2),
      headers: { 'livedrop-signature': signatureHeader(server.config.paymentWebhookSecret, raw) },
    })
    expect(respaced.status).toBe(401)
    expect((await api.get(`${V1}/orders/${held.body.order_id}`, buyer.access_token)).body.status).toBe(
      'pending',
    )
    const unknown = await webhook({ order_id: UNKNOWN_ID, outcome: 'succeeded' })
    expect(unknown.status).toBe(404)
    expect(unknown.body.code).toBe('not_found')

    // A correctly signed call goes through whatever the JSON media type's spelling.
    const signed = await client(server.url).request('POST', `${V1}/payments/webhook`, {
      raw,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'livedrop-signature': signatureHeader(server.config.paymentWebhookSecret, raw),
      },
    })
    expect(signed.status).toBe(200)
    expect(signed.body).toEqual({ order_id: held.body.order_id, status: 'confirmed' })
  })

  it('webhook: succeeded confirms a held order; failed cancels it and returns the units', async () => {
    const { product, drop } = await liveDrop({ stock: 5, perUserLimit: 2 })
    const buyer = await register(api)
    const token = buyer.access_token

    const paid = await order(token, one(drop.drop_id, product.product_id, 1, card('tok_async')))
    expect(paid.status).toBe(202)
    const ok = await webhook({ order_id: paid.body.order_id, outcome: 'succeeded' })
    expect(ok.status, JSON.stringify(ok.body)).toBe(200)
    expect(ok.body).toEqual({ order_id: paid.body.order_id, status: 'confirmed' })
    const confirmed = (await api.get(`${V1}/orders/${paid.body.order_id}`, token)).body
    expect(confirmed).toMatchObject({ status: 'confirmed', hold_expires_at: null })
    expect(await history(paid.body.order_id, token)).toEqual([
      expect.objectContaining({ from_status: null, to_status: 'pending', reason: 'placed' }),
      {
        at: expect.stringMatching(ISO),
        from_status: 'pending',
        to_status: 'confirmed',
        actor: 'payment',
        reason: 'payment succeeded',
      },
    ])
    // A late or repeated outcome changes nothing.
    const repeat = await webhook({ order_id: paid.body.order_id, outcome: 'failed' })
    expect(repeat.body).toEqual({ order_id: paid.body.order_id, status: 'confirmed' })
    expect(await history(paid.body.order_id, token)).toHaveLength(2)
    expect((await inventory(drop.drop_id)).remaining_inventory).toBe(4)

    const failing = await order(token, one(drop.drop_id, product.product_id, 1, card('tok_async')))
    expect(failing.status).toBe(202)
    expect((await inventory(drop.drop_id)).remaining_inventory).toBe(3)
    const failed = await webhook({ order_id: failing.body.order_id, outcome: 'failed' })
    expect(failed.status).toBe(200)
    expect(failed.body).toEqual({ order_id: failing.body.order_id, status: 'cancelled' })
    expect((await api.get(`${V1}/orders/${failing.body.order_id}`, token)).body).toMatchObject({
      status: 'cancelled',
      hold_expires_at: null,
    })
    expect((await history(failing.body.order_id, token)).at(-1)).toMatchObject({
      from_status: 'pending',
      to_status: 'cancelled',
      actor: 'payment',
      reason: 'payment failed',
    })
    expect((await inventory(drop.drop_id)).remaining_inventory).toBe(4)
    expect(await dbStock(drop.drop_id)).toEqual([4])
    // The released allowance is usable again (limit 2: one confirmed, one free).
    expect((await order(token, one(drop.drop_id, product.product_id, 1))).status).toBe(201)
    const late = await webhook({ order_id: failing.body.order_id, outcome: 'succeeded' })
    expect(late.body.status).toBe('cancelled')
  })

  it('lets the owner, the drop’s creator and an admin read an order; anyone else gets 404', async () => {
    const { creator, product, drop } = await liveDrop({ stock: 5 })
    const buyer = await register(api)
    const placed = await order(buyer.access_token, one(drop.drop_id, product.product_id))
    expect(placed.status).toBe(201)
    const path = `${V1}/orders/${placed.body.order_id}`
    const boss = await admin()

    for (const token of [buyer.access_token, creator.token, boss.access_token]) {
      const reply = await api.get(path, token)
      expect(reply.status).toBe(200)
      expect(reply.body).toEqual(placed.body)
      expect((await api.get(`${path}/history`, token)).status).toBe(200)
    }
    const stranger = await register(api)
    const otherCreator = await newCreator()
    for (const token of [stranger.access_token, otherCreator.token]) {
      for (const suffix of ['', '/history']) {
        const hidden = await api.get(`${path}${suffix}`, token)
        expect(hidden.status, suffix).toBe(404)
        expect(hidden.body.code).toBe('not_found')
      }
      const change = await api.put(path, { status: 'cancelled' }, token)
      expect(change.status).toBe(404)
      expect(change.body.code).toBe('not_found')
    }
    const anonymous = await api.get(path)
    expect(anonymous.status).toBe(401)
    expect(anonymous.body.code).toBe('unauthenticated')
    const missing = await api.get(`${V1}/orders/${UNKNOWN_ID}`, buyer.access_token)
    expect(missing.status).toBe(404)
    expect(missing.body.code).toBe('not_found')
    const malformed = await api.get(`${V1}/orders/not-a-uuid`, buyer.access_token)
    expect(malformed.status).toBe(400)
    expect(malformed.body.code).toBe('validation_failed')
  })

  it('cancels (owner, pending or confirmed, units return), ships (creator or admin) and records every transition', async () => {
    const { creator, product, drop } = await liveDrop({ stock: 10, perUserLimit: 10 })
    const buyer = await register(api)
    const token = buyer.access_token
    const boss = await admin()
    const place = async (extra: Record<string, unknown> = {}) => {
      const reply = await order(token, one(drop.drop_id, product.product_id, 2, extra))
      expect(reply.status).toBeLessThan(300)
      return reply.body.order_id as string
    }
    const confirmed = await place()
    const pending = await place(card('tok_async'))
    const toShip = await place()
    const byAdmin = await place()
    expect((await inventory(drop.drop_id)).remaining_inventory).toBe(2)

    for (const id of [confirmed, pending]) {
      const reply = await api.put(`${V1}/orders/${id}`, { status: 'cancelled' }, token)
      expect(reply.status, JSON.stringify(reply.body)).toBe(200)
      expect(reply.body).toMatchObject({ order_id: id, status: 'cancelled', hold_expires_at: null })
      const twice = await api.put(`${V1}/orders/${id}`, { status: 'cancelled' }, token)
      expect(twice.status).toBe(409)
    }
    expect((await inventory(drop.drop_id)).remaining_inventory).toBe(6)
    expect(await dbStock(drop.drop_id)).toEqual([6])

    const byBuyer = await api.put(`${V1}/orders/${toShip}`, { status: 'shipped' }, token)
    expect(byBuyer.status).toBe(403)
    expect(byBuyer.body.code).toBe('forbidden')
    const creatorCancels = await api.put(`${V1}/orders/${toShip}`, { status: 'cancelled' }, creator.token)
    expect(creatorCancels.status).toBe(403)
    expect(creatorCancels.body.code).toBe('forbidden')
    const shipped = await api.put(`${V1}/orders/${toShip}`, { status: 'shipped' }, creator.token)
    expect(shipped.status, JSON.stringify(shipped.body)).toBe(200)
    expect(shipped.body.status).toBe('shipped')
    const adminShips = await api.put(`${V1}/orders/${byAdmin}`, { status: 'shipped' }, boss.access_token)
    expect(adminShips.status).toBe(200)
    expect(adminShips.body.status).toBe('shipped')

    const cancelShipped = await api.put(`${V1}/orders/${toShip}`, { status: 'cancelled' }, token)
    expect(cancelShipped.status).toBe(409)
    const shipCancelled = await api.put(`${V1}/orders/${confirmed}`, { status: 'shipped' }, creator.token)
    expect(shipCancelled.status).toBe(409)
    const shipPending = await place(card('tok_async'))
    const notPaid = await api.put(`${V1}/orders/${shipPending}`, { status: 'shipped' }, creator.token)
    expect(notPaid.status).toBe(409)
    for (const body of [{ status: 'confirmed' }, { status: 'expired' }, {}, { status: 'cancelled', x: 1 }]) {
      const bad = await api.put(`${V1}/orders/${toShip}`, body, token)
      expect(bad.status, JSON.stringify(body)).toBe(400)
      expect(bad.body.code).toBe('validation_failed')
    }
    // Shipping keeps the units sold.
    expect(await dbStock(drop.drop_id)).toEqual([4])

    const entry = (from: string | null, to: string, actor: string, reason: string) => ({
      at: expect.stringMatching(ISO),
      from_status: from,
      to_status: to,
      actor,
      reason,
    })
    const buyerActor = `user:${buyer.user.user_id}`
    expect(await history(confirmed, token)).toEqual([
      entry(null, 'confirmed', buyerActor, 'placed'),
      entry('confirmed', 'cancelled', buyerActor, 'cancelled by buyer'),
    ])
    expect(await history(pending, token)).toEqual([
      entry(null, 'pending', buyerActor, 'placed'),
      entry('pending', 'cancelled', buyerActor, 'cancelled by buyer'),
    ])
    expect(await history(toShip, creator.token)).toEqual([
      entry(null, 'confirmed', buyerActor, 'placed'),
      entry('confirmed', 'shipped', `user:${creator.userId}`, 'marked shipped'),
    ])
    expect(await history(byAdmin, token)).toEqual([
      entry(null, 'confirmed', buyerActor, 'placed'),
      entry('confirmed', 'shipped', `user:${boss.user.user_id}`, 'marked shipped'),
    ])
    const stamps = (await history(confirmed, token)).map((h) => h.at)
    expect(stamps).toEqual([...stamps].sort())
  })

  it('lists a user’s orders newest first with cursors; self or admin only', async () => {
    const { product, drop } = await liveDrop({ stock: 20, perUserLimit: 20 })
    const buyer = await register(api)
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      const reply = await order(buyer.access_token, one(drop.drop_id, product.product_id, 1))
      expect(reply.status).toBe(201)
      ids.push(reply.body.order_id)
    }
    const newestFirst = [...ids].reverse()
    const path = `${V1}/users/${buyer.user.user_id}/orders`
    const walked: any[] = []
    let cursor: string | null = null
    do {
      const page: any = await api.get(
        `${path}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        buyer.access_token,
      )
      expect(page.status).toBe(200)
      expect(page.body.items.length).toBeLessThanOrEqual(2)
      walked.push(...page.body.items)
      cursor = page.body.next_cursor
    } while (cursor)
    expect(walked.map((o) => o.order_id)).toEqual(newestFirst)
    expect(walked[0]).toEqual((await api.get(`${V1}/orders/${newestFirst[0]}`, buyer.access_token)).body)

    const all = await api.get(`${path}?limit=100`, buyer.access_token)
    expect(all.body).toEqual({ items: walked, next_cursor: null })
    const boss = await admin()
    expect((await api.get(`${path}?limit=100`, boss.access_token)).body).toEqual(all.body)

    const stranger = await register(api)
    const denied = await api.get(path, stranger.access_token)
    expect(denied.status).toBe(403)
    expect(denied.body.code).toBe('forbidden')
    expect((await api.get(path)).status).toBe(401)
    expect(
      (await api.get(`${V1}/users/${stranger.user.user_id}/orders`, stranger.access_token)).body,
    ).toEqual({ items: [], next_cursor: null })
    for (const query of ['limit=0', 'limit=101', 'cursor=garbage', 'page=2']) {
      const bad = await api.get(`${path}?${query}`, buyer.access_token)
      expect(bad.status, query).toBe(400)
      expect(bad.body.code).toBe('validation_failed')
    }
  })

  it('expires unpaid holds after HOLD_TTL_SECONDS and returns their units', async () => {
    const quick = await startApp(shape, { HOLD_TTL_SECONDS: '1' })
    try {
      const quickApi = client(quick.url)
      const fixtures = shop(() => quickApi)
      const { product, drop } = await fixtures.liveDrop({ stock: 5, perUserLimit: 2 })
      const buyer = await register(quickApi)
      const held = await fixtures.order(
        buyer.access_token,
        one(drop.drop_id, product.product_id, 2, card('tok_async')),
      )
      expect(held.status).toBe(202)
      const placedAt = Date.now()
      expect(Date.parse(held.body.hold_expires_at) - Date.parse(held.body.created_at)).toBe(1_000)
      expect((await fixtures.inventory(drop.drop_id)).remaining_inventory).toBe(3)

      const expired = await eventually(
        async () => (await quickApi.get(`${V1}/orders/${held.body.order_id}`, buyer.access_token)).body,
        (o) => o.status !== 'pending',
        4_000,
        50,
      )
      expect(expired).toMatchObject({ status: 'expired', hold_expires_at: null })
      expect(Date.now() - placedAt).toBeLessThanOrEqual(3_000)
      expect((await fixtures.inventory(drop.drop_id)).remaining_inventory).toBe(5)
      const trail = await quickApi.get(`${V1}/orders/${held.body.order_id}/history`, buyer.access_token)
      expect(trail.body.items.at(-1)).toMatchObject({
        from_status: 'pending',
        to_status: 'expired',
        actor: 'system',
        reason: 'payment hold expired',
      })
      // Paying after the hold expired changes nothing; the allowance is free again.
      const late = await webhook(
        { order_id: held.body.order_id, outcome: 'succeeded' },
        undefined,
        quick.url,
        quick.config.paymentWebhookSecret,
      )
      expect(late.body.status).toBe('expired')
      const again = await fixtures.order(buyer.access_token, one(drop.drop_id, product.product_id, 2))
      expect(again.status).toBe(201)
      expect((await fixtures.inventory(drop.drop_id)).remaining_inventory).toBe(3)
    } finally {
      await quick.close()
    }
  })

  it('keeps the ledger: for every drop item initial_stock + sum(ledger) = current_stock, and sold units match orders', async () => {
    const drift = rowsOf<Record<string, unknown>>(
      await server.app.db.primary.execute(sql`
        SELECT di.drop_id, di.variant_id, di.initial_stock, di.current_stock,
          coalesce((SELECT sum(l.change) FROM inventory_ledger l
            WHERE l.drop_id = di.drop_id AND l.variant_id = di.variant_id), 0) AS ledger,
          coalesce((SELECT sum(oi.quantity) FROM order_items oi JOIN orders o USING (order_id)
            WHERE o.drop_id = di.drop_id AND oi.variant_id = di.variant_id
              AND o.status IN ('pending', 'confirmed', 'shipped')), 0) AS held
        FROM drop_items di`),
    )
    expect(drift.length).toBeGreaterThan(10)
    for (const row of drift) {
      const initial = Number(row.initial_stock)
      const current = Number(row.current_stock)
      expect(initial + Number(row.ledger), JSON.stringify(row)).toBe(current)
      expect(initial - current, JSON.stringify(row)).toBe(Number(row.held))
    }
    const totals = rowsOf<Record<string, unknown>>(
      await server.app.db.primary.execute(sql`
        SELECT d.drop_id, d.remaining_inventory, sum(di.current_stock) AS current
        FROM drops d JOIN drop_items di USING (drop_id)
        GROUP BY d.drop_id, d.remaining_inventory
        HAVING d.remaining_inventory <> sum(di.current_stock)`),
    )
    expect(totals).toEqual([])
  })

  it('describes the orders in the OpenAPI document', async () => {
    const doc = (await api.get('/docs/json')).body
    for (const [path, methods] of [
      ['/api/v1/orders', ['post']],
      ['/api/v1/orders/{order_id}', ['get', 'put']],
      ['/api/v1/orders/{order_id}/history', ['get']],
      ['/api/v1/users/{user_id}/orders', ['get']],
    ] as const) {
      for (const method of methods) {
        expect(doc.paths[path]?.[method]?.tags, `${method} ${path}`).toEqual(['orders'])
      }
    }
    expect(doc.paths['/api/v1/payments/webhook']?.post).toBeDefined()
  })
})
