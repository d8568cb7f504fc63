import { isDeepStrictEqual } from 'node:util'
import { uuidv7 } from 'uuidv7'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Client, client, register } from './support/client.js'
import { describeShapes, startApp, type TestApp } from './support/engines.js'
import {
  becomeCreator,
  dropState,
  eventually,
  type Item,
  inPool,
  invariantProblems,
  liveDrop,
  makeShoppers,
  newProduct,
  type OrderBody,
  type RawReply,
  type Seller,
  type Shopper,
  type StampedeClient,
  seeded,
  shuffle,
  stampedeClient,
} from './support/flash-sale.js'

const SHOPPERS = 1_000
/** Requests in flight during a stampede. */
const IN_FLIGHT = 200

/** Units an order asks for, per variant. */
const unitsOf = (body: OrderBody, items: Item[]) =>
  body.items.map((line) => ({
    variantId: items.find((i) => i.productId === line.product_id)!.variantId,
    quantity: line.quantity,
  }))

/** The counts of each `status code` outcome, e.g. `{ '201': 1, '409 sold_out': 199 }`. */
function tally(replies: RawReply[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const r of replies) {
    const label = r.status >= 400 ? `${r.status} ${r.json?.code}` : String(r.status)
    counts[label] = (counts[label] ?? 0) + 1
  }
  return counts
}

