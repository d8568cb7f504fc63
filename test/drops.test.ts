import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { rowsOf } from '../src/platform/db/index.js'
import { type Client, client, register } from './support/client.js'
import { describeShapes, startApp, type TestApp } from './support/engines.js'
import { eventually, ISO, isoIn, shop, UNKNOWN_ID, UUID_V7, V1 } from './support/shop.js'

const DROP_FIELDS = [
  'created_at',
  'creator_id',
  'description',
  'drop_id',
  'end_time',
  'low_stock_threshold',
  'name',
  'per_user_limit',
  'remaining_inventory',
  'sold_out',
  'start_time',
  'status',
  'total_inventory',
  'updated_at',
]

describeShapes('drops', (shape) => {
  let server: TestApp
  let api: Client
  const { newCreator, createProduct, createDrop, liveDrop, order, inventory } = shop(() => api)

  async function outboxCount(topic: string, key: string): Promise<number> {
    const rows = rowsOf<{ n: number | string }>(
      await server.app.db.primary.execute(
        sql`SELECT count(*) AS n FROM outbox WHERE topic = ${topic} AND key = ${key}`,
      ),
    )
    return Number(rows[0]?.n ?? 0)
  }

  async function walk(path: string, limit: number) {
    const items: any[] = []
    let cursor: string | null = null
    do {
      const sep = path.includes('?') ? '&' : '?'
      const page: any = await api.get(
        `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      )
      expect(page.status, JSON.stringify(page.body)).toBe(200)
      expect(page.body.items.length).toBeLessThanOrEqual(limit)
      items.push(...page.body.items)
      cursor = page.body.next_cursor
    } while (cursor)
    return items
  }

  beforeAll(async () => {
    server = await startApp(shape)
    api = client(server.url)
  })
  afterAll(() => server?.close())

  it('creates a scheduled drop with defaults, and a live one when start_time is not in the future', async () => {
    const creator = await newCreator()
    const tee = await createProduct(creator, { name: 'Drop Tee', currency: 'EUR' })
    const mug = await createProduct(creator, { name: 'Drop Mug' })
    const start = isoIn(3_600_000)
    const end = isoIn(7_200_000)
    const reply = await api.post(
      `${V1}/drops`,
      {
        name: '  Summer Drop  ',
        description: 'Limited run',
        start_time: start,
        end_time: end,
        items: [
          { product_id: tee.product_id, drop_price: 2500, initial_stock: 7 },
          { product_id: mug.product_id, drop_price: 900, initial_stock: 3 },
        ],
      },
      creator.token,
    )
    expect(reply.status, JSON.stringify(reply.body)).toBe(201)
    const drop = reply.body
    expect(Object.keys(drop).sort()).toEqual(DROP_FIELDS)
    expect(drop).toMatchObject({
      creator_id: creator.creatorId,
      name: 'Summer Drop',
      description: 'Limited run',
      status: 'scheduled',
      start_time: start,
      end_time: end,
      total_inventory: 10,
      remaining_inventory: 10,
      sold_out: false,
      low_stock_threshold: 10,
      per_user_limit: 1,
    })
    expect(drop.drop_id).toMatch(UUID_V7)
    expect(drop.created_at).toMatch(ISO)
    expect(drop.updated_at).toMatch(ISO)

    const got = await api.get(`${V1}/drops/${drop.drop_id}`)
    expect(got.status).toBe(200)
    expect(got.body).toEqual(drop)

    const items = await api.get(`${V1}/drops/${drop.drop_id}/items`)
    expect(items.status).toBe(200)
    expect(items.body).toEqual({
      items: [
        {
          product_id: tee.product_id,
          variant_id: tee.variants[0].variant_id,
          name: 'Drop Tee',
          drop_price: 2500,
          currency: 'EUR',
          initial_stock: 7,
          current_stock: 7,
        },
        {
          product_id: mug.product_id,
          variant_id: mug.variants[0].variant_id,
          name: 'Drop Mug',
          drop_price: 900,
          currency: 'USD',
          initial_stock: 3,
          current_stock: 3,
        },
      ],
    })
    expect(await inventory(drop.drop_id)).toEqual({
      drop_id: drop.drop_id,
      remaining_inventory: 10,
      sold_out: false,
      items: [
        { product_id: tee.product_id, variant_id: tee.variants[0].variant_id, available: 7 },
        { product_id: mug.product_id, variant_id: mug.variants[0].variant_id, available: 3 },
      ],
    })

    for (const startTime of [new Date().toISOString(), isoIn(-60_000)]) {
      const live = await createDrop(creator, [{ product_id: tee.product_id, initial_stock: 1 }], {
        start_time: startTime,
        low_stock_threshold: 0,
        per_user_limit: 3,
      })
      expect(live).toMatchObject({ status: 'live', low_stock_threshold: 0, per_user_limit: 3 })
      expect(await outboxCount('drop.started', live.drop_id)).toBe(1)
    }
    expect(await outboxCount('drop.started', drop.drop_id)).toBe(0)
    expect(await outboxCount('drop.created', drop.drop_id)).toBe(1)
  })

  it('lets only creators create drops, of their own products: 401 anonymous, 403 shopper or foreign product', async () => {
    const creator = await newCreator()
    const other = await newCreator()
    const shopper = await register(api)
    const own = await createProduct(creator)
    const foreign = await createProduct(other)
    const body = (productId: string) => ({
      name: 'Guarded drop',
      start_time: isoIn(60_000),
      end_time: isoIn(120_000),
      items: [{ product_id: productId, drop_price: 100, initial_stock: 1 }],
    })

    for (const token of [undefined, 'garbage']) {
      const anonymous = await api.post(`${V1}/drops`, body(own.product_id), token)
      expect(anonymous.status).toBe(401)
      expect(anonymous.body.code).toBe('unauthenticated')
    }
    const denied = await api.post(`${V1}/drops`, body(own.product_id), shopper.access_token)
    expect(denied.status).toBe(403)
    expect(denied.body.code).toBe('forbidden')
    expect(denied.headers.get('content-type')).toContain('application/problem+json')

    const stolen = await api.post(`${V1}/drops`, body(foreign.product_id), creator.token)
    expect(stolen.status).toBe(403)
    expect(stolen.body.code).toBe('forbidden')
    const mixed = await api.post(
      `${V1}/drops`,
      {
        ...body(own.product_id),
        items: [
          { product_id: own.product_id, drop_price: 100, initial_stock: 1 },
          { product_id: foreign.product_id, drop_price: 100, initial_stock: 1 },
        ],
      },
      creator.token,
    )
    expect(mixed.status).toBe(403)
    expect(mixed.body.code).toBe('forbidden')

    const unknown = await api.post(`${V1}/drops`, body(UNKNOWN_ID), creator.token)
    expect(unknown.status).toBe(400)
    expect(unknown.body.code).toBe('validation_failed')
    expect(unknown.body.errors).toEqual([{ path: '/items/0/product_id', message: expect.any(String) }])

    const listed = await api.get(`${V1}/drops?creator_id=${creator.creatorId}`)
    expect(listed.body).toEqual({ items: [], next_cursor: null })
  })

  it('defaults variant_id to the first variant and validates it; names a variant item after both', async () => {
    const creator = await newCreator()
    const hoodie = await createProduct(creator, {
      name: 'Hoodie',
      variants: [
        { sku: 'H-S', name: 'Small' },
        { sku: 'H-L', name: 'Large' },
      ],
    })
    const other = await createProduct(creator, { name: 'Other' })
    const [small, large] = hoodie.variants

    const byDefault = await createDrop(creator, [{ product_id: hoodie.product_id, initial_stock: 2 }])
    const items = (await api.get(`${V1}/drops/${byDefault.drop_id}/items`)).body.items
    expect(items).toEqual([
      expect.objectContaining({ variant_id: small.variant_id, name: 'Hoodie — Small', initial_stock: 2 }),
    ])

    const both = await createDrop(creator, [
      { product_id: hoodie.product_id, variant_id: large.variant_id, initial_stock: 1 },
      { product_id: hoodie.product_id, variant_id: small.variant_id, initial_stock: 4 },
    ])
    expect(both.total_inventory).toBe(5)
    expect(
      (await api.get(`${V1}/drops/${both.drop_id}/items`)).body.items.map((i: any) => i.variant_id),
    ).toEqual([large.variant_id, small.variant_id])

    const base = { name: 'Bad variants', start_time: isoIn(60_000), end_time: isoIn(120_000) }
    const bad: [unknown[], string][] = [
      [
        [{ product_id: hoodie.product_id, variant_id: other.variants[0].variant_id, initial_stock: 1 }],
        '/items/0/variant_id',
      ],
      [[{ product_id: hoodie.product_id, variant_id: UNKNOWN_ID, initial_stock: 1 }], '/items/0/variant_id'],
      [
        [
          { product_id: hoodie.product_id, initial_stock: 1 },
          { product_id: hoodie.product_id, variant_id: small.variant_id, initial_stock: 1 },
        ],
        '/items/1/variant_id',
      ],
    ]
    for (const [badItems, path] of bad) {
      const reply = await api.post(
        `${V1}/drops`,
        { ...base, items: (badItems as any[]).map((i) => ({ drop_price: 100, ...i })) },
        creator.token,
      )
      expect(reply.status, JSON.stringify(badItems)).toBe(400)
      expect(reply.body.code).toBe('validation_failed')
      expect(reply.body.errors).toEqual([{ path, message: expect.any(String) }])
    }
  })

  it('rejects invalid drops with 400 validation_failed and creates nothing', async () => {
    const creator = await newCreator()
    const product = await createProduct(creator)
    const item = { product_id: product.product_id, drop_price: 100, initial_stock: 1 }
    const start = isoIn(60_000)
    const bad: Record<string, unknown>[] = [
      { name: 'End before start', start_time: start, end_time: isoIn(30_000), items: [item] },
      { name: 'End equals start', start_time: start, end_time: start, items: [item] },
      { name: 'Over already', start_time: isoIn(-120_000), end_time: isoIn(-60_000), items: [item] },
      { name: 'No items', start_time: start, end_time: isoIn(120_000), items: [] },
      { name: 'Bad time', start_time: 'tomorrow', end_time: isoIn(120_000), items: [item] },
      { name: '  ', start_time: start, end_time: isoIn(120_000), items: [item] },
      { start_time: start, end_time: isoIn(120_000), items: [item] },
      { name: 'Zero limit', start_time: start, end_time: isoIn(120_000), per_user_limit: 0, items: [item] },
      {
        name: 'Negative stock',
        start_time: start,
        end_time: isoIn(120_000),
        items: [{ ...item, initial_stock: -1 }],
      },
      {
        name: 'Fractional price',
        start_time: start,
        end_time: isoIn(120_000),
        items: [{ ...item, drop_price: 9.5 }],
      },
      { name: 'Unknown field', start_time: start, end_time: isoIn(120_000), items: [item], colour: 'red' },
    ]
    for (const body of bad) {
      const reply = await api.post(`${V1}/drops`, body, creator.token)
      expect(reply.status, JSON.stringify(body)).toBe(400)
      expect(reply.body.code).toBe('validation_failed')
    }
    const endBeforeStart = await api.post(`${V1}/drops`, bad[0], creator.token)
    expect(endBeforeStart.body.errors).toEqual([{ path: '/end_time', message: expect.any(String) }])
    expect((await api.get(`${V1}/drops?creator_id=${creator.creatorId}`)).body.items).toEqual([])
  })

  it('lists newest first with status and creator_id filters, cursor walks and page=', async () => {
    const creator = await newCreator()
    const other = await newCreator()
    const product = await createProduct(creator)
    const item = { product_id: product.product_id, initial_stock: 1 }
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      const live = i % 2 === 0
      ids.push((await createDrop(creator, [item], live ? {} : { start_time: isoIn(3_600_000) })).drop_id)
    }
    const endedId = ids[4]!
    expect((await api.put(`${V1}/drops/${endedId}`, { status: 'ended' }, creator.token)).status).toBe(200)
    await createDrop(other, [{ product_id: (await createProduct(other)).product_id, initial_stock: 1 }])
    const newestFirst = [...ids].reverse()
    const mine = `${V1}/drops?creator_id=${creator.creatorId}`

    for (const limit of [1, 2, 5, 100]) {
      expect((await walk(mine, limit)).map((d) => d.drop_id)).toEqual(newestFirst)
    }
    const firstPage = await api.get(`${mine}&limit=2`)
    expect(firstPage.body.items.map((d: any) => d.drop_id)).toEqual(newestFirst.slice(0, 2))
    expect(firstPage.body.items[0]).toEqual((await api.get(`${V1}/drops/${newestFirst[0]}`)).body)

    const statusOf = async (status: string) =>
      (await walk(`${mine}&status=${status}`, 2)).map((d) => {
        expect(d.status).toBe(status)
        return d.drop_id
      })
    expect(await statusOf('live')).toEqual([ids[2], ids[0]])
    expect(await statusOf('scheduled')).toEqual([ids[3], ids[1]])
    expect(await statusOf('ended')).toEqual([endedId])

    const everyone = await walk(`${V1}/drops`, 3)
    const everyId = everyone.map((d) => d.drop_id)
    expect(new Set(everyId).size).toBe(everyId.length)
    for (const id of ids) expect(everyId).toContain(id)
    const stamps = everyone.map((d) => `${d.created_at}|${d.drop_id}`)
    expect(stamps).toEqual([...stamps].sort().reverse())
    const liveEverywhere = await walk(`${V1}/drops?status=live`, 50)
    expect(liveEverywhere.every((d) => d.status === 'live')).toBe(true)

    const second = await api.get(`${mine}&limit=2&page=2`)
    expect(second.status).toBe(200)
    expect(second.body.items.map((d: any) => d.drop_id)).toEqual(newestFirst.slice(2, 4))
    expect(second.body.next_cursor).toEqual(expect.any(String))
    const rest = await api.get(`${mine}&limit=2&cursor=${encodeURIComponent(second.body.next_cursor)}`)
    expect(rest.body.items.map((d: any) => d.drop_id)).toEqual(newestFirst.slice(4))
    expect(rest.body.next_cursor).toBeNull()
    expect((await api.get(`${mine}&limit=2&page=9`)).body).toEqual({ items: [], next_cursor: null })

    for (const query of [
      'status=open',
      'creator_id=nope',
      'limit=0',
      'limit=101',
      'page=0',
      'cursor=garbage',
      'colour=red',
    ]) {
      const reply = await api.get(`${V1}/drops?${query}`)
      expect(reply.status, query).toBe(400)
      expect(reply.body.code).toBe('validation_failed')
    }
  })

  it('answers 404 for unknown drops and 400 for malformed ids', async () => {
    const creator = await newCreator()
    for (const suffix of ['', '/items', '/inventory']) {
      const missing = await api.get(`${V1}/drops/${UNKNOWN_ID}${suffix}`)
      expect(missing.status, suffix).toBe(404)
      expect(missing.body.code).toBe('not_found')
      const malformed = await api.get(`${V1}/drops/not-a-uuid${suffix}`)
      expect(malformed.status, suffix).toBe(400)
      expect(malformed.body.code).toBe('validation_failed')
    }
    const put = await api.put(`${V1}/drops/${UNKNOWN_ID}`, { name: 'Ghost' }, creator.token)
    expect(put.status).toBe(404)
    expect(put.body.code).toBe('not_found')
  })

  it('tracks remaining_inventory and sold_out as orders take stock', async () => {
    const { drop, product, variantId } = await liveDrop({ stock: 3, perUserLimit: 3 })
    const buyer = await register(api)
    const first = await order(buyer.access_token, {
      drop_id: drop.drop_id,
      items: [{ product_id: product.product_id, quantity: 2 }],
    })
    expect(first.status, JSON.stringify(first.body)).toBe(201)
    const after = await api.get(`${V1}/drops/${drop.drop_id}`)
    expect(after.body).toMatchObject({ total_inventory: 3, remaining_inventory: 1, sold_out: false })
    expect((await api.get(`${V1}/drops/${drop.drop_id}/items`)).body.items[0]).toMatchObject({
      initial_stock: 3,
      current_stock: 1,
    })

    const last = await order(buyer.access_token, {
      drop_id: drop.drop_id,
      items: [{ product_id: product.product_id, variant_id: variantId, quantity: 1 }],
    })
    expect(last.status).toBe(201)
    expect((await api.get(`${V1}/drops/${drop.drop_id}`)).body).toMatchObject({
      remaining_inventory: 0,
      sold_out: true,
    })
    expect(await inventory(drop.drop_id)).toEqual({
      drop_id: drop.drop_id,
      remaining_inventory: 0,
      sold_out: true,
      items: [{ product_id: product.product_id, variant_id: variantId, available: 0 }],
    })
    const listed = await api.get(`${V1}/drops?creator_id=${drop.creator_id}`)
    expect(listed.body.items[0]).toMatchObject({ remaining_inventory: 0, sold_out: true })
    expect(await outboxCount('drop.sold_out', drop.drop_id)).toBe(1)
  })

  it('lets the owner edit a scheduled drop; 403 for others, 401 anonymous, 409 once it is live', async () => {
    const creator = await newCreator()
    const other = await newCreator()
    const shopper = await register(api)
    const product = await createProduct(creator)
    const drop = await createDrop(creator, [{ product_id: product.product_id, initial_stock: 4 }], {
      start_time: isoIn(3_600_000),
      end_time: isoIn(7_200_000),
    })
    const path = `${V1}/drops/${drop.drop_id}`
    // Cached before the edit; the edit must show at once.
    expect((await api.get(path)).body).toEqual(drop)

    const start = isoIn(1_800_000)
    const end = isoIn(5_400_000)
    const edited = await api.put(
      path,
      {
        name: 'Renamed',
        description: null,
        start_time: start,
        end_time: end,
        low_stock_threshold: 2,
        per_user_limit: 4,
      },
      creator.token,
    )
    expect(edited.status, JSON.stringify(edited.body)).toBe(200)
    expect(edited.body).toMatchObject({
      drop_id: drop.drop_id,
      name: 'Renamed',
      description: null,
      status: 'scheduled',
      start_time: start,
      end_time: end,
      low_stock_threshold: 2,
      per_user_limit: 4,
      total_inventory: 4,
      created_at: drop.created_at,
    })
    expect((await api.get(path)).body).toEqual(edited.body)
    const partial = await api.put(path, { name: 'Renamed again' }, creator.token)
    expect(partial.body).toMatchObject({ name: 'Renamed again', per_user_limit: 4, start_time: start })

    for (const token of [other.token, shopper.access_token]) {
      const denied = await api.put(path, { name: 'Stolen' }, token)
      expect(denied.status).toBe(403)
      expect(denied.body.code).toBe('forbidden')
    }
    const anonymous = await api.put(path, { name: 'Stolen' })
    expect(anonymous.status).toBe(401)
    expect(anonymous.body.code).toBe('unauthenticated')
    for (const body of [
      {},
      { colour: 'red' },
      { end_time: isoIn(60_000) },
      { status: 'live' },
      { status: 'ended', name: 'x' },
    ]) {
      const invalid = await api.put(path, body, creator.token)
      expect(invalid.status, JSON.stringify(body)).toBe(400)
      expect(invalid.body.code).toBe('validation_failed')
    }
    expect((await api.get(path)).body.name).toBe('Renamed again')

    const live = await createDrop(creator, [{ product_id: product.product_id, initial_stock: 1 }])
    const locked = await api.put(`${V1}/drops/${live.drop_id}`, { name: 'Too late' }, creator.token)
    expect(locked.status).toBe(409)
    expect(locked.body.code).toBe('drop_not_editable')
    expect((await api.get(`${V1}/drops/${live.drop_id}`)).body.name).toBe(live.name)
  })

  it('ends a live drop early with {status: "ended"}; orders then get 409 drop_not_live', async () => {
    const { creator, drop, product } = await liveDrop({ stock: 5 })
    const buyer = await register(api)
    const path = `${V1}/drops/${drop.drop_id}`
    const body = { drop_id: drop.drop_id, items: [{ product_id: product.product_id, quantity: 1 }] }
    expect((await order(buyer.access_token, body)).status).toBe(201)
    expect((await api.get(path)).body.status).toBe('live')

    const denied = await api.put(path, { status: 'ended' }, (await newCreator()).token)
    expect(denied.status).toBe(403)

    const ended = await api.put(path, { status: 'ended' }, creator.token)
    expect(ended.status, JSON.stringify(ended.body)).toBe(200)
    expect(ended.body).toMatchObject({ drop_id: drop.drop_id, status: 'ended', remaining_inventory: 4 })
    expect((await api.get(path)).body.status).toBe('ended')

    const refused = await order(buyer.access_token, body)
    expect(refused.status).toBe(409)
    expect(refused.body.code).toBe('drop_not_live')
    expect((await inventory(drop.drop_id)).remaining_inventory).toBe(4)

    const again = await api.put(path, { status: 'ended' }, creator.token)
    expect(again.status).toBe(409)
    const edit = await api.put(path, { name: 'After the end' }, creator.token)
    expect(edit.status).toBe(409)
    expect(edit.body.code).toBe('drop_not_editable')
    expect(await outboxCount('drop.ended', drop.drop_id)).toBe(1)
  })

  it('starts a drop within 1 s of start_time and ends it within 1 s of end_time, once', async () => {
    const creator = await newCreator()
    const product = await createProduct(creator)
    const startAt = Date.now() + 2_000
    const endAt = startAt + 2_000
    const drop = await createDrop(creator, [{ product_id: product.product_id, initial_stock: 2 }], {
      start_time: new Date(startAt).toISOString(),
      end_time: new Date(endAt).toISOString(),
    })
    expect(drop.status).toBe('scheduled')
    const path = `${V1}/drops/${drop.drop_id}`

    const statusAt = async () => {
      const reply = await api.get(path)
      expect(reply.status).toBe(200)
      return { status: reply.body.status as string, at: Date.now() }
    }
    const live = await eventually(statusAt, (s) => s.status !== 'scheduled', 4_000, 20)
    expect(live.status).toBe('live')
    expect(live.at).toBeGreaterThanOrEqual(startAt)
    expect(live.at - startAt).toBeLessThanOrEqual(1_000)

    const buyer = await register(api)
    const placed = await order(buyer.access_token, {
      drop_id: drop.drop_id,
      items: [{ product_id: product.product_id, quantity: 1 }],
    })
    expect(placed.status, JSON.stringify(placed.body)).toBe(201)

    const ended = await eventually(statusAt, (s) => s.status !== 'live', 4_000, 20)
    expect(ended.status).toBe('ended')
    expect(ended.at).toBeGreaterThanOrEqual(endAt)
    expect(ended.at - endAt).toBeLessThanOrEqual(1_000)
    const late = await order(buyer.access_token, {
      drop_id: drop.drop_id,
      items: [{ product_id: product.product_id, quantity: 1 }],
    })
    expect(late.status).toBe(409)
    expect(late.body.code).toBe('drop_not_live')

    // More scheduler ticks change nothing: one start and one end, ever.
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(await outboxCount('drop.started', drop.drop_id)).toBe(1)
    expect(await outboxCount('drop.ended', drop.drop_id)).toBe(1)
    expect((await api.get(path)).body).toMatchObject({ status: 'ended', remaining_inventory: 1 })
  })

  it('counts a creator’s drops in creators.total_drops, eventually', async () => {
    const creator = await newCreator()
    const product = await createProduct(creator)
    for (let i = 0; i < 3; i++) {
      await createDrop(creator, [{ product_id: product.product_id, initial_stock: 1 }], {
        start_time: isoIn(3_600_000),
      })
    }
    const profile = await eventually(
      async () => (await api.get(`${V1}/creators/${creator.creatorId}`)).body,
      (c) => c.total_drops === 3,
      5_000,
    )
    expect(profile.total_drops).toBe(3)

    // Drops created at the same moment are all counted.
    await Promise.all(
      Array.from({ length: 30 }, () =>
        createDrop(creator, [{ product_id: product.product_id, initial_stock: 1 }], {
          start_time: isoIn(3_600_000),
        }),
      ),
    )
    const after = await eventually(
      async () => (await api.get(`${V1}/creators/${creator.creatorId}`)).body.total_drops as number,
      (n) => n === 33,
      5_000,
    ).catch(async (error) => {
      const listed = await api.get(`${V1}/drops?creator_id=${creator.creatorId}&limit=100`)
      throw new Error(`${(error as Error).message}; drops listed: ${listed.body.items.length}`)
    })
    expect(after).toBe(33)
  })

  it('describes the drops in the OpenAPI document', async () => {
    const doc = (await api.get('/docs/json')).body
    for (const [path, methods] of [
      ['/api/v1/drops', ['get', 'post']],
      ['/api/v1/drops/{drop_id}', ['get', 'put']],
      ['/api/v1/drops/{drop_id}/items', ['get']],
      ['/api/v1/drops/{drop_id}/inventory', ['get']],
    ] as const) {
      for (const method of methods) {
        expect(doc.paths[path]?.[method]?.tags, `${method} ${path}`).toEqual(['drops'])
      }
    }
  })
})
