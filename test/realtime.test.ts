import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Client, client, register } from './support/client.js'
import { describeShapes, startApp, type TestApp } from './support/engines.js'
import { isoIn, shop, V1 } from './support/shop.js'
import { openSocket, wsUrl } from './support/socket.js'

describeShapes('realtime', (shape) => {
  let server: TestApp
  let api: Client
  const { newCreator, createProduct, createDrop, liveDrop, order } = shop(() => api)
  beforeAll(async () => {
    server = await startApp(shape)
    api = client(server.url)
  })
  afterAll(() => server?.close())

  it('sends a stock snapshot first, then stock.changed after an order and drop.sold_out at zero', async () => {
    const { drop, product } = await liveDrop({ stock: 2, perUserLimit: 2 })
    const watcher = await openSocket(wsUrl(server.url, `/ws/drops/${drop.drop_id}/stock`))
    const snapshot = await watcher.waitFor((m) => m.type === 'snapshot')
    expect(snapshot).toMatchObject({
      channel: `drop:${drop.drop_id}`,
      data: { remaining_inventory: 2, sold_out: false },
    })
    const buyer = await register(api)
    expect(
      (
        await order(buyer.access_token, {
          drop_id: drop.drop_id,
          items: [{ product_id: product.product_id, quantity: 1 }],
        })
      ).status,
    ).toBe(201)
    const changed = await watcher.waitFor(
      (m) => m.event === 'stock.changed' && m.data.remaining_inventory === 1,
    )
    expect(changed.seq).toBeGreaterThan(snapshot.seq!)
    expect(changed.data.items[0].available).toBe(1)
    expect(
      (
        await order(buyer.access_token, {
          drop_id: drop.drop_id,
          items: [{ product_id: product.product_id, quantity: 1 }],
        })
      ).status,
    ).toBe(201)
    const soldOut = await watcher.waitFor((m) => m.event === 'drop.sold_out')
    expect(soldOut.channel).toBe(`drop:${drop.drop_id}`)
    const events = watcher.messages.filter((m) => m.type === 'event')
    const seqs = events.map((m) => m.seq!)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    await watcher.close()
  })

  it('tells a follower that a creator’s scheduled drop started, and a buyer that the order is confirmed', async () => {
    const creator = await newCreator()
    const product = await createProduct(creator)
    const fan = await register(api)
    expect(
      (await api.post(`${V1}/follows`, { creator_id: creator.creatorId }, fan.access_token)).status,
    ).toBe(201)
    const socket = await openSocket(wsUrl(server.url, `/ws?access_token=${fan.access_token}`))
    await socket.waitFor((m) => m.type === 'snapshot' && m.channel === 'user')
    const drop = await createDrop(creator, [{ product_id: product.product_id, initial_stock: 5 }], {
      start_time: isoIn(1_500),
    })
    const started = await socket.waitFor((m) => m.event === 'drop.started', 5_000)
    expect(started).toMatchObject({
      channel: 'user',
      data: { drop_id: drop.drop_id, creator_id: creator.creatorId },
    })

    const placed = await order(fan.access_token, {
      drop_id: drop.drop_id,
      items: [{ product_id: product.product_id, quantity: 1 }],
    })
    expect(placed.status).toBe(201)
    const confirmed = await socket.waitFor((m) => m.event === 'order.confirmed')
    expect(confirmed.data.order_id).toBe(placed.body.order_id)
    await socket.close()
  })

  it('picks up a follow made while the socket is open', async () => {
    const creator = await newCreator()
    const product = await createProduct(creator)
    const fan = await register(api)
    const socket = await openSocket(wsUrl(server.url, '/ws'))
    socket.send({ type: 'auth', token: fan.access_token })
    await socket.waitFor((m) => m.type === 'snapshot' && m.channel === 'user')
    expect(
      (await api.post(`${V1}/follows`, { creator_id: creator.creatorId }, fan.access_token)).status,
    ).toBe(201)
    // The follow reaches the gateway through the outbox; give it a moment before the drop starts.
    await new Promise((resolve) => setTimeout(resolve, 600))
    const drop = await createDrop(creator, [{ product_id: product.product_id, initial_stock: 1 }])
    const started = await socket.waitFor((m) => m.event === 'drop.started' && m.data.drop_id === drop.drop_id)
    expect(started.channel).toBe('user')
    await socket.close()
  })

  it('resumes with since: exactly the missed events, or a fresh snapshot when they are gone', async () => {
    const { drop, product } = await liveDrop({ stock: 20, perUserLimit: 20 })
    const buyer = await register(api)
    const first = await openSocket(wsUrl(server.url, `/ws/drops/${drop.drop_id}/stock`))
    const snapshot = await first.waitFor((m) => m.type === 'snapshot')
    await first.close()
    for (let i = 0; i < 3; i++) {
      expect(
        (
          await order(buyer.access_token, {
            drop_id: drop.drop_id,
            items: [{ product_id: product.product_id, quantity: 1 }],
          })
        ).status,
      ).toBe(201)
      await new Promise((resolve) => setTimeout(resolve, 300))
    }
    const again = await openSocket(wsUrl(server.url, '/ws'))
    again.send({ type: 'subscribe', channel: `drop:${drop.drop_id}`, since: snapshot.seq })
    const caughtUp = await again.waitFor(
      (m) => m.event === 'stock.changed' && m.data.remaining_inventory === 17,
    )
    expect(again.messages.some((m) => m.type === 'snapshot')).toBe(false)
    const missed = again.messages.filter((m) => m.type === 'event')
    expect(missed.every((m) => m.seq! > snapshot.seq!)).toBe(true)
    expect(caughtUp.seq).toBeGreaterThan(snapshot.seq!)
    again.send({ type: 'subscribe', channel: `drop:${drop.drop_id}`, since: 0 })
    const fresh = await again.waitFor((m) => m.type === 'snapshot')
    expect(fresh.data.remaining_inventory).toBe(17)
    await again.close()
  })

  it('answers bad frames with an error and keeps the socket open', async () => {
    const socket = await openSocket(wsUrl(server.url, '/ws'))
    const cases: [unknown, string][] = [
      ['not json', 'bad_frame'],
      ['[1,2]', 'bad_frame'],
      [{ type: 'dance' }, 'unknown_type'],
      [{ type: 'subscribe', channel: 'nope' }, 'invalid_channel'],
      [{ type: 'subscribe', channel: 'drop:not-a-uuid' }, 'invalid_channel'],
      [{ type: 'subscribe', channel: 'user' }, 'unauthenticated'],
      [{ type: 'subscribe', channel: 'drop:01900000-0000-7000-8000-000000000000' }, 'not_found'],
      [{ type: 'subscribe', channel: 'drop:01900000-0000-7000-8000-000000000000', since: -1 }, 'bad_frame'],
      [{ type: 'auth', token: 'forged' }, 'unauthenticated'],
    ]
    for (const [frame, code] of cases) {
      const from = socket.messages.length
      socket.send(frame)
      const answer = await socket.waitFor(() => true, 3_000, from)
      expect(answer, JSON.stringify(frame)).toMatchObject({ type: 'error', code })
    }
    socket.send({ type: 'ping' })
    await socket.waitFor((m) => m.type === 'pong')
    await socket.close()
  })

  it('refuses a bad access token before the upgrade', async () => {
    await expect(openSocket(wsUrl(server.url, '/ws?access_token=forged'))).rejects.toThrow(/401/)
  })
})
