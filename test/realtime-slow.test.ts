import type net from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Client, client, register } from './support/client.js'
import { describeShapes, startApp, type TestApp } from './support/engines.js'
import { eventually, shop, V1 } from './support/shop.js'
import { type Message, openSocket, type TestSocket, wsUrl } from './support/socket.js'

const MAX_BUFFERED = 65_536
const DROPS = 12
const VARIANTS = 100
/** The most lines one order may have. */
const LINES = 50

/**
 * A socket that stops reading must not hold the others back: once more than WS_MAX_BUFFERED_BYTES
 * wait in the server for it, the server closes it, and a reader beside it on the same gateway
 * still gets every event.
 *
 * Before the server's own buffer grows at all, the kernel's socket buffers fill up, and on loopback
 * (64 KiB segments) they take a few MB. So the traffic is heavy: drops of 100 variants, whose stock
 * frames are about 11 kB, and a buyer ordering and cancelling 50 units at a time on all of them,
 * whose order.confirmed / order.cancelled frames (about 7 kB) reach the buyer's own sockets.
 */
describeShapes('realtime slow consumers', (shape) => {
  let server: TestApp
  let api: Client
  const sockets: TestSocket[] = []
  const { newCreator, createProduct, createDrop, order, inventory } = shop(() => api)
  /** The server's side of each TCP connection, by the client's port. */
  const serverSide = new Map<number, net.Socket>()

  beforeAll(async () => {
    server = await startApp(shape, {
      WS_MAX_BUFFERED_BYTES: String(MAX_BUFFERED),
      // Only the buffer limit may close the paused socket, not a missed heartbeat.
      WS_HEARTBEAT_MS: '600000',
    })
    api = client(server.url)
    server.app.http.server.on('connection', (socket: net.Socket) =>
      serverSide.set(socket.remotePort!, socket),
    )
  })
  afterAll(async () => {
    for (const socket of sockets) socket.socket.terminate()
    await server?.close()
  })

  it('closes a watcher that stopped reading, while the one beside it receives every event', async () => {
    const creator = await newCreator()
    const product = await createProduct(creator, {
      variants: Array.from({ length: VARIANTS }, (_, i) => ({ sku: `v${i}`, name: `Variant ${i}` })),
    })
    const variantIds: string[] = product.variants.map((v: { variant_id: string }) => v.variant_id)
    const drops: { dropId: string; productId: string; variantIds: string[] }[] = []
    for (let d = 0; d < DROPS; d++) {
      const drop = await createDrop(
        creator,
        variantIds.map((variant_id) => ({ product_id: product.product_id, variant_id, initial_stock: 10 })),
        // Every order (50 of 1,000 units) crosses the threshold, every cancel goes back above it.
        { per_user_limit: 1000, low_stock_threshold: 960 },
      )
      drops.push({ dropId: drop.drop_id, productId: product.product_id, variantIds })
    }

    // Two sockets of the same buyer, each watching every drop: one stops reading, one keeps up.
    const buyer = await register(api)
    const watch = async () => {
      const socket = await openSocket(wsUrl(server.url, `/ws?access_token=${buyer.access_token}`))
      sockets.push(socket)
      for (const { dropId } of drops) socket.send({ type: 'subscribe', channel: `drop:${dropId}` })
      await socket.waitFor((m) => m.type === 'snapshot' && m.channel === 'user')
      for (const { dropId } of drops) {
        await socket.waitFor((m) => m.type === 'snapshot' && m.channel === `drop:${dropId}`)
      }
      return socket
    }
    const slow = await watch()
    const normal = await watch()
    const slowServerSide = serverSide.get((slow.socket as any)._socket.localPort)
    expect(slowServerSide).toBeDefined()
    let closedByServer = false
    slowServerSide!.once('close', () => {
      closedByServer = true
    })
    ;(slow.socket as any)._socket.pause()

    // Each of the buyer's sessions owns two drops: it orders 50 units on each, then cancels both,
    // until the server gives up on the slow socket; then one more round, whose figures come after.
    const placed: string[] = []
    const cancelled: string[] = []
    const ordersOn = new Map<string, number>()
    const round = async (owned: typeof drops, n: number) => {
      const made: string[] = []
      for (const drop of owned) {
        const lines = drop.variantIds
          .slice((n % 2) * LINES, (n % 2) * LINES + LINES)
          .map((variant_id) => ({ product_id: drop.productId, variant_id, quantity: 1 }))
        const reply = await order(buyer.access_token, { drop_id: drop.dropId, items: lines })
        expect(reply.status, JSON.stringify(reply.body)).toBe(201)
        placed.push(reply.body.order_id)
        made.push(reply.body.order_id)
        ordersOn.set(drop.dropId, (ordersOn.get(drop.dropId) ?? 0) + 1)
      }
      for (const orderId of made) {
        const reply = await api.put(`${V1}/orders/${orderId}`, { status: 'cancelled' }, buyer.access_token)
        expect(reply.status, JSON.stringify(reply.body)).toBe(200)
        cancelled.push(orderId)
      }
    }
    const sessions = Array.from({ length: DROPS / 2 }, (_, i) => drops.slice(i * 2, i * 2 + 2))
    const deadline = Date.now() + 45_000
    let rounds = 0
    await Promise.all(
      sessions.map(async (owned) => {
        for (let n = 0; !closedByServer && Date.now() < deadline; n++) {
          await round(owned, n)
          rounds += 1
        }
      }),
    )
    expect(closedByServer, 'the server closes the slow socket').toBe(true)
    const requestsBeforeClose = placed.length + cancelled.length
    await Promise.all(sessions.map((owned) => round(owned, 0)))
    // One order stays, so one drop's last figures differ from its first.
    const kept = await order(buyer.access_token, {
      drop_id: drops[0]!.dropId,
      items: [{ product_id: product.product_id, variant_id: variantIds[0], quantity: 1 }],
    })
    expect(kept.status).toBe(201)
    placed.push(kept.body.order_id)

    // Every order's own events reach the normal socket, each once; every drop's latest figures too
    // (stock changes are conflated, so figures in between may be merged).
    const events = () => normal.messages.filter((m) => m.type === 'event')
    const ids = (event: string) =>
      events()
        .filter((m) => m.channel === 'user' && m.event === event)
        .map((m) => m.data.order_id as string)
    await normal.waitFor(
      (m) => m.event === 'order.confirmed' && m.data.order_id === kept.body.order_id,
      10_000,
    )
    await normal.waitFor((m) => m.event === 'order.cancelled' && m.data.order_id === cancelled.at(-1), 10_000)
    expect(ids('order.confirmed').sort()).toEqual([...placed].sort())
    expect(ids('order.cancelled').sort()).toEqual([...cancelled].sort())
    // Inventory reads may be up to 100 ms behind (shared availability reads), so both sides are
    // read again until they settle on the same figure.
    for (const { dropId } of drops) {
      const lastFigure = () =>
        events()
          .filter((m) => m.channel === `drop:${dropId}` && m.event === 'stock.changed')
          .at(-1)?.data.remaining_inventory
      await eventually(
        async () => [(await inventory(dropId)).remaining_inventory, lastFigure()],
        ([remaining, last]) => remaining === last,
        10_000,
        50,
      )
    }
    // A stock.low waits behind its drop's conflated stock figures (up to 250 ms), so the last ones
    // may still be on their way when the figures have settled.
    for (const { dropId } of drops) {
      const lows = () =>
        events().filter((m) => m.channel === `drop:${dropId}` && m.event === 'stock.low').length
      await eventually(
        async () => lows(),
        (n) => n >= ordersOn.get(dropId)!,
        5_000,
        50,
      ).catch(() => {})
      expect(lows(), `stock.low on drop:${dropId}`).toBe(ordersOn.get(dropId))
    }
    expect(normal.socket.readyState).toBe(normal.socket.OPEN)
    // Within a channel, seqs only grow (across channels a conflated stock frame may come later).
    for (const channel of new Set(events().map((m) => m.channel))) {
      const seqs = events()
        .filter((m) => m.channel === channel)
        .map((m) => m.seq!)
      expect(seqs, channel).toEqual([...seqs].sort((a, b) => a - b))
      expect(new Set(seqs).size, channel).toBe(seqs.length)
    }
    const sent = events().reduce((sum, m) => sum + JSON.stringify(m).length, 0)

    // Reading again, the slow client finds what the kernel had buffered, then the end of the
    // stream: the same frames as its neighbour got, cut short, and no close frame (it was terminated).
    ;(slow.socket as any)._socket.resume()
    expect((await slow.closed).code).toBe(1006)
    const slowEvents = slow.messages.filter((m) => m.type === 'event')
    expect(slowEvents.length).toBeLessThan(events().length)
    expect(slowEvents).toEqual(events().slice(0, slowEvents.length))

    // It can come back with `since` per channel and catch up (the missed events, or a snapshot).
    const back = await openSocket(wsUrl(server.url, '/ws'))
    sockets.push(back)
    for (const { dropId } of drops) {
      const channel = `drop:${dropId}`
      const seen = slow.messages.filter((m) => m.channel === channel && m.seq !== undefined).at(-1)!
      back.send({ type: 'subscribe', channel, since: seen.seq })
    }
    for (const { dropId } of drops) {
      const channel = `drop:${dropId}`
      const latest = events()
        .filter((m) => m.channel === channel && m.event === 'stock.changed')
        .at(-1)!
      const caughtUp = (m: Message) =>
        m.channel === channel &&
        (m.type === 'snapshot'
          ? m.data.remaining_inventory === latest.data.remaining_inventory
          : m.seq === latest.seq)
      await back.waitFor(caughtUp, 10_000)
    }
    console.log(
      `[${shape.name}] ${requestsBeforeClose} orders and cancels (${rounds} rounds) before the slow socket was closed; ` +
        `it had read ${slowEvents.length} of ${events().length} events (${(sent / 1e6).toFixed(1)} MB)`,
    )
  })

  it('keeps serving after dropping a slow socket', async () => {
    const socket = await openSocket(wsUrl(server.url, '/ws'))
    sockets.push(socket)
    socket.send({ type: 'ping' })
    await socket.waitFor((m) => m.type === 'pong')
    expect((await api.get(`${V1}/drops`)).status).toBe(200)
  })
})
