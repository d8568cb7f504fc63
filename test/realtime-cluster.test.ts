import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type Client, client, register } from './support/client.js'
import { deleteStream, isolatedDatabase } from './support/engines.js'
import { clusterEnv, type RoleProcess, startRole, stopAll } from './support/processes.js'
import { isoIn, shop, V1 } from './support/shop.js'
import { type Message, openSocket, type TestSocket, wsUrl } from './support/socket.js'

/**
 * The distributed shape as operators run it: the real CLI in separate processes on one PostgreSQL
 * database, one Redis key prefix and one NATS stream: two realtime gateways, an api and a worker
 * (the only role that relays the outbox). Events made by the api or the worker's scheduler must
 * reach sockets on every gateway, under the same seq.
 */
const engines = inject('engines')
const available = Boolean(engines.postgres && engines.redis && engines.nats)

describe.skipIf(!available)('realtime across processes [postgres+redis+nats]', () => {
  let database: Awaited<ReturnType<typeof isolatedDatabase>> | undefined
  let env: ReturnType<typeof clusterEnv>
  const processes: (RoleProcess | undefined)[] = []
  let gateways: RoleProcess[]
  let api: Client
  let apiUrl: string
  const sockets: TestSocket[] = []
  const { newCreator, createProduct, createDrop, liveDrop, order } = shop(() => api)

  const start = async (role: RoleProcess['role']) => {
    const started = await startRole(role, env)
    processes.push(started)
    return started
  }
  const open = async (url: string) => {
    const socket = await openSocket(url)
    sockets.push(socket)
    return socket
  }
  const eventsOf = (socket: TestSocket, channel: string) =>
    socket.messages.filter((m) => m.type === 'event' && m.channel === channel)
  const buyOne = async (token: string, dropId: string, productId: string) => {
    const placed = await order(token, { drop_id: dropId, items: [{ product_id: productId, quantity: 1 }] })
    expect(placed.status, JSON.stringify(placed.body)).toBe(201)
  }

  beforeAll(async () => {
    database = await isolatedDatabase(engines.postgres!)
    env = clusterEnv({ databaseUrl: database.url, redisUrl: engines.redis, natsUrl: engines.nats })
    // Started together, as a deployment does: the migrations queue on their lock.
    const started = await Promise.allSettled(
      (['realtime', 'realtime', 'api', 'worker'] as const).map((role) => start(role)),
    )
    for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason
    const [rt1, rt2, apiProcess] = started.map((o) => (o as PromiseFulfilledResult<RoleProcess>).value)
    gateways = [rt1!, rt2!]
    apiUrl = apiProcess!.url
    api = client(apiUrl)
  })

  afterAll(async () => {
    for (const socket of sockets) socket.socket.terminate()
    await stopAll(processes)
    await database?.drop()
    if (env?.NATS_STREAM) await deleteStream(engines.nats!, env.NATS_STREAM)
  })

  it('serves each role only its own routes', async () => {
    for (const gateway of gateways) expect((await fetch(`${gateway.url}${V1}/drops`)).status).toBe(404)
    expect((await api.get(`${V1}/drops`)).status).toBe(200)
    await expect(openSocket(wsUrl(apiUrl, '/ws'))).rejects.toThrow(/404/)
  })

  it('sends an order’s stock events to watchers on both gateways, under the same seq', async () => {
    const { drop, product } = await liveDrop({ stock: 3, perUserLimit: 3 })
    const buyer = await register(api)
    const watchers = await Promise.all(
      gateways.map((g) => open(wsUrl(g.url, `/ws/drops/${drop.drop_id}/stock`))),
    )
    for (const w of watchers) {
      expect((await w.waitFor((m) => m.type === 'snapshot')).data.remaining_inventory).toBe(3)
    }
    for (const left of [2, 1, 0]) {
      await buyOne(buyer.access_token, drop.drop_id, product.product_id)
      // Waiting for each change on both gateways keeps conflation from merging two of them.
      for (const w of watchers) {
        await w.waitFor((m) => m.event === 'stock.changed' && m.data.remaining_inventory === left)
      }
    }
    for (const w of watchers) await w.waitFor((m) => m.event === 'drop.sold_out')

    const channel = `drop:${drop.drop_id}`
    // The drop went live as it was created; its drop.started may reach a gateway after the snapshot.
    const [one, two] = watchers.map((w) =>
      eventsOf(w, channel)
        .filter((m) => m.event !== 'drop.started')
        .map((m) => ({
          seq: m.seq,
          event: m.event,
          remaining: m.data.remaining_inventory,
        })),
    )
    expect(one!.map((m) => [m.event, m.remaining])).toEqual([
      ['stock.changed', 2],
      ['stock.changed', 1],
      ['stock.changed', 0],
      ['drop.sold_out', undefined],
    ])
    expect(two).toEqual(one)
  })

  it('tells followers on both gateways that the worker’s scheduler started the drop', async () => {
    const creator = await newCreator()
    const product = await createProduct(creator)
    const fan = await register(api)
    expect(
      (await api.post(`${V1}/follows`, { creator_id: creator.creatorId }, fan.access_token)).status,
    ).toBe(201)
    const followers = await Promise.all(
      gateways.map((g) => open(wsUrl(g.url, `/ws?access_token=${fan.access_token}`))),
    )
    // A third socket of the fan's leaves before the drop starts, to come back on the other gateway.
    const leaver = await open(wsUrl(gateways[0]!.url, `/ws?access_token=${fan.access_token}`))
    for (const f of [...followers, leaver]) {
      await f.waitFor((m) => m.type === 'snapshot' && m.channel === 'user')
    }
    const userSeq = leaver.messages.find((m) => m.type === 'snapshot')!.seq!
    await leaver.close()

    const drop = await createDrop(creator, [{ product_id: product.product_id, initial_stock: 5 }], {
      start_time: isoIn(1_500),
    })
    const watchers = await Promise.all(
      gateways.map((g) => open(wsUrl(g.url, `/ws/drops/${drop.drop_id}/stock`))),
    )
    const isStart = (m: Message) => m.event === 'drop.started' && m.data.drop_id === drop.drop_id
    const onUser = await Promise.all(followers.map((f) => f.waitFor(isStart, 10_000)))
    const onDrop = await Promise.all(watchers.map((w) => w.waitFor(isStart, 5_000)))
    for (const started of onUser) {
      expect(started).toMatchObject({ channel: 'user', data: { creator_id: creator.creatorId } })
    }
    for (const started of onDrop) expect(started.channel).toBe(`drop:${drop.drop_id}`)
    // One bus event, one seq: the same on both gateways and on both channels.
    const seqs = new Set([...onUser, ...onDrop].map((m) => m.seq))
    expect(seqs.size).toBe(1)

    // The socket that left comes back on the other gateway and is told what it missed there.
    const back = await open(wsUrl(gateways[1]!.url, `/ws?access_token=${fan.access_token}`))
    await back.waitFor((m) => m.type === 'snapshot' && m.channel === 'user')
    const from = back.messages.length
    back.send({ type: 'subscribe', channel: 'user', since: userSeq })
    const missed = await back.waitFor(isStart, 5_000, from)
    expect(missed).toEqual(onUser[0])
  })

  it('resumes with since on the other gateway: the missed events, or a snapshot where they were never seen', async () => {
    const { drop, product } = await liveDrop({ stock: 20, perUserLimit: 20 })
    const buyer = await register(api)
    const channel = `drop:${drop.drop_id}`
    const [rt1, rt2] = gateways as [RoleProcess, RoleProcess]
    const staying = await open(wsUrl(rt1.url, `/ws/drops/${drop.drop_id}/stock`))
    const leaving = await open(wsUrl(rt1.url, `/ws/drops/${drop.drop_id}/stock`))
    await staying.waitFor((m) => m.type === 'snapshot')
    const since = (await leaving.waitFor((m) => m.type === 'snapshot')).seq!
    await leaving.close()

    for (const left of [19, 18, 17]) {
      await buyOne(buyer.access_token, drop.drop_id, product.product_id)
      await staying.waitFor((m) => m.event === 'stock.changed' && m.data.remaining_inventory === left)
    }
    const seen = eventsOf(staying, channel)
    // The drop went live as it was created: its drop.started may land after the snapshot was read.
    const stock = seen.filter((m) => m.event === 'stock.changed')
    expect(stock.map((m) => m.data.remaining_inventory)).toEqual([19, 18, 17])

    // Every gateway has had every event since it subscribed to the bus, under the stream's seq, so
    // the other gateway replays exactly what the first one sent, byte for byte.
    const resumed = await open(wsUrl(rt2.url, '/ws'))
    resumed.send({ type: 'subscribe', channel, since })
    await resumed.waitFor((m) => m.event === 'stock.changed' && m.data.remaining_inventory === 17)
    expect(resumed.messages.some((m) => m.type === 'snapshot')).toBe(false)
    // drop.started may have reached the first gateway while the watchers' snapshot was read (the
    // snapshot already says live), so only the resumed socket is sure to carry it.
    const stockOf = (messages: typeof seen) => messages.filter((m) => m.event === 'stock.changed')
    expect(stockOf(resumed.messages)).toEqual(stockOf(seen))

    // A gateway that started after those events never saw them: it answers with a fresh snapshot.
    const late = await start('realtime')
    const fresh = await open(wsUrl(late.url, '/ws'))
    fresh.send({ type: 'subscribe', channel, since })
    const snapshot = await fresh.waitFor((m) => m.type === 'snapshot')
    expect(snapshot).toMatchObject({ channel, data: { remaining_inventory: 17, status: 'live' } })
    expect(fresh.messages.some((m) => m.type === 'event')).toBe(false)
    await late.stop()
  })
})
