import { afterAll, beforeAll, expect, it } from 'vitest'
import { DEMO_PASSWORD, type SeedResult, seed } from '../src/seed.js'
import { type Client, client } from './support/client.js'
import { describeShapes, startApp, type TestApp } from './support/engines.js'

describeShapes('livedrop seed --demo', (shape) => {
  let test: TestApp
  let api: Client
  let first: SeedResult
  const printed: string[] = []

  beforeAll(async () => {
    test = await startApp(shape)
    api = client(test.url)
    first = await seed(test.app.db, test.config, { demo: true, print: (line) => printed.push(line) })
  })
  afterAll(async () => {
    await test?.close()
  })

  it('creates products, one with variants, for every creator', async () => {
    expect(first.creators).toHaveLength(3)
    for (const { creator_id } of first.creators) {
      const reply = await api.get(`/api/v1/products?creator_id=${creator_id}`)
      expect(reply.status).toBe(200)
      expect(reply.body.items.length).toBeGreaterThanOrEqual(3)
      for (const product of reply.body.items) expect(product.images_urls[0]).toMatch(/^https:\/\//)
    }
    expect(first.products.some((p) => p.product.variants.length > 1)).toBe(true)
  })

  it('creates a live drop and one starting two minutes later per creator', async () => {
    const live = first.drops.filter((d) => d.drop.status === 'live')
    const scheduled = first.drops.filter((d) => d.drop.status === 'scheduled')
    expect(live).toHaveLength(3)
    expect(scheduled).toHaveLength(3)

    const liveReply = await api.get(`/api/v1/drops?status=live`)
    expect(liveReply.body.items.map((d: any) => d.drop_id).sort()).toEqual(
      live.map((d) => d.drop.drop_id).sort(),
    )
    const scheduledReply = await api.get(`/api/v1/drops?status=scheduled`)
    expect(scheduledReply.body.items).toHaveLength(3)
    for (const d of scheduledReply.body.items) {
      const startsIn = Date.parse(d.start_time) - Date.now()
      expect(startsIn).toBeGreaterThan(60_000)
      expect(startsIn).toBeLessThanOrEqual(120_000)
    }

    for (const { drop } of live) {
      const reply = await api.get(`/api/v1/drops/${drop.drop_id}`)
      expect(reply.status).toBe(200)
      expect(reply.body).toMatchObject({ status: 'live', per_user_limit: 2, low_stock_threshold: 10 })
      expect(Date.parse(reply.body.end_time) - Date.now()).toBeGreaterThan(3_600_000)
      const items = await api.get(`/api/v1/drops/${drop.drop_id}/items`)
      expect(items.body.items).toHaveLength(3)
      for (const item of items.body.items) {
        expect(item.initial_stock).toBeGreaterThanOrEqual(25)
        expect(item.initial_stock).toBeLessThanOrEqual(100)
      }
    }
    const text = printed.join('\n')
    expect(text).toContain(DEMO_PASSWORD)
    expect(text).toContain('alice@demo.livedrop.dev')
    for (const { drop } of first.drops) expect(text).toContain(`/api/v1/drops/${drop.drop_id}`)
  })

  it('lets a demo shopper buy from the live drop over HTTP', async () => {
    const login = await api.post('/api/v1/auth/login', {
      email: 'alice@demo.livedrop.dev',
      password: DEMO_PASSWORD,
    })
    expect(login.status).toBe(200)
    const token = login.body.access_token as string
    const drop = first.drops.find((d) => d.drop.status === 'live')!.drop
    const items = (await api.get(`/api/v1/drops/${drop.drop_id}/items`)).body.items
    const item = items[0]
    const order = await api.post(
      '/api/v1/orders',
      {
        drop_id: drop.drop_id,
        items: [{ product_id: item.product_id, variant_id: item.variant_id, quantity: 2 }],
      },
      token,
      { 'idempotency-key': 'seed-test-1' },
    )
    expect(order.status).toBe(201)
    expect(order.body).toMatchObject({ status: 'confirmed', drop_id: drop.drop_id })
    expect(order.body.total_amount).toBe(item.drop_price * 2)

    // The per-user limit of the demo drops is 2.
    const more = await api.post(
      '/api/v1/orders',
      {
        drop_id: drop.drop_id,
        items: [{ product_id: item.product_id, variant_id: item.variant_id, quantity: 1 }],
      },
      token,
      { 'idempotency-key': 'seed-test-2' },
    )
    expect(more.status).toBe(409)
    expect(more.body.code).toBe('purchase_limit_exceeded')

    const inventory = await api.get(`/api/v1/drops/${drop.drop_id}/inventory`)
    expect(inventory.body.remaining_inventory).toBe(drop.total_inventory - 2)
  })

  it('runs again without failing, keeping what is still usable', async () => {
    const lines: string[] = []
    const again = await seed(test.app.db, test.config, { demo: true, print: (line) => lines.push(line) })
    expect(again.products.every((p) => p.outcome === 'kept')).toBe(true)
    expect(again.drops.every((d) => d.outcome === 'kept')).toBe(true)
    expect(again.drops.map((d) => d.drop.drop_id).sort()).toEqual(
      first.drops.map((d) => d.drop.drop_id).sort(),
    )
    expect(lines.join('\n')).toContain('[kept]')
    const all = await api.get('/api/v1/drops?limit=100')
    expect(all.body.items).toHaveLength(6)
  })
})