describeShapes('flash sale under concurrency', (shape) => {
  let server: TestApp
  let api: Client
  let http: StampedeClient
  let seller: Seller
  let shoppers: Shopper[]

  beforeAll(async () => {
    server = await startApp(shape)
    api = client(server.url)
    http = stampedeClient(server.url)
    seller = await becomeCreator(api, (await register(api)).access_token)
    shoppers = await makeShoppers(server.app, SHOPPERS)
  })
  afterAll(async () => {
    await http?.close()
    await server?.close()
  })

  async function gateOf(dropId: string) {
    return server.app.inventory.gate.read(dropId)
  }

  /** Every order a 201 announced is in the database, as announced, and nothing else was placed. */
  function expectOrdersAsAnswered(
    state: Awaited<ReturnType<typeof dropState>>,
    placed: { reply: RawReply; userId: string; key: string }[],
  ) {
    expect(state.orders.size).toBe(placed.length)
    for (const { reply, userId, key } of placed) {
      const stored = state.orders.get(reply.json.order_id)
      expect(stored, `order ${reply.json.order_id} of a 201`).toBeDefined()
      expect(stored).toMatchObject({ userId, key, status: 'confirmed' })
      expect(stored!.lines).toEqual(
        reply.json.items.map((i: any) => ({ variantId: i.variant_id, quantity: i.quantity })),
      )
    }
  }

  it('sells the last unit to exactly one of 200 buyers arriving at once', async () => {
    const item = await newProduct(api, seller, 'The last one')
    const dropId = await liveDrop(api, seller, [{ item, units: 1 }], 1)
    const buyers = shoppers.slice(0, 200)
    const body: OrderBody = { drop_id: dropId, items: [{ product_id: item.productId, quantity: 1 }] }

    const keys = buyers.map(() => uuidv7())
    const replies = await Promise.all(buyers.map((b, i) => http.order(b.token, keys[i]!, body)))

    expect(tally(replies)).toEqual({ '201': 1, '409 sold_out': 199 })
    const winner = replies.findIndex((r) => r.status === 201)
    const state = await dropState(server.app.db, dropId)
    expect(invariantProblems(state, 1)).toEqual([])
    expectOrdersAsAnswered(state, [
      { reply: replies[winner]!, userId: buyers[winner]!.userId, key: keys[winner]! },
    ])
    expect(state.items[0]!.current_stock).toBe(0)
    expect(await gateOf(dropId)).toEqual(state.gateView)
  })

  it('sells exactly 1,000 units to 5,000 attempts from 1,000 users, nobody above the limit of 2', async () => {
    const a = await newProduct(api, seller, 'Sneaker A')
    const b = await newProduct(api, seller, 'Sneaker B')
    const dropId = await liveDrop(
      api,
      seller,
      [
        { item: a, units: 500 },
        { item: b, units: 500 },
      ],
      2,
    )
    const line = (item: Item, quantity: number) => ({ product_id: item.productId, quantity })
    // Every user tries each item twice alone and once more with two units. Whatever the interleaving,
    // this sells every unit: an item left over would mean all its single-unit attempts were refused
    // for the limit, so each of the 1,000 users would hold 2 units of the other item (500 at most).
    const attempts = shoppers.flatMap((shopper, u) => {
      const last = u % 2 === 0 ? [line(a, 1), line(b, 1)] : u % 4 === 1 ? [line(a, 2)] : [line(b, 2)]
      return [[line(a, 1)], [line(b, 1)], [line(a, 1)], [line(b, 1)], last].map((items) => ({
        shopper,
        key: uuidv7(),
        body: { drop_id: dropId, items } satisfies OrderBody,
      }))
    })
    const order = shuffle(attempts, seeded(20_240_501))

    const started = performance.now()
    const replies = await inPool(order, IN_FLIGHT, (at) => http.order(at.shopper.token, at.key, at.body))
    const seconds = (performance.now() - started) / 1000
    console.info(
      `[${shape.name}] sell-out: ${order.length} attempts in ${seconds.toFixed(2)} s (${Math.round(order.length / seconds)}/s)`,
    )

    const outcomes = tally(replies)
    for (const label of Object.keys(outcomes)) {
      expect(['201', '409 sold_out', '409 purchase_limit_exceeded'], JSON.stringify(outcomes)).toContain(
        label,
      )
    }
    const placed = order
      .map((at, i) => ({ reply: replies[i]!, userId: at.shopper.userId, key: at.key, body: at.body }))
      .filter((p) => p.reply.status === 201)
    const unitsAnswered = placed.reduce(
      (n, p) => n + p.reply.json.items.reduce((m: number, i: any) => m + i.quantity, 0),
      0,
    )
    expect(unitsAnswered).toBe(1_000)
    for (const p of placed) {
      expect(p.reply.json.items.map((i: any) => ({ variantId: i.variant_id, quantity: i.quantity }))).toEqual(
        unitsOf(p.body, [a, b]),
      )
    }

    const state = await dropState(server.app.db, dropId)
    expect(invariantProblems(state, 2)).toEqual([])
    expectOrdersAsAnswered(state, placed)
    const confirmedUnits = [...state.orders.values()]
      .filter((o) => o.status === 'confirmed')
      .reduce((n, o) => n + o.lines.reduce((m, l) => m + l.quantity, 0), 0)
    expect(confirmedUnits).toBe(1_000)
    expect(state.items.map((i) => i.current_stock)).toEqual([0, 0])
    expect(Math.max(...state.heldByUser.values())).toBeLessThanOrEqual(2)
    expect(await gateOf(dropId)).toEqual(state.gateView)
  })

  it('answers every retry sent at the same time with the first answer, byte for byte, and places one order', async () => {
    const item = await newProduct(api, seller, 'Retried')
    const dropId = await liveDrop(api, seller, [{ item, units: 100 }], 1)
    const buyers = shoppers.slice(0, 300)
    const body: OrderBody = { drop_id: dropId, items: [{ product_id: item.productId, quantity: 1 }] }
    const keys = buyers.map(() => uuidv7())

    // Each request leaves twice at once with the same key, as an impatient client or a proxy retry would.
    const pairs = await inPool(buyers, IN_FLIGHT / 2, (buyer, i) =>
      Promise.all([http.order(buyer.token, keys[i]!, body), http.order(buyer.token, keys[i]!, body)]),
    )

    const firsts: RawReply[] = []
    let raced = 0
    for (const [i, pair] of pairs.entries()) {
      const fresh = pair.filter((r) => r.headers['idempotent-replayed'] === undefined)
      const inUse = fresh.filter((r) => r.status === 409 && r.json?.code === 'idempotency_key_in_use')
      const answers = fresh.filter((r) => !inUse.includes(r))
      // Exactly one of the two did the work; the other replayed it or found it still running.
      expect(answers, JSON.stringify(pair.map((r) => r.text))).toHaveLength(1)
      const first = answers[0]!
      firsts.push(first)
      const other = pair.find((r) => r !== first)!
      if (inUse.length > 0) {
        raced += 1
        // The first has finished by now (Promise.all waited for it): a retry replays it.
        const again = await http.order(buyers[i]!.token, keys[i]!, body)
        expect(again.headers['idempotent-replayed']).toBe('true')
        expect(again.status).toBe(first.status)
        expect(again.text).toBe(first.text)
      } else {
        expect(other.headers['idempotent-replayed']).toBe('true')
        expect(other.status).toBe(first.status)
        expect(other.text).toBe(first.text)
      }
    }
    console.info(`[${shape.name}] retries: ${raced} of ${pairs.length} twins found their key in flight`)
    expect(tally(firsts)).toEqual({ '201': 100, '409 sold_out': 200 })

    // Later retries still get the very same bytes, sold-out answers included.
    const later = await inPool(buyers, IN_FLIGHT, (buyer, i) => http.order(buyer.token, keys[i]!, body))
    for (const [i, reply] of later.entries()) {
      expect(reply.headers['idempotent-replayed']).toBe('true')
      expect(reply.status).toBe(firsts[i]!.status)
      expect(reply.text).toBe(firsts[i]!.text)
    }

    const state = await dropState(server.app.db, dropId)
    expect(invariantProblems(state, 1)).toEqual([])
    const perKey = new Map<string, number>()
    for (const order of state.orders.values()) {
      const id = `${order.userId}|${order.key}`
      perKey.set(id, (perKey.get(id) ?? 0) + 1)
    }
    for (const [i, buyer] of buyers.entries()) {
      expect(perKey.get(`${buyer.userId}|${keys[i]}`) ?? 0).toBe(firsts[i]!.status === 201 ? 1 : 0)
    }
    expectOrdersAsAnswered(
      state,
      firsts.flatMap((reply, i) =>
        reply.status === 201 ? [{ reply, userId: buyers[i]!.userId, key: keys[i]! }] : [],
      ),
    )
    expect(state.items[0]!.current_stock).toBe(0)
    expect(await gateOf(dropId)).toEqual(state.gateView)
  })

  it('never places part of a two-item order when one item runs out', async () => {
    const scarce = await newProduct(api, seller, 'Scarce')
    const plenty = await newProduct(api, seller, 'Plenty')
    const dropId = await liveDrop(
      api,
      seller,
      [
        { item: scarce, units: 40 },
        { item: plenty, units: 120 },
      ],
      3,
    )
    const buyers = shoppers.slice(0, 260)
    // 200 pairs want 40 scarce and 400 plenty units; 60 singles want 60 more plenty units.
    const bodies = buyers.map(
      (_, i): OrderBody => ({
        drop_id: dropId,
        items:
          i < 200
            ? [
                { product_id: scarce.productId, quantity: 1 },
                { product_id: plenty.productId, quantity: 2 },
              ]
            : [{ product_id: plenty.productId, quantity: 1 }],
      }),
    )
    const keys = buyers.map(() => uuidv7())
    const order = shuffle(
      buyers.map((_, i) => i),
      seeded(7),
    )
    const replies = await inPool(order, IN_FLIGHT, (i) => http.order(buyers[i]!.token, keys[i]!, bodies[i]!))

    for (const label of Object.keys(tally(replies))) expect(['201', '409 sold_out']).toContain(label)
    const placed = order.flatMap((i, n) =>
      replies[n]!.status === 201 ? [{ reply: replies[n]!, userId: buyers[i]!.userId, key: keys[i]!, i }] : [],
    )
    const state = await dropState(server.app.db, dropId)
    expect(invariantProblems(state, 3)).toEqual([])
    expectOrdersAsAnswered(state, placed)
    for (const p of placed) {
      expect(state.orders.get(p.reply.json.order_id)!.lines).toEqual(unitsOf(bodies[p.i]!, [scarce, plenty]))
    }
    const pairs = placed.filter((p) => p.i < 200).length
    const singles = placed.length - pairs
    const [scarceLeft, plentyLeft] = state.items.map((i) => i.current_stock)
    expect(scarceLeft).toBe(40 - pairs)
    expect(plentyLeft).toBe(120 - 2 * pairs - singles)
    // Demand exceeds both items, so at least one of them ran out.
    expect(Math.min(scarceLeft!, plentyLeft!)).toBe(0)
    expect(await gateOf(dropId)).toEqual(state.gateView)
  })

  it('refuses in the database, whole, the two-item orders a drifted gate lets through', async () => {
    const scarce = await newProduct(api, seller, 'Scarce, miscounted')
    const plenty = await newProduct(api, seller, 'Plenty, miscounted')
    const dropId = await liveDrop(
      api,
      seller,
      [
        { item: scarce, units: 40 },
        { item: plenty, units: 500 },
      ],
      2,
    )
    // The gate believes in 1,000 scarce units (as after a lost write): only the database's CHECK and
    // the transaction stand between 200 buyers and an oversold, half-placed order.
    const gate = server.app.inventory.gate
    await gate.load(dropId, { items: { [scarce.variantId]: 1_000, [plenty.variantId]: 500 }, users: {} })
    const buyers = shoppers.slice(0, 200)
    const body: OrderBody = {
      drop_id: dropId,
      items: [
        { product_id: scarce.productId, quantity: 1 },
        { product_id: plenty.productId, quantity: 1 },
      ],
    }
    const keys = buyers.map(() => uuidv7())
    const replies = await inPool(buyers, IN_FLIGHT, (buyer, i) => http.order(buyer.token, keys[i]!, body))

    expect(tally(replies)).toEqual({ '201': 40, '409 sold_out': 160 })
    const state = await dropState(server.app.db, dropId)
    expect(invariantProblems(state, 2)).toEqual([])
    expect(state.items.map((i) => i.current_stock)).toEqual([0, 460])
    expectOrdersAsAnswered(
      state,
      replies.flatMap((reply, i) =>
        reply.status === 201 ? [{ reply, userId: buyers[i]!.userId, key: keys[i]! }] : [],
      ),
    )
    // Refused orders gave their units back to the gate, so only the drift itself is left, and
    // reconciliation (a difference seen on two passes in a row) repairs it.
    expect(await gate.read(dropId)).toEqual({
      items: { [scarce.variantId]: 960, [plenty.variantId]: 460 },
      users: state.gateView.users,
    })
    const repaired = await eventually(async () => {
      await server.app.inventory.reconcile()
      const current = await gate.read(dropId)
      return isDeepStrictEqual(current, state.gateView)
    }, 5_000)
    expect(repaired).toBe(true)
    expect(await gate.read(dropId)).toEqual(state.gateView)
  })
})
