import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Client, client, register } from './support/client.js'
import { describeShapes, startApp, type TestApp } from './support/engines.js'

const V1 = '/api/v1'
/** A well-formed UUIDv7 that no row ever gets. */
const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000'
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const CREATOR_FIELDS = [
  'bio',
  'created_at',
  'creator_id',
  'creator_name',
  'follower_count',
  'is_verified',
  'profile_image_url',
  'total_drops',
  'user_id',
]

type Session = Awaited<ReturnType<typeof register>>

/** Polls `read` until it returns `expected`; fails with the last value after `withinMs`. */
async function converges<T>(read: () => Promise<T>, expected: T, withinMs: number): Promise<number> {
  const started = Date.now()
  let last: T = await read()
  while (last !== expected) {
    if (Date.now() - started > withinMs) {
      throw new Error(`expected ${String(expected)} within ${withinMs} ms, still ${String(last)}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
    last = await read()
  }
  return Date.now() - started
}

async function all<T>(api: Client, path: string, limit: number): Promise<T[]> {
  const items: T[] = []
  let cursor: string | null = null
  do {
    const sep = path.includes('?') ? '&' : '?'
    const page: { status: number; body: { items: T[]; next_cursor: string | null } } = await api.get(
      `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    )
    expect(page.status).toBe(200)
    expect(page.body.items.length).toBeLessThanOrEqual(limit)
    items.push(...page.body.items)
    cursor = page.body.next_cursor
  } while (cursor)
  return items
}

describeShapes('creators and follows', (shape) => {
  let server: TestApp
  let api: Client

  async function newCreator(name: string, bio?: string): Promise<{ session: Session; creator: any }> {
    const session = await register(api)
    const reply = await api.post(
      `${V1}/creators`,
      { creator_name: name, ...(bio ? { bio } : {}) },
      session.access_token,
    )
    expect(reply.status).toBe(201)
    return { session, creator: reply.body }
  }

  const followerCount = async (creatorId: string) =>
    (await api.get(`${V1}/creators/${creatorId}`)).body.follower_count as number

  beforeAll(async () => {
    server = await startApp(shape)
    api = client(server.url)
  })
  afterAll(() => server?.close())

  it('POST /creators makes the caller a creator, once', async () => {
    const session = await register(api)
    const reply = await api.post(
      `${V1}/creators`,
      { creator_name: 'Kai Ceramics', bio: 'Small-batch stoneware.' },
      session.access_token,
    )
    expect(reply.status).toBe(201)
    expect(Object.keys(reply.body).sort()).toEqual(CREATOR_FIELDS)
    expect(reply.body).toMatchObject({
      user_id: session.user.user_id,
      creator_name: 'Kai Ceramics',
      bio: 'Small-batch stoneware.',
      profile_image_url: null,
      follower_count: 0,
      total_drops: 0,
      is_verified: false,
    })
    expect(reply.body.created_at).toMatch(ISO)

    const me = await api.get(`${V1}/me`, session.access_token)
    expect(me.status).toBe(200)
    expect(me.body.roles).toEqual(expect.arrayContaining(['shopper', 'creator']))

    const again = await api.post(`${V1}/creators`, { creator_name: 'Kai Again' }, session.access_token)
    expect(again.status).toBe(409)
    expect(again.body.code).toBe('already_exists')
    expect(again.headers.get('content-type')).toContain('application/problem+json')
    // The refused second profile left the first one and the roles as they were.
    const fetched = await api.get(`${V1}/creators/${reply.body.creator_id}`)
    expect(fetched.body.creator_name).toBe('Kai Ceramics')
    const meAfter = await api.get(`${V1}/me`, session.access_token)
    expect(meAfter.body.roles.filter((r: string) => r === 'creator')).toHaveLength(1)
  })

  it('POST /creators answers 401 without a token and 400 validation_failed for bad bodies', async () => {
    const anonymous = await api.post(`${V1}/creators`, { creator_name: 'Nobody' })
    expect(anonymous.status).toBe(401)
    expect(anonymous.body.code).toBe('unauthenticated')

    const session = await register(api)
    const bad: [unknown, string][] = [
      [{}, 'body/creator_name'],
      [{ creator_name: '' }, 'body/creator_name'],
      [{ creator_name: '   ' }, 'body/creator_name'],
      [{ creator_name: 'x'.repeat(101) }, 'body/creator_name'],
      [{ creator_name: 42 }, 'body/creator_name'],
      [{ creator_name: 'Ok', bio: 7 }, 'body/bio'],
      [{ creator_name: 'Ok', profile_image_url: 'ftp://example.test/a.png' }, 'body/profile_image_url'],
      [{ creator_name: 'Ok', follower_count: 1_000_000 }, 'body/follower_count'],
    ]
    for (const [body, path] of bad) {
      const reply = await api.post(`${V1}/creators`, body, session.access_token)
      expect(reply.status, JSON.stringify(body)).toBe(400)
      expect(reply.body.code).toBe('validation_failed')
      expect(reply.body.errors.map((e: { path: string }) => e.path)).toContain(path)
    }
    // None of them made the caller a creator.
    const me = await api.get(`${V1}/me`, session.access_token)
    expect(me.body.roles).toEqual(['shopper'])
    const ok = await api.post(`${V1}/creators`, { creator_name: '  Trimmed  ' }, session.access_token)
    expect(ok.status).toBe(201)
    expect(ok.body.creator_name).toBe('Trimmed')
  })

  it('GET /creators/{id} returns every field, 404 not_found for an unknown id', async () => {
    const { session, creator } = await newCreator('Orbit Lab', 'Synth kits.')
    const reply = await api.get(`${V1}/creators/${creator.creator_id}`)
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({
      creator_id: creator.creator_id,
      user_id: session.user.user_id,
      creator_name: 'Orbit Lab',
      bio: 'Synth kits.',
      profile_image_url: null,
      follower_count: 0,
      total_drops: 0,
      is_verified: false,
      created_at: creator.created_at,
    })
    const missing = await api.get(`${V1}/creators/${UNKNOWN_ID}`)
    expect(missing.status).toBe(404)
    expect(missing.body.code).toBe('not_found')
    expect(missing.headers.get('content-type')).toContain('application/problem+json')
  })

  it("GET /me/creator answers the caller's own profile, 404 not_found to a non-creator, 401 without a token", async () => {
    const { session, creator } = await newCreator('Own Profile Works')
    const mine = await api.get(`${V1}/me/creator`, session.access_token)
    expect(mine.status).toBe(200)
    expect(mine.body).toMatchObject({ creator_id: creator.creator_id, user_id: session.user.user_id })

    const shopper = await register(api)
    const none = await api.get(`${V1}/me/creator`, shopper.access_token)
    expect(none.status).toBe(404)
    expect(none.body.code).toBe('not_found')
    expect((await api.get(`${V1}/me/creator`)).status).toBe(401)
  })

  it('GET /creators pages newest first, every creator exactly once', async () => {
    const mine = new Set<string>()
    for (let i = 0; i < 5; i++) mine.add((await newCreator(`Pager ${i}`)).creator.creator_id)
    const first = await api.get(`${V1}/creators?limit=2`)
    expect(first.status).toBe(200)
    expect(first.body.items).toHaveLength(2)
    expect(typeof first.body.next_cursor).toBe('string')
    for (const item of first.body.items) expect(Object.keys(item).sort()).toEqual(CREATOR_FIELDS)

    const items = await all<{ creator_id: string; created_at: string }>(api, `${V1}/creators`, 2)
    const ids = items.map((c) => c.creator_id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of mine) expect(ids).toContain(id)
    for (let i = 1; i < items.length; i++) {
      const [a, b] = [items[i - 1]!, items[i]!]
      expect(a.created_at >= b.created_at).toBe(true)
      if (a.created_at === b.created_at) expect(a.creator_id > b.creator_id).toBe(true)
    }
    // The five created last are the five newest, in reverse creation order.
    const newest = (await api.get(`${V1}/creators?limit=5`)).body.items.map((c: any) => c.creator_id)
    expect(newest).toEqual([...mine].reverse())

    const defaults = await api.get(`${V1}/creators`)
    expect(defaults.body.items.length).toBe(Math.min(20, items.length))
  })

  it('GET /creators?q matches substrings, any case, and tolerates a typo', async () => {
    const nova = (await newCreator('Nova Studio')).creator.creator_id
    const granite = (await newCreator('Granite Works')).creator.creator_id
    const cotton = (await newCreator('100% Cotton')).creator.creator_id
    const search = async (q: string) => {
      const reply = await api.get(`${V1}/creators?q=${encodeURIComponent(q)}&limit=100`)
      expect(reply.status).toBe(200)
      return (reply.body.items as { creator_id: string }[]).map((c) => c.creator_id)
    }
    for (const q of [
      'nova',
      'NOVA STUDIO',
      'studio',
      'ova stu',
      'Nvoa',
      'Nova Studoi',
      'Studoi',
      'Novs Studio',
      'Noova',
      'Nva Studio',
      'studio nova',
      'nova studi',
    ]) {
      const found = await search(q)
      expect(found, q).toContain(nova)
      expect(found, q).not.toContain(granite)
    }
    expect(await search('Granit')).toContain(granite)
    expect(await search('zzqx')).toEqual([])
    // Every word must match: one unknown word is not a typo of anything.
    expect(await search('Nova Xyzzyq')).not.toContain(nova)
    // LIKE metacharacters are literal.
    expect(await search('%')).toEqual([cotton])
    expect(await search('_')).toEqual([])
  })

  it('POST /follows: 201, then 200 with the same body; 404 unknown creator; 401 without a token', async () => {
    const { creator } = await newCreator('Follow Me')
    const fan = await register(api)
    const first = await api.post(`${V1}/follows`, { creator_id: creator.creator_id }, fan.access_token)
    expect(first.status).toBe(201)
    expect(Object.keys(first.body).sort()).toEqual(['created_at', 'creator_id', 'user_id'])
    expect(first.body).toMatchObject({ user_id: fan.user.user_id, creator_id: creator.creator_id })
    expect(first.body.created_at).toMatch(ISO)
    const second = await api.post(`${V1}/follows`, { creator_id: creator.creator_id }, fan.access_token)
    expect(second.status).toBe(200)
    expect(second.body).toEqual(first.body)

    const unknown = await api.post(`${V1}/follows`, { creator_id: UNKNOWN_ID }, fan.access_token)
    expect(unknown.status).toBe(404)
    expect(unknown.body.code).toBe('not_found')
    const anonymous = await api.post(`${V1}/follows`, { creator_id: creator.creator_id })
    expect(anonymous.status).toBe(401)
    expect(anonymous.body.code).toBe('unauthenticated')
    const badId = await api.post(`${V1}/follows`, { creator_id: 'not-a-uuid' }, fan.access_token)
    expect(badId.status).toBe(400)
    expect(badId.body.code).toBe('validation_failed')
    expect(badId.body.errors[0].path).toBe('body/creator_id')

    const followers = await all<any>(api, `${V1}/creators/${creator.creator_id}/followers`, 100)
    expect(followers.map((f) => f.user_id)).toEqual([fan.user.user_id])
  })

  it('concurrent follows of the same pair make one edge: one 201, the rest 200, count 1', async () => {
    const { creator } = await newCreator('Race Target')
    const fan = await register(api)
    const replies = await Promise.all(
      Array.from({ length: 8 }, () =>
        api.post(`${V1}/follows`, { creator_id: creator.creator_id }, fan.access_token),
      ),
    )
    expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201])
    for (const reply of replies) expect(reply.body).toEqual(replies[0]!.body)
    await converges(() => followerCount(creator.creator_id), 1, 1000)
  })

  it('DELETE /follows/{creator_id}: 204, also when not following; 401 without a token', async () => {
    const { creator } = await newCreator('Unfollow Me')
    const fan = await register(api)
    await api.post(`${V1}/follows`, { creator_id: creator.creator_id }, fan.access_token)
    const removed = await api.delete(`${V1}/follows/${creator.creator_id}`, fan.access_token)
    expect(removed.status).toBe(204)
    expect(removed.body).toBe('')
    const again = await api.delete(`${V1}/follows/${creator.creator_id}`, fan.access_token)
    expect(again.status).toBe(204)
    const never = await api.delete(`${V1}/follows/${UNKNOWN_ID}`, fan.access_token)
    expect(never.status).toBe(204)
    const anonymous = await api.delete(`${V1}/follows/${creator.creator_id}`)
    expect(anonymous.status).toBe(401)
    expect(anonymous.body.code).toBe('unauthenticated')
    const followers = await api.get(`${V1}/creators/${creator.creator_id}/followers`)
    expect(followers.body).toEqual({ items: [], next_cursor: null })
  })

  it('GET /follows/{user_id}/{creator_id}/status tells whether and since when', async () => {
    const { creator } = await newCreator('Status Check')
    const fan = await register(api)
    const path = `${V1}/follows/${fan.user.user_id}/${creator.creator_id}/status`
    expect((await api.get(path)).body).toEqual({ following: false, since: null })
    const follow = await api.post(`${V1}/follows`, { creator_id: creator.creator_id }, fan.access_token)
    const following = await api.get(path)
    expect(following.status).toBe(200)
    expect(following.body).toEqual({ following: true, since: follow.body.created_at })
    await api.delete(`${V1}/follows/${creator.creator_id}`, fan.access_token)
    expect((await api.get(path)).body).toEqual({ following: false, since: null })
    const unknown = await api.get(`${V1}/follows/${UNKNOWN_ID}/${UNKNOWN_ID}/status`)
    expect(unknown.status).toBe(200)
    expect(unknown.body).toEqual({ following: false, since: null })
  })

  it('lists followers and following newest first, with the documented item shapes', async () => {
    const creators = [await newCreator('List A'), await newCreator('List B'), await newCreator('List C')]
    const fans = [await register(api), await register(api), await register(api)]
    const fan = fans[0]!
    const followedAt = new Map<string, string>()
    for (const f of fans) {
      const reply = await api.post(
        `${V1}/follows`,
        { creator_id: creators[0]!.creator.creator_id },
        f.access_token,
      )
      followedAt.set(f.user.user_id, reply.body.created_at)
    }
    const creatorFollowedAt = new Map<string, string>()
    for (const c of creators) {
      const reply = await api.post(`${V1}/follows`, { creator_id: c.creator.creator_id }, fan.access_token)
      creatorFollowedAt.set(c.creator.creator_id, reply.body.created_at)
    }

    const followers = await api.get(`${V1}/creators/${creators[0]!.creator.creator_id}/followers`)
    expect(followers.status).toBe(200)
    expect(followers.body.next_cursor).toBeNull()
    expect(followers.body.items).toEqual(
      [...fans].reverse().map((f) => ({
        user_id: f.user.user_id,
        username: f.user.username,
        followed_at: followedAt.get(f.user.user_id),
      })),
    )
    const paged = await all<any>(api, `${V1}/creators/${creators[0]!.creator.creator_id}/followers`, 1)
    expect(paged).toEqual(followers.body.items)

    const following = await api.get(`${V1}/users/${fan.user.user_id}/following`)
    expect(following.status).toBe(200)
    expect(following.body.next_cursor).toBeNull()
    expect(following.body.items).toEqual(
      [...creators].reverse().map((c) => ({
        creator_id: c.creator.creator_id,
        creator_name: c.creator.creator_name,
        followed_at: creatorFollowedAt.get(c.creator.creator_id),
      })),
    )
    const pagedFollowing = await all<any>(api, `${V1}/users/${fan.user.user_id}/following`, 2)
    expect(pagedFollowing).toEqual(following.body.items)

    const firstPage = await api.get(`${V1}/users/${fan.user.user_id}/following?limit=2`)
    expect(firstPage.body.items).toHaveLength(2)
    expect(typeof firstPage.body.next_cursor).toBe('string')

    const noCreator = await api.get(`${V1}/creators/${UNKNOWN_ID}/followers`)
    expect(noCreator.status).toBe(404)
    expect(noCreator.body.code).toBe('not_found')
    const noUser = await api.get(`${V1}/users/${UNKNOWN_ID}/following`)
    expect(noUser.status).toBe(404)
    expect(noUser.body.code).toBe('not_found')
    const nobody = await register(api)
    expect((await api.get(`${V1}/users/${nobody.user.user_id}/following`)).body).toEqual({
      items: [],
      next_cursor: null,
    })
  })

  it('follower_count converges to the exact number within 1 s after follows and unfollows', async () => {
    const { creator } = await newCreator('Counted')
    const id = creator.creator_id
    const fans = await Promise.all(Array.from({ length: 12 }, () => register(api)))

    await Promise.all(fans.map((f) => api.post(`${V1}/follows`, { creator_id: id }, f.access_token)))
    await converges(() => followerCount(id), 12, 1000)

    // Unfollows, repeated follows and unfollows of someone not following change only what they should.
    await Promise.all([
      ...fans.slice(0, 5).map((f) => api.delete(`${V1}/follows/${id}`, f.access_token)),
      ...fans.slice(5).map((f) => api.post(`${V1}/follows`, { creator_id: id }, f.access_token)),
      api.delete(`${V1}/follows/${id}`, (await register(api)).access_token),
    ])
    await converges(() => followerCount(id), 7, 1000)

    // A storm of follow/unfollow toggles by the same users ends at the number of edges that remain.
    await Promise.all(
      fans.map(async (f, i) => {
        for (let round = 0; round < 4 + (i % 2); round++) {
          const call =
            round % 2 === 0
              ? api.post(`${V1}/follows`, { creator_id: id }, f.access_token)
              : api.delete(`${V1}/follows/${id}`, f.access_token)
          expect((await call).status).toBeLessThan(300)
        }
      }),
    )
    const edges = (await all<any>(api, `${V1}/creators/${id}/followers`, 100)).length
    expect(edges).toBe(6) // the users with an odd index made one more follow than unfollows
    await converges(() => followerCount(id), edges, 1000)
    // And it stays there: folding does not drift.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(await followerCount(id)).toBe(edges)
    const listed = (await api.get(`${V1}/creators?q=Counted`)).body.items.find(
      (c: any) => c.creator_id === id,
    )
    expect(listed.follower_count).toBe(edges)
  })
})
