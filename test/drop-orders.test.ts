import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createUsersModule } from '../src/modules/users/index.js'
import { type Client, client, register } from './support/client.js'
import { describeShapes, startApp, type TestApp } from './support/engines.js'

const V1 = '/api/v1'
const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000'

describeShapes('a drop’s orders for its creator', (shape) => {
  let server: TestApp
  let api: Client

  beforeAll(async () => {
    server = await startApp(shape)
    api = client(server.url)
  })
  afterAll(() => server?.close())

  async function liveDrop(stock: number) {
    const maker = await register(api)
    const creator = await api.post(`${V1}/creators`, { creator_name: 'Orders Maker' }, maker.access_token)
    expect(creator.status).toBe(201)
    const product = await api.post(
      `${V1}/products`,
      { name: 'Listed Tee', base_price: 1000 },
      maker.access_token,
    )
    const drop = await api.post(
      `${V1}/drops`,
      {
        name: 'Listed Drop',
        start_time: new Date().toISOString(),
        end_time: new Date(Date.now() + 3_600_000).toISOString(),
        per_user_limit: 10,
        items: [{ product_id: product.body.product_id, drop_price: 900, initial_stock: stock }],
      },
      maker.access_token,
    )
    expect(drop.status).toBe(201)
    return { maker, dropId: drop.body.drop_id as string, productId: product.body.product_id as string }
  }

  async function buy(token: string, dropId: string, productId: string) {
    const reply = await api.request('POST', `${V1}/orders`, {
      token,
      body: { drop_id: dropId, items: [{ product_id: productId, quantity: 1 }] },
      headers: { 'idempotency-key': randomUUID() },
    })
    expect(reply.status, JSON.stringify(reply.body)).toBe(201)
    return reply.body.order_id as string
  }

  it('lists every order newest first, each exactly once across pages, for the creator and admins only', async () => {
    const { maker, dropId, productId } = await liveDrop(20)
    const other = await liveDrop(5)
    const buyer = await register(api)
    const placed: string[] = []
    for (let i = 0; i < 7; i++) placed.push(await buy(buyer.access_token, dropId, productId))
    await buy(buyer.access_token, other.dropId, other.productId)

    const seen: string[] = []
    let cursor: string | null = null
    do {
      const path = `${V1}/drops/${dropId}/orders?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
      const page: any = await api.get(path, maker.access_token)
      expect(page.status).toBe(200)
      expect(page.body.items.length).toBeLessThanOrEqual(3)
      for (const order of page.body.items) {
        expect(order.drop_id).toBe(dropId)
        expect(order.items).toHaveLength(1)
      }
      seen.push(...page.body.items.map((o: { order_id: string }) => o.order_id))
      cursor = page.body.next_cursor
    } while (cursor)
    expect(seen).toEqual([...placed].reverse())

    expect((await api.get(`${V1}/drops/${dropId}/orders`, buyer.access_token)).body.code).toBe('forbidden')
    expect((await api.get(`${V1}/drops/${dropId}/orders`, other.maker.access_token)).status).toBe(403)
    expect((await api.get(`${V1}/drops/${dropId}/orders`)).status).toBe(401)
    const unknown = await api.get(`${V1}/drops/${UNKNOWN_ID}/orders`, maker.access_token)
    expect(unknown.status).toBe(404)
    expect(unknown.body.code).toBe('not_found')
    const badCursor = await api.get(`${V1}/drops/${dropId}/orders?cursor=nope`, maker.access_token)
    expect(badCursor.status).toBe(400)

    const admin = await register(api)
    await createUsersModule(server.app.db).service.addRole(admin.user.user_id, 'admin')
    const login = await api.post(`${V1}/auth/login`, { email: admin.user.email, password: 'Correct-horse-9' })
    const asAdmin = await api.get(`${V1}/drops/${dropId}/orders?limit=100`, login.body.access_token)
    expect(asAdmin.status).toBe(200)
    expect(asAdmin.body.items).toHaveLength(7)
  })
})
