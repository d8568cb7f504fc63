import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { createCatalogModule } from '../src/modules/catalog/index.js'
import { rowsOf } from '../src/platform/db/index.js'
import { type Client, client, register } from './support/client.js'
import { describeShapes, startApp, type TestApp } from './support/engines.js'

const V1 = '/api/v1'
/** A well-formed UUIDv7 that no row ever gets. */
const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000'
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const PRODUCT_FIELDS = [
  'base_price',
  'category',
  'created_at',
  'creator_id',
  'currency',
  'description',
  'images_urls',
  'is_active',
  'name',
  'product_id',
  'updated_at',
  'variants',
]

type Session = Awaited<ReturnType<typeof register>>
interface Creator {
  session: Session
  token: string
  creatorId: string
}

describeShapes('catalog', (shape) => {
  let server: TestApp
  let api: Client

  async function newCreator(): Promise<Creator> {
    const session = await register(api)
    const reply = await api.post(
      `${V1}/creators`,
      { creator_name: `Maker ${session.user.username}` },
      session.access_token,
    )
    expect(reply.status).toBe(201)
    return { session, token: session.access_token, creatorId: reply.body.creator_id }
  }

  async function createProduct(creator: Creator, body: Record<string, unknown>) {
    const reply = await api.post(`${V1}/products`, { base_price: 1000, ...body }, creator.token)
    expect(reply.status, JSON.stringify(reply.body)).toBe(201)
    return reply.body
  }

  /** Every item of a list, following next_cursor; fails on a page larger than the limit. */
  async function walk(path: string, limit: number, during?: (page: number) => Promise<void>) {
    const items: any[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const sep = path.includes('?') ? '&' : '?'
      const page: any = await api.get(
        `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      )
      expect(page.status, JSON.stringify(page.body)).toBe(200)
      expect(page.body.items.length).toBeLessThanOrEqual(limit)
      items.push(...page.body.items)
      cursor = page.body.next_cursor
      pages += 1
      await during?.(pages)
    } while (cursor)
    return items
  }

  async function outboxRows(productId: string) {
    return rowsOf<{ topic: string; payload: unknown }>(
      await server.app.db.primary.execute(
        sql`SELECT topic, payload FROM outbox WHERE key = ${productId} ORDER BY created_at, id`,
      ),
    ).map((row) => ({
      topic: row.topic,
      payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload,
    }))
  }

  beforeAll(async () => {
    server = await startApp(shape)
    api = client(server.url)
  })
  afterAll(() => server?.close())

  it('creates a product with one default variant when none are given', async () => {
    const creator = await newCreator()
    const reply = await api.post(
      `${V1}/products`,
      { name: '  Canvas Tote  ', base_price: 2500 },
      creator.token,
    )
    expect(reply.status).toBe(201)
    const product = reply.body
    expect(Object.keys(product).sort()).toEqual(PRODUCT_FIELDS)
    expect(product).toMatchObject({
      creator_id: creator.creatorId,
      name: 'Canvas Tote',
      description: null,
      base_price: 2500,
      currency: 'USD',
      category: null,
      images_urls: [],
      is_active: true,
    })
    expect(product.product_id).toMatch(UUID_V7)
    expect(product.created_at).toMatch(ISO)
    expect(product.updated_at).toMatch(ISO)
    expect(product.variants).toHaveLength(1)
    expect(product.variants[0]).toMatchObject({ sku: 'default', name: 'Default' })
    expect(product.variants[0].variant_id).toMatch(UUID_V7)
  })

  it('creates a product with its variants, in the order given', async () => {
    const creator = await newCreator()
    const product = await createProduct(creator, {
      name: 'Logo Tee',
      description: 'Heavy cotton',
      base_price: 0,
      currency: 'EUR',
      category: 'apparel',
      images_urls: ['https://img.example.test/tee.png', 'http://img.example.test/tee-back.png'],
      variants: [
        { sku: 'TEE-S', name: 'Small' },
        { sku: 'TEE-M', name: 'Medium' },
        { sku: 'TEE-L', name: 'Large' },
      ],
    })
    expect(product).toMatchObject({
      description: 'Heavy cotton',
      base_price: 0,
      currency: 'EUR',
      category: 'apparel',
      images_urls: ['https://img.example.test/tee.png', 'http://img.example.test/tee-back.png'],
    })
    expect(product.variants.map((v: any) => v.sku)).toEqual(['TEE-S', 'TEE-M', 'TEE-L'])
    expect(new Set(product.variants.map((v: any) => v.variant_id)).size).toBe(3)
  })

  it('answers 403 to a user without a creator profile and 401 without a valid token', async () => {
    const shopper = await register(api)
    const body = { name: 'Not allowed', base_price: 100 }
    const denied = await api.post(`${V1}/products`, body, shopper.access_token)
    expect(denied.status).toBe(403)
    expect(denied.body.code).toBe('forbidden')
    expect(denied.headers.get('content-type')).toContain('application/problem+json')
    for (const token of [undefined, 'garbage']) {
      const anonymous = await api.post(`${V1}/products`, body, token)
      expect(anonymous.status).toBe(401)
      expect(anonymous.body.code).toBe('unauthenticated')
    }
  })

  it('rejects invalid products with 400 validation_failed and creates nothing', async () => {
    const creator = await newCreator()
    const bad: Record<string, unknown>[] = [
      { name: 'Negative', base_price: -1 },
      { name: 'Fraction', base_price: 9.99 },
      { name: 'Text price', base_price: '100' },
      { name: 'Lower currency', base_price: 100, currency: 'usd' },
      { name: 'Short currency', base_price: 100, currency: 'US' },
      { name: 'Long currency', base_price: 100, currency: 'EURO' },
      { name: 'FTP image', base_price: 100, images_urls: ['ftp://img.example.test/a.png'] },
      { name: 'Not a URL', base_price: 100, images_urls: ['not a url'] },
      { name: 'Unknown field', base_price: 100, colour: 'red' },
      { name: 'Unknown variant field', base_price: 100, variants: [{ sku: 'a', name: 'A', stock: 3 }] },
      { name: 'No variants', base_price: 100, variants: [] },
      { name: 'Blank sku', base_price: 100, variants: [{ sku: ' ', name: 'A' }] },
      { name: '   ', base_price: 100 },
      { base_price: 100 },
      { name: 'No price' },
    ]
    for (const body of bad) {
      const reply = await api.post(`${V1}/products`, body, creator.token)
      expect(reply.status, JSON.stringify(body)).toBe(400)
      expect(reply.body.code).toBe('validation_failed')
      expect(reply.body.errors.length).toBeGreaterThan(0)
    }
    const duplicate = await api.post(
      `${V1}/products`,
      {
        name: 'Duplicate skus',
        base_price: 100,
        variants: [
          { sku: 'X-1', name: 'One' },
          { sku: 'X-2', name: 'Two' },
          { sku: 'X-1', name: 'Again' },
        ],
      },
      creator.token,
    )
    expect(duplicate.status).toBe(400)
    expect(duplicate.body.code).toBe('validation_failed')
    expect(duplicate.body.errors).toEqual([{ path: 'body/variants/2/sku', message: expect.any(String) }])

    const listed = await api.get(`${V1}/products?creator_id=${creator.creatorId}`)
    expect(listed.body.items).toEqual([])
  })

  it('gets a product by id; unknown ids are 404, malformed ones 400', async () => {
    const creator = await newCreator()
    const created = await createProduct(creator, {
      name: 'Enamel Pin',
      variants: [
        { sku: 'PIN-GOLD', name: 'Gold' },
        { sku: 'PIN-SILVER', name: 'Silver' },
      ],
    })
    const reply = await api.get(`${V1}/products/${created.product_id}`)
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual(created)
    // The second read is served from the cache and must look the same.
    expect((await api.get(`${V1}/products/${created.product_id}`)).body).toEqual(created)

    const missing = await api.get(`${V1}/products/${UNKNOWN_ID}`)
    expect(missing.status).toBe(404)
    expect(missing.body.code).toBe('not_found')
    const malformed = await api.get(`${V1}/products/not-a-uuid`)
    expect(malformed.status).toBe(400)
    expect(malformed.body.code).toBe('validation_failed')
  })

  it('lists newest first; a cursor walk yields every product exactly once while products are added', async () => {
    const creator = await newCreator()
    const created: string[] = []
    for (let i = 0; i < 7; i++)
      created.push((await createProduct(creator, { name: `Walk item ${i}` })).product_id)
    const newestFirst = [...created].reverse()

    const addedDuring: string[] = []
    const walked = await walk(`${V1}/products?creator_id=${creator.creatorId}`, 3, async (page) => {
      if (page === 1) addedDuring.push((await createProduct(creator, { name: 'Added mid-walk' })).product_id)
    })
    // The product added after the first page is newer than everything walked, so it is not in this walk.
    expect(walked.map((p) => p.product_id)).toEqual(newestFirst)

    const again = await walk(`${V1}/products?creator_id=${creator.creatorId}`, 2)
    expect(again.map((p) => p.product_id)).toEqual([...addedDuring, ...newestFirst])

    // The unfiltered list holds every product of every creator once, newest first.
    const everything = await walk(`${V1}/products`, 5)
    const ids = everything.map((p) => p.product_id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of [...created, ...addedDuring]) expect(ids).toContain(id)
    const stamps = everything.map((p) => `${p.created_at}|${p.product_id}`)
    expect(stamps).toEqual([...stamps].sort().reverse())
  })

  it('filters by creator_id, category and active_only, and rejects bad filters', async () => {
    const alice = await newCreator()
    const bob = await newCreator()
    const hat = await createProduct(alice, { name: 'Filter Hat', category: 'Headwear' })
    const scarf = await createProduct(alice, { name: 'Filter Scarf', category: 'neckwear' })
    const bobs = await createProduct(bob, { name: 'Bob Hat', category: 'headwear' })
    const retired = await api.put(`${V1}/products/${scarf.product_id}`, { is_active: false }, alice.token)
    expect(retired.status).toBe(200)

    const ofAlice = await api.get(`${V1}/products?creator_id=${alice.creatorId}`)
    expect(ofAlice.body.items.map((p: any) => p.product_id)).toEqual([scarf.product_id, hat.product_id])

    const headwear = await api.get(`${V1}/products?category=HEADWEAR&limit=100`)
    const headwearIds = headwear.body.items.map((p: any) => p.product_id)
    expect(headwearIds).toContain(hat.product_id)
    expect(headwearIds).toContain(bobs.product_id)
    expect(headwearIds).not.toContain(scarf.product_id)

    const aliceHeadwear = await api.get(`${V1}/products?creator_id=${alice.creatorId}&category=headwear`)
    expect(aliceHeadwear.body.items.map((p: any) => p.product_id)).toEqual([hat.product_id])

    const active = await api.get(`${V1}/products?creator_id=${alice.creatorId}&active_only=true`)
    expect(active.body.items.map((p: any) => p.product_id)).toEqual([hat.product_id])
    const all = await api.get(`${V1}/products?creator_id=${alice.creatorId}&active_only=false`)
    expect(all.body.items).toHaveLength(2)

    for (const query of [
      'creator_id=not-a-uuid',
      'active_only=maybe',
      'limit=0',
      'limit=101',
      'page=0',
      'colour=red',
      'cursor=garbage',
      'q=',
    ]) {
      const reply = await api.get(`${V1}/products?${query}`)
      expect(reply.status, query).toBe(400)
      expect(reply.body.code).toBe('validation_failed')
    }
  })

  it('page= skips (page - 1) * limit items and hands back a cursor that continues after the page', async () => {
    const creator = await newCreator()
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await createProduct(creator, { name: `Paged ${i}` })).product_id)
    const newestFirst = ids.reverse()
    const base = `${V1}/products?creator_id=${creator.creatorId}&limit=2`

    const second = await api.get(`${base}&page=2`)
    expect(second.status).toBe(200)
    expect(second.body.items.map((p: any) => p.product_id)).toEqual(newestFirst.slice(2, 4))
    expect(second.body.next_cursor).toEqual(expect.any(String))
    const rest = await api.get(`${base}&cursor=${encodeURIComponent(second.body.next_cursor)}`)
    expect(rest.body.items.map((p: any) => p.product_id)).toEqual(newestFirst.slice(4))
    expect(rest.body.next_cursor).toBeNull()

    const last = await api.get(`${base}&page=3`)
    expect(last.body.items.map((p: any) => p.product_id)).toEqual(newestFirst.slice(4))
    expect(last.body.next_cursor).toBeNull()
    const beyond = await api.get(`${base}&page=9`)
    expect(beyond.body).toEqual({ items: [], next_cursor: null })

    const both = await api.get(`${base}&page=2&cursor=${encodeURIComponent(second.body.next_cursor)}`)
    expect(both.status).toBe(400)
    expect(both.body.code).toBe('validation_failed')
  })

  it('ranks search results by relevance, best match first, and tolerates typos', async () => {
    const creator = await newCreator()
    const only = `creator_id=${creator.creatorId}`
    const deluxe = await createProduct(creator, { name: 'Black Hoodie Deluxe Edition' })
    const tee = await createProduct(creator, {
      name: 'Plain Tee',
      description: 'Soft cotton; pairs well with any hoodie',
    })
    const hoodie = await createProduct(creator, { name: 'Hoodie', category: 'apparel' })
    const mug = await createProduct(creator, { name: 'Coffee Mug', category: 'kitchen' })

    const search = async (q: string) => {
      const reply = await api.get(`${V1}/products?${only}&q=${encodeURIComponent(q)}`)
      expect(reply.status, q).toBe(200)
      return reply.body.items.map((p: any) => p.product_id) as string[]
    }

    expect(await search('hoodie')).toEqual([hoodie.product_id, deluxe.product_id, tee.product_id])
    expect(await search('HOODIE')).toEqual([hoodie.product_id, deluxe.product_id, tee.product_id])
    for (const typo of ['hodie', 'hoodei', 'hoody']) {
      const found = await search(typo)
      expect(found[0], typo).toBe(hoodie.product_id)
      expect(found, typo).toContain(deluxe.product_id)
      expect(found, typo).not.toContain(mug.product_id)
    }
    // Every word counts, as in full-text search: the plain Hoodie is not black.
    expect(await search('black hodie')).toEqual([deluxe.product_id])
    expect((await search('cofee mug'))[0]).toBe(mug.product_id)
    expect(await search('kitchen')).toEqual([mug.product_id])
    expect(await search('cotton')).toEqual([tee.product_id])
    expect(await search('zebra')).toEqual([])
    expect(await search('!!!')).toEqual([])
    // Search syntax is never an error, whatever the text.
    for (const odd of ["'", 'a & b | !c', '"unclosed', 'tee:*', '-hoodie', 'or', '\\', '%_', '💥 hoodie']) {
      await search(odd)
    }

    // Search combines with the other filters; the unfiltered search finds the best match too.
    const anyone = await api.get(`${V1}/products?q=hoodie&limit=100`)
    expect(anyone.body.items.map((p: any) => p.product_id)).toContain(hoodie.product_id)
  })

  it('walks ranked results with cursors: every match once, in rank order, even while products are added', async () => {
    const creator = await newCreator()
    const only = `creator_id=${creator.creatorId}`
    for (const name of ['Sticker', 'Sticker Pack', 'Holographic Sticker Sheet', 'Big Sticker Bundle']) {
      await createProduct(creator, { name })
    }
    const ranked = await api.get(`${V1}/products?${only}&q=sticker&limit=100`)
    expect(ranked.body.items).toHaveLength(4)
    expect(ranked.body.items[0].name).toBe('Sticker')
    expect(ranked.body.next_cursor).toBeNull()

    const walked = await walk(`${V1}/products?${only}&q=sticker`, 1, async (page) => {
      // A new, perfect match after the first page must not shift the walk.
      if (page === 1) await createProduct(creator, { name: 'Sticker' })
    })
    expect(walked.map((p) => p.product_id)).toEqual(ranked.body.items.map((p: any) => p.product_id))

    const paged = await api.get(`${V1}/products?${only}&q=sticker&limit=2&page=2`)
    expect(paged.status).toBe(200)
    expect(paged.body.items).toHaveLength(2)
    expect(paged.body.next_cursor).toEqual(expect.any(String))

    // A newest-first cursor is not a ranked one, and the other way round.
    const keyset = await api.get(`${V1}/products?${only}&limit=1`)
    const mixed = await api.get(`${V1}/products?${only}&q=sticker&cursor=${keyset.body.next_cursor}`)
    expect(mixed.status).toBe(400)
    expect(mixed.body.code).toBe('validation_failed')
  })

  it('lets the owner update fields and add variants; variant ids never change', async () => {
    const creator = await newCreator()
    const created = await createProduct(creator, {
      name: 'Cap',
      description: 'Cotton cap',
      category: 'headwear',
      variants: [
        { sku: 'CAP-RED', name: 'Red' },
        { sku: 'CAP-BLUE', name: 'Blue' },
      ],
    })
    const [red, blue] = created.variants

    const reply = await api.put(
      `${V1}/products/${created.product_id}`,
      {
        name: 'Dad Cap',
        base_price: 1800,
        currency: 'GBP',
        description: null,
        images_urls: ['https://img.example.test/cap.png'],
        variants: [
          { sku: 'CAP-BLUE', name: 'Navy' },
          { sku: 'CAP-GREEN', name: 'Green' },
        ],
      },
      creator.token,
    )
    expect(reply.status, JSON.stringify(reply.body)).toBe(200)
    const updated = reply.body
    expect(updated).toMatchObject({
      product_id: created.product_id,
      creator_id: creator.creatorId,
      name: 'Dad Cap',
      base_price: 1800,
      currency: 'GBP',
      description: null,
      category: 'headwear',
      images_urls: ['https://img.example.test/cap.png'],
      is_active: true,
      created_at: created.created_at,
    })
    expect(Date.parse(updated.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at))
    expect(updated.variants).toEqual([
      red,
      { ...blue, name: 'Navy' },
      { variant_id: expect.stringMatching(UUID_V7), sku: 'CAP-GREEN', name: 'Green' },
    ])

    const partial = await api.put(`${V1}/products/${created.product_id}`, { is_active: false }, creator.token)
    expect(partial.status).toBe(200)
    expect(partial.body).toMatchObject({ name: 'Dad Cap', base_price: 1800, is_active: false })
    expect(partial.body.variants).toEqual(updated.variants)

    for (const body of [
      {},
      { colour: 'red' },
      { base_price: -5 },
      { name: null },
      { currency: 'gbp' },
      { images_urls: ['javascript:alert(1)'] },
      {
        variants: [
          { sku: 'CAP-X', name: 'X' },
          { sku: 'CAP-X', name: 'X again' },
        ],
      },
    ]) {
      const invalid = await api.put(`${V1}/products/${created.product_id}`, body, creator.token)
      expect(invalid.status, JSON.stringify(body)).toBe(400)
      expect(invalid.body.code).toBe('validation_failed')
    }
    expect((await api.get(`${V1}/products/${created.product_id}`)).body).toEqual(partial.body)
  })

  it('lets only the owner update: 403 for another creator or a shopper, 401 anonymous, 404 unknown', async () => {
    const owner = await newCreator()
    const other = await newCreator()
    const shopper = await register(api)
    const product = await createProduct(owner, { name: 'Guarded' })
    const path = `${V1}/products/${product.product_id}`

    for (const token of [other.token, shopper.access_token]) {
      const denied = await api.put(path, { name: 'Stolen' }, token)
      expect(denied.status).toBe(403)
      expect(denied.body.code).toBe('forbidden')
    }
    const anonymous = await api.put(path, { name: 'Stolen' })
    expect(anonymous.status).toBe(401)
    expect(anonymous.body.code).toBe('unauthenticated')
    const unknown = await api.put(`${V1}/products/${UNKNOWN_ID}`, { name: 'Ghost' }, owner.token)
    expect(unknown.status).toBe(404)
    expect(unknown.body.code).toBe('not_found')

    expect((await api.get(path)).body).toEqual(product)
    expect((await outboxRows(product.product_id)).map((r) => r.topic)).toEqual(['product.created'])
  })

  it('shows an update to the next read at once, though the product was cached', async () => {
    const creator = await newCreator()
    const product = await createProduct(creator, { name: 'Cached Poster', base_price: 1500 })
    const path = `${V1}/products/${product.product_id}`
    expect((await api.get(path)).body.base_price).toBe(1500)
    expect(await server.app.cache.get(`product:${product.product_id}`)).toMatchObject({ base_price: 1500 })

    for (const price of [1400, 1300, 1200]) {
      expect((await api.put(path, { base_price: price }, creator.token)).status).toBe(200)
      expect((await api.get(path)).body.base_price).toBe(price)
    }
  })

  /** A catalog event as another process's relay would put it on the bus. */
  const announceFromElsewhere = (topic: string, product: { product_id: string }, id: string) =>
    server.app.bus.publish([
      { id, topic, key: product.product_id, payload: product, created_at: new Date().toISOString() },
    ])

  it('drops the cached product when a product.updated event arrives from elsewhere', async () => {
    const creator = await newCreator()
    const product = await createProduct(creator, { name: 'Event Mug' })
    const key = `product:${product.product_id}`
    await server.app.cache.set(key, { ...product, name: 'Stale Mug' }, 60_000)
    expect((await api.get(`${V1}/products/${product.product_id}`)).body.name).toBe('Stale Mug')

    await announceFromElsewhere('product.updated', product, '01900000-0000-7000-8000-0000000000aa')
    expect((await api.get(`${V1}/products/${product.product_id}`)).body.name).toBe('Event Mug')
  })

  it("caches a creator's product list, and shows a new product and an update to the next read at once", async () => {
    const creator = await newCreator()
    const first = await createProduct(creator, { name: 'Listed Cap' })
    const path = `${V1}/products?creator_id=${creator.creatorId}`
    const names = async () => (await api.get(path)).body.items.map((p: any) => p.name)
    expect(await names()).toEqual(['Listed Cap'])
    const generation = `products:list-generation:${creator.creatorId}`
    expect(await server.app.cache.get(generation)).toBeDefined()

    await createProduct(creator, { name: 'Listed Tee' })
    expect(await names()).toEqual(['Listed Tee', 'Listed Cap'])
    const renamed = await api.put(
      `${V1}/products/${first.product_id}`,
      { name: 'Listed Beanie' },
      creator.token,
    )
    expect(renamed.status).toBe(200)
    expect(await names()).toEqual(['Listed Tee', 'Listed Beanie'])
    expect((await api.get(`${path}&active_only=true&limit=1`)).body.items).toHaveLength(1)
  })

  it("drops a creator's cached list pages when a product event arrives from elsewhere", async () => {
    const creator = await newCreator()
    const product = await createProduct(creator, { name: 'Event Cap' })
    const generation = `products:list-generation:${creator.creatorId}`
    // The product's own product.created may land after the first read and drop what it cached.
    await vi.waitFor(async () => {
      await api.get(`${V1}/products?creator_id=${creator.creatorId}`)
      expect(await server.app.cache.get(generation)).toBeDefined()
    })
    const before = await server.app.cache.get(generation)

    await announceFromElsewhere('product.created', product, '01900000-0000-7000-8000-0000000000ab')
    // The event reaches the handler through the bus (NATS on the distributed shape).
    await vi.waitFor(async () => expect(await server.app.cache.get(generation)).toBeUndefined())
    await api.get(`${V1}/products?creator_id=${creator.creatorId}`)
    expect(await server.app.cache.get(generation)).not.toEqual(before)
  })

  it('writes exactly one outbox event per change, carrying the product as the API returns it', async () => {
    const creator = await newCreator()
    const product = await createProduct(creator, { name: 'Outbox Lamp' })
    const first = await api.put(
      `${V1}/products/${product.product_id}`,
      { name: 'Outbox Lamp II' },
      creator.token,
    )
    const second = await api.put(
      `${V1}/products/${product.product_id}`,
      { variants: [{ sku: 'LAMP-W', name: 'White' }] },
      creator.token,
    )
    // Rejected changes leave no trace.
    await api.put(`${V1}/products/${product.product_id}`, { base_price: -1 }, creator.token)

    const rows = await outboxRows(product.product_id)
    expect(rows.map((r) => r.topic)).toEqual(['product.created', 'product.updated', 'product.updated'])
    expect(rows[0]!.payload).toEqual(product)
    expect(rows[1]!.payload).toEqual(first.body)
    expect(rows[2]!.payload).toEqual(second.body)
    expect((await api.get(`${V1}/products/${product.product_id}`)).body).toEqual(second.body)
  })

  it('serves products by id to other modules, variants in position order', async () => {
    const creator = await newCreator()
    const product = await createProduct(creator, {
      name: 'Drop Candidate',
      base_price: 4200,
      variants: [
        { sku: 'B', name: 'Second letter' },
        { sku: 'A', name: 'First letter' },
      ],
    })
    await api.put(
      `${V1}/products/${product.product_id}`,
      { variants: [{ sku: 'C', name: 'C' }] },
      creator.token,
    )
    const { service } = createCatalogModule({
      db: server.app.db,
      cache: server.app.cache,
      bus: server.app.bus,
      creators: { byUser: async () => undefined },
    })
    const found = await service.productsByIds([
      product.product_id,
      UNKNOWN_ID,
      'not-a-uuid',
      product.product_id,
    ])
    expect([...found.keys()]).toEqual([product.product_id])
    expect(found.get(product.product_id)).toEqual({
      product_id: product.product_id,
      creator_id: creator.creatorId,
      name: 'Drop Candidate',
      base_price: 4200,
      currency: 'USD',
      is_active: true,
      variants: [
        { variant_id: product.variants[0].variant_id, sku: 'B', name: 'Second letter' },
        { variant_id: product.variants[1].variant_id, sku: 'A', name: 'First letter' },
        { variant_id: expect.stringMatching(UUID_V7), sku: 'C', name: 'C' },
      ],
    })
    expect((await service.productsByIds([])).size).toBe(0)
  })

  it('describes the catalog in the OpenAPI document', async () => {
    const doc = (await api.get('/docs/json')).body
    for (const [path, methods] of [
      ['/api/v1/products', ['get', 'post']],
      ['/api/v1/products/{product_id}', ['get', 'put']],
    ] as const) {
      for (const method of methods) {
        expect(doc.paths[path]?.[method]?.tags, `${method} ${path}`).toEqual(['catalog'])
      }
    }
    expect(doc.paths['/api/v1/products'].post.responses['201']).toBeDefined()
  })
})
