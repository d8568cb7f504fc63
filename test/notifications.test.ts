import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { rowsOf } from '../src/platform/db/index.js'
import { type Client, client, type Reply, register } from './support/client.js'
import { describeShapes, startApp, type TestApp } from './support/engines.js'
import { type Creator, eventually, ISO, type Session, shop, UNKNOWN_ID, V1 } from './support/shop.js'

interface Item {
  notification_id: string
  type: string
  data: Record<string, any>
  created_at: string
  read: boolean
}

/** How long the outbox relay and the bus may take to turn a change into an inbox row. */
const WITHIN_MS = 15_000

describeShapes('notifications', (shape) => {
  let server: TestApp
  let api: Client
  const { newCreator, createProduct, createDrop, order } = shop(() => api)

  beforeAll(async () => {
    server = await startApp(shape)
    api = client(server.url)
  })
  afterAll(() => server?.close())

  async function inbox(token: string, query = ''): Promise<Item[]> {
    const reply = await api.get(`${V1}/me/notifications?limit=100${query}`, token)
    expect(reply.status, JSON.stringify(reply.body)).toBe(200)
    expect(reply.body.next_cursor).toBeNull()
    return reply.body.items
  }

  /** Polls the inbox until `done` holds. */
  const inboxUntil = (token: string, done: (items: Item[]) => boolean, query = '') =>
    eventually(() => inbox(token, query), done, WITHIN_MS)

  async function follow(session: Session, creator: Creator) {
    const reply = await api.post(`${V1}/follows`, { creator_id: creator.creatorId }, session.access_token)
    expect(reply.status).toBe(201)
  }

  /** A live drop of one product, with room for several orders per buyer. */
  async function liveDropOf(creator: Creator) {
    const product = await createProduct(creator)
    const drop = await createDrop(creator, [{ product_id: product.product_id, initial_stock: 50 }], {
      per_user_limit: 10,
    })
    return { drop, product }
  }

  async function buy(session: Session, live: Awaited<ReturnType<typeof liveDropOf>>) {
    const reply = await order(session.access_token, {
      drop_id: live.drop.drop_id,
      items: [{ product_id: live.product.product_id, quantity: 1 }],
    })
    expect(reply.status, JSON.stringify(reply.body)).toBe(201)
    return reply.body as { order_id: string }
  }

  async function markRead(token: string, body: unknown): Promise<Reply> {
    return api.post(`${V1}/me/notifications/read`, body, token)
  }

  it('puts order.confirmed in the buyer’s inbox, and a redelivered event adds nothing', async () => {
    const creator = await newCreator()
    const live = await liveDropOf(creator)
    const buyer = await register(api)
    const placed = await buy(buyer, live)
    const items = await inboxUntil(buyer.access_token, (all) => all.length > 0)
    expect(items).toHaveLength(1)
    expect(items[0]).toMatchObject({
      type: 'order.confirmed',
      read: false,
      data: {
        order_id: placed.order_id,
        drop_id: live.drop.drop_id,
        creator_id: creator.creatorId,
        status: 'confirmed',
        items: [{ product_id: live.product.product_id, quantity: 1 }],
      },
    })
    expect(items[0]!.created_at).toMatch(ISO)

    // The bus delivers at least once: the same event again must not make a second row.
    const [event] = rowsOf<{ id: string; topic: string; key: string; payload: unknown; created_at: Date }>(
      await server.app.db.primary.execute(
        sql`SELECT id, topic, key, payload, created_at FROM outbox WHERE id = ${items[0]!.notification_id}::uuid`,
      ),
    )
    expect(event?.topic).toBe('order.confirmed')
    await server.app.bus.publish([
      {
        id: event!.id,
        topic: event!.topic,
        key: event!.key,
        payload: typeof event!.payload === 'string' ? JSON.parse(event!.payload) : event!.payload,
        created_at: new Date(event!.created_at).toISOString(),
      },
    ])
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(await inbox(buyer.access_token)).toHaveLength(1)
  })

  it('tells the buyer when an order is cancelled, with the reason', async () => {
    const live = await liveDropOf(await newCreator())
    const buyer = await register(api)
    const placed = await buy(buyer, live)
    const cancel = await api.put(
      `${V1}/orders/${placed.order_id}`,
      { status: 'cancelled' },
      buyer.access_token,
    )
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(200)
    const items = await inboxUntil(buyer.access_token, (all) => all.length === 2)
    expect(items.map((i) => i.type)).toEqual(['order.cancelled', 'order.confirmed'])
    expect(items[0]!.data).toMatchObject({ order_id: placed.order_id, status: 'cancelled' })
    expect(typeof items[0]!.data.reason).toBe('string')
  })

  it('shows a followed creator’s drop.started to followers only, from when they followed', async () => {
    const creator = await newCreator()
    const fan = await register(api)
    const stranger = await register(api)
    await follow(fan, creator)
    const { drop } = await liveDropOf(creator)
    const items = await inboxUntil(fan.access_token, (all) => all.length > 0)
    expect(items).toHaveLength(1)
    expect(items[0]).toMatchObject({
      type: 'drop.started',
      read: false,
      data: { drop_id: drop.drop_id, creator_id: creator.creatorId, name: drop.name },
    })
    expect(await inbox(stranger.access_token)).toEqual([])

    // Following afterwards does not bring back what started before.
    const late = await register(api)
    await follow(late, creator)
    expect(await inbox(late.access_token)).toEqual([])

    // The feed holds one row per drop event, not one per follower.
    const [feed] = rowsOf<{ n: number }>(
      await server.app.db.primary.execute(
        sql`SELECT count(*)::int AS n FROM creator_feed WHERE creator_id = ${creator.creatorId}::uuid`,
      ),
    )
    expect(feed?.n).toBe(1)
  })

  it('marks items read by id (own and feed), filters unread_only, and leaves other users unaffected', async () => {
    const creator = await newCreator()
    const fan = await register(api)
    const other = await register(api)
    await follow(fan, creator)
    await follow(other, creator)
    const live = await liveDropOf(creator)
    await buy(fan, live)
    await buy(other, live)
    const items = await inboxUntil(fan.access_token, (all) => all.length === 2)
    const otherItems = await inboxUntil(other.access_token, (all) => all.length === 2)
    const feedItem = items.find((i) => i.type === 'drop.started')!
    const own = items.find((i) => i.type === 'order.confirmed')!
    const othersOwn = otherItems.find((i) => i.type === 'order.confirmed')!
    expect(feedItem).toBeDefined()
    expect(own).toBeDefined()
    expect(items.every((i) => !i.read)).toBe(true)

    // The other user tries the fan's own notification: nothing changes for anyone.
    expect((await markRead(other.access_token, { notification_ids: [own.notification_id] })).status).toBe(204)
    expect((await inbox(fan.access_token)).every((i) => !i.read)).toBe(true)
    expect((await inbox(other.access_token)).every((i) => !i.read)).toBe(true)

    // The fan marks the shared feed item: read for the fan only.
    expect(
      (await markRead(fan.access_token, { notification_ids: [feedItem.notification_id, UNKNOWN_ID] })).status,
    ).toBe(204)
    const afterFeed = await inbox(fan.access_token)
    expect(afterFeed.find((i) => i.notification_id === feedItem.notification_id)?.read).toBe(true)
    expect(afterFeed.find((i) => i.notification_id === own.notification_id)?.read).toBe(false)
    expect((await inbox(other.access_token)).every((i) => !i.read)).toBe(true)
    expect((await inbox(fan.access_token, '&unread_only=true')).map((i) => i.notification_id)).toEqual([
      own.notification_id,
    ])

    // Marking twice is marking once; then the own row.
    expect((await markRead(fan.access_token, { notification_ids: [feedItem.notification_id] })).status).toBe(
      204,
    )
    expect((await markRead(fan.access_token, { notification_ids: [own.notification_id] })).status).toBe(204)
    expect((await inbox(fan.access_token)).every((i) => i.read)).toBe(true)
    expect(await inbox(fan.access_token, '&unread_only=true')).toEqual([])
    expect(await inbox(fan.access_token, '&unread_only=false')).toHaveLength(2)

    const untouched = await inbox(other.access_token)
    expect(untouched.find((i) => i.notification_id === othersOwn.notification_id)?.read).toBe(false)
    expect(untouched.every((i) => !i.read)).toBe(true)
  })

  it('marks everything read with {all: true}; what comes later is unread again', async () => {
    const creator = await newCreator()
    const fan = await register(api)
    const other = await register(api)
    await follow(fan, creator)
    await follow(other, creator)
    const live = await liveDropOf(creator)
    await buy(fan, live)
    await buy(fan, live)
    await inboxUntil(fan.access_token, (all) => all.length === 3)
    await inboxUntil(other.access_token, (all) => all.length === 1)

    const marked = await markRead(fan.access_token, { all: true })
    expect(marked.status).toBe(204)
    expect(marked.body).toBe('')
    expect((await inbox(fan.access_token)).every((i) => i.read)).toBe(true)
    expect(await inbox(fan.access_token, '&unread_only=true')).toEqual([])
    expect((await inbox(other.access_token)).every((i) => !i.read)).toBe(true)

    // Marking all again changes nothing; a later order is unread.
    expect((await markRead(fan.access_token, { all: true })).status).toBe(204)
    await new Promise((resolve) => setTimeout(resolve, 20))
    const placed = await buy(fan, live)
    const unread = await inboxUntil(fan.access_token, (all) => all.length === 1, '&unread_only=true')
    expect(unread[0]).toMatchObject({
      type: 'order.confirmed',
      read: false,
      data: { order_id: placed.order_id },
    })
    expect(await inbox(fan.access_token)).toHaveLength(4)
  })

  it('walks a merged inbox page by page: every item exactly once, newest first', async () => {
    const creators = [await newCreator(), await newCreator()]
    const fan = await register(api)
    for (const creator of creators) await follow(fan, creator)
    const lives = []
    for (const creator of creators) lives.push(await liveDropOf(creator), await liveDropOf(creator))
    for (const live of lives.slice(0, 3)) {
      await buy(fan, live)
      await buy(fan, live)
    }
    // 4 drop.started from the feed + 6 order.confirmed of the fan's own.
    const all = await inboxUntil(fan.access_token, (items) => items.length === 10)
    expect(all.filter((i) => i.type === 'drop.started')).toHaveLength(4)
    expect(all.filter((i) => i.type === 'order.confirmed')).toHaveLength(6)
    const positions = all.map((i) => [i.created_at, i.notification_id].join(' '))
    for (let i = 1; i < all.length; i++) {
      expect(all[i - 1]!.created_at >= all[i]!.created_at).toBe(true)
    }
    expect(new Set(positions).size).toBe(10)

    for (const limit of [1, 3, 4]) {
      const walked: string[] = []
      let cursor: string | null = null
      let pages = 0
      do {
        const query: string = `${V1}/me/notifications?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`
        const page: Reply = await api.get(query, fan.access_token)
        expect(page.status).toBe(200)
        expect(page.body.items.length).toBeLessThanOrEqual(limit)
        walked.push(...page.body.items.map((i: Item) => i.notification_id))
        cursor = page.body.next_cursor
        pages += 1
      } while (cursor && pages < 50)
      expect(walked).toEqual(all.map((i) => i.notification_id))
    }

    // unread_only pages the same way.
    await markRead(fan.access_token, {
      notification_ids: all.filter((_, i) => i % 2 === 0).map((i) => i.notification_id),
    })
    const unread: string[] = []
    let cursor: string | null = null
    do {
      const query: string = `${V1}/me/notifications?limit=2&unread_only=true${cursor ? `&cursor=${cursor}` : ''}`
      const page: Reply = await api.get(query, fan.access_token)
      expect(page.status).toBe(200)
      unread.push(...page.body.items.map((i: Item) => i.notification_id))
      cursor = page.body.next_cursor
    } while (cursor)
    expect(unread).toEqual(all.filter((_, i) => i % 2 === 1).map((i) => i.notification_id))
  })

  it('needs a token', async () => {
    const get = await api.get(`${V1}/me/notifications`)
    expect(get.status).toBe(401)
    expect(get.body.code).toBe('unauthenticated')
    const post = await api.post(`${V1}/me/notifications/read`, { all: true })
    expect(post.status).toBe(401)
    expect(post.body.code).toBe('unauthenticated')
    expect((await api.get(`${V1}/me/notifications`, 'not-a-token')).status).toBe(401)
  })

  it('refuses bad queries and bodies with validation_failed', async () => {
    const user = await register(api)
    const token = user.access_token
    for (const query of [
      'limit=0',
      'limit=101',
      'limit=x',
      'cursor=nope',
      `cursor=${Buffer.from(JSON.stringify(['2020-01-01T00:00:00.000Z', 'x'])).toString('base64url')}`,
      'unread_only=maybe',
      'page=2',
    ]) {
      const reply = await api.get(`${V1}/me/notifications?${query}`, token)
      expect(reply.status, query).toBe(400)
      expect(reply.body.code, query).toBe('validation_failed')
    }
    for (const body of [
      {},
      { all: false },
      { all: 'yes' },
      { notification_ids: [] },
      { notification_ids: ['not-a-uuid'] },
      { notification_ids: UNKNOWN_ID },
      { notification_ids: [UNKNOWN_ID], all: true },
      { notification_ids: [UNKNOWN_ID], extra: 1 },
      { notification_ids: Array.from({ length: 501 }, () => UNKNOWN_ID) },
    ]) {
      const reply = await markRead(token, body)
      expect(reply.status, JSON.stringify(body).slice(0, 80)).toBe(400)
      expect(reply.body.code).toBe('validation_failed')
    }
    // Unknown ids are simply ignored.
    expect((await markRead(token, { notification_ids: [UNKNOWN_ID] })).status).toBe(204)
    const empty = await api.get(`${V1}/me/notifications`, token)
    expect(empty.body).toEqual({ items: [], next_cursor: null })
  })

  it('is described in the OpenAPI document', async () => {
    const doc = await api.get('/docs/json')
    expect(doc.body.paths['/api/v1/me/notifications']?.get).toBeDefined()
    expect(doc.body.paths['/api/v1/me/notifications/read']?.post).toBeDefined()
    expect(doc.body.paths['/api/v1/analytics/events']?.post).toBeDefined()
  })

  async function analyticsRows(sessionId: string) {
    return rowsOf<{ event_type: string; user_id: string | null; drop_id: string | null; metadata: any }>(
      await server.app.db.primary.execute(
        sql`SELECT event_type, user_id, drop_id, metadata FROM analytics_events WHERE session_id = ${sessionId} ORDER BY event_type`,
      ),
    )
  }

  it('takes analytics events with 202, with the caller’s user id when signed in', async () => {
    const session = `s-${Date.now()}-${Math.random()}`
    const anonymous = await api.post(`${V1}/analytics/events`, {
      events: [
        { event_type: 'drop_view', drop_id: UNKNOWN_ID, session_id: session, metadata: { from: 'feed' } },
        { event_type: 'page_view', session_id: session },
      ],
    })
    expect(anonymous.status, JSON.stringify(anonymous.body)).toBe(202)
    expect(anonymous.body).toEqual({ accepted: 2 })
    let rows = await analyticsRows(session)
    expect(rows).toHaveLength(2)
    expect(rows[0]).toMatchObject({ event_type: 'drop_view', user_id: null, drop_id: UNKNOWN_ID })
    expect(typeof rows[0]!.metadata === 'string' ? JSON.parse(rows[0]!.metadata) : rows[0]!.metadata).toEqual(
      { from: 'feed' },
    )

    const user = await register(api)
    const signed = await api.post(
      `${V1}/analytics/events`,
      {
        events: [
          // A lone surrogate and nested metadata are stored, not a server error.
          {
            event_type: 'product_click',
            session_id: session,
            metadata: { label: 'a\ud800b', n: { m: [1] } },
          },
        ],
      },
      user.access_token,
    )
    expect(signed.status, JSON.stringify(signed.body)).toBe(202)
    rows = await analyticsRows(session)
    expect(rows.find((r) => r.event_type === 'product_click')?.user_id).toBe(user.user.user_id)

    const batch = Array.from({ length: 500 }, (_, i) => ({
      event_type: `bulk_${i % 7}`,
      session_id: session,
    }))
    expect((await api.post(`${V1}/analytics/events`, { events: batch })).status).toBe(202)
    expect(await analyticsRows(session)).toHaveLength(503)
    expect((await api.post(`${V1}/analytics/events`, { events: [] })).status).toBe(202)
  })

  it('refuses bad analytics batches and writes nothing', async () => {
    const session = `bad-${Date.now()}-${Math.random()}`
    const ok = { event_type: 'drop_view', session_id: session }
    let deep: unknown = 1
    for (let i = 0; i < 20; i++) deep = { d: deep }
    const cases: [string, unknown][] = [
      ['501 events', { events: Array.from({ length: 501 }, () => ok) }],
      ['unknown event field', { events: [{ ...ok, price: 1 }] }],
      ['unknown top-level field', { events: [ok], extra: true }],
      ['missing event_type', { events: [{ session_id: session }] }],
      ['empty event_type', { events: [{ ...ok, event_type: '' }] }],
      ['bad uuid', { events: [{ ...ok, drop_id: 'drop-1' }] }],
      ['metadata not an object', { events: [{ ...ok, metadata: [1, 2] }] }],
      ['metadata too deep', { events: [ok, { ...ok, metadata: deep }] }],
      ['events not an array', { events: ok }],
      ['no events', {}],
    ]
    for (const [label, body] of cases) {
      const reply = await api.post(`${V1}/analytics/events`, body)
      expect(reply.status, `${label}: ${JSON.stringify(reply.body)}`).toBe(400)
      expect(reply.body.code, label).toBe('validation_failed')
    }
    const badToken = await api.post(`${V1}/analytics/events`, { events: [ok] }, 'not-a-token')
    expect(badToken.status).toBe(401)
    expect(await analyticsRows(session)).toEqual([])
  })
})
