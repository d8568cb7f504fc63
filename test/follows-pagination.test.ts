import fc from 'fast-check'
import { uuidv7 } from 'uuidv7'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { accessTokens } from '../src/modules/auth/index.js'
import { hashPassword } from '../src/modules/auth/password.js'
import { createUsersModule } from '../src/modules/users/index.js'
import { type Client, client, register } from './support/client.js'
import { describeShapes, startApp, type TestApp } from './support/engines.js'

const V1 = '/api/v1'
const STABLE = 150
const CHURNERS = 40

interface Fan {
  userId: string
  token: string
}

/** A small deterministic generator of non-negative integers (mulberry32), so a failing seed replays. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

/** Runs `work` over `items`, at most `width` at a time. */
async function inBatches<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(work))
}

describeShapes('followers pagination under concurrent follows and unfollows', (shape) => {
  let server: TestApp
  let api: Client
  let creatorId: string
  let stable: Fan[]
  let churners: Fan[]

  beforeAll(async () => {
    server = await startApp(shape)
    api = client(server.url)
    const owner = await register(api)
    creatorId = (await api.post(`${V1}/creators`, { creator_name: 'Celebrity' }, owner.access_token)).body
      .creator_id

    // Accounts are made through the users service with one shared hash: hashing 190 passwords would only
    // slow the suite down. Their tokens are signed with the app's own key, so the API treats them as real.
    const users = createUsersModule(server.app.db).service
    const tokens = accessTokens(server.config.jwtSecret)
    const passwordHash = await hashPassword('Correct-horse-9')
    const fans: Fan[] = []
    await inBatches(
      Array.from({ length: STABLE + CHURNERS }, (_, i) => i),
      25,
      async (i) => {
        const name = `fan_${i}_${uuidv7().slice(-8)}`
        const user = await users.create({ email: `${name}@example.test`, username: name, passwordHash })
        fans[i] = {
          userId: user.user_id,
          token: await tokens.sign({ userId: user.user_id, roles: user.roles }),
        }
      },
    )
    stable = fans.slice(0, STABLE)
    churners = fans.slice(STABLE)
    await inBatches([...stable, ...churners.slice(0, CHURNERS / 2)], 20, async (fan) => {
      const reply = await api.post(`${V1}/follows`, { creator_id: creatorId }, fan.token)
      expect(reply.status).toBe(201)
    })
  })
  afterAll(() => server?.close())

  it('every follower present for the whole walk appears exactly once, whatever the page sizes', async () => {
    const stableIds = new Set(stable.map((f) => f.userId))
    const churnerIds = new Set(churners.map((f) => f.userId))
    // Who of the churners follows right now; each churner is driven by one worker at a time.
    const following = new Set(churners.slice(0, CHURNERS / 2).map((f) => f.userId))

    await fc.assert(
      fc.asyncProperty(
        // Small pages make long walks, so more of the churn lands mid-walk.
        fc.array(fc.oneof(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 100 })), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.integer(),
        async (pageSizes, seed) => {
          let walking = true
          let operations = 0
          const next = random(seed)
          // Four workers follow, unfollow and re-follow while the walk runs; worker w owns churners
          // w, w+4, w+8, ... so no two requests for the same user race each other.
          const churn = Array.from({ length: 4 }, async (_, w) => {
            const mine = churners.filter((_, i) => i % 4 === w)
            while (walking) {
              const fan = mine[next() % mine.length]!
              if (next() % 5 === 0) {
                // A stable follower following again must not move or duplicate its edge.
                const again = stable[next() % stable.length]!
                const reply = await api.post(`${V1}/follows`, { creator_id: creatorId }, again.token)
                expect(reply.status).toBe(200)
              } else if (following.has(fan.userId)) {
                expect((await api.delete(`${V1}/follows/${creatorId}`, fan.token)).status).toBe(204)
                following.delete(fan.userId)
              } else {
                expect((await api.post(`${V1}/follows`, { creator_id: creatorId }, fan.token)).status).toBe(
                  201,
                )
                following.add(fan.userId)
              }
              operations += 1
            }
          })

          const seen: string[] = []
          let previous: { at: string; id: string } | undefined
          let cursor: string | null = null
          let page = 0
          try {
            do {
              const limit = pageSizes[page % pageSizes.length]!
              page += 1
              const reply: { status: number; body: any } = await api.get(
                `${V1}/creators/${creatorId}/followers?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
              )
              expect(reply.status).toBe(200)
              expect(reply.body.items.length).toBeLessThanOrEqual(limit)
              for (const item of reply.body.items as { user_id: string; followed_at: string }[]) {
                // Newest first, strictly, across page boundaries too.
                if (previous) {
                  const before =
                    item.followed_at < previous.at ||
                    (item.followed_at === previous.at && item.user_id < previous.id)
                  expect(before).toBe(true)
                }
                previous = { at: item.followed_at, id: item.user_id }
                seen.push(item.user_id)
              }
              cursor = reply.body.next_cursor
              if (cursor) expect(reply.body.items.length).toBe(limit)
            } while (cursor)
          } finally {
            walking = false
            await Promise.all(churn)
          }

          expect(operations).toBeGreaterThan(0)
          expect(new Set(seen).size).toBe(seen.length)
          for (const id of seen) expect(stableIds.has(id) || churnerIds.has(id)).toBe(true)
          const missing = [...stableIds].filter((id) => !seen.includes(id))
          expect(missing).toEqual([])
        },
      ),
      {
        numRuns: 6,
        endOnFailure: true,
        // Always include the longest walk (one item per page) and a mix of tiny pages.
        examples: [
          [[1], 1],
          [[2, 1, 3], 2],
        ],
      },
    )

    // Once the churn has stopped, one more walk sees exactly the set of edges.
    const final = new Set<string>()
    let cursor: string | null = null
    do {
      const reply: { body: any } = await api.get(
        `${V1}/creators/${creatorId}/followers?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
      )
      for (const item of reply.body.items) final.add(item.user_id)
      cursor = reply.body.next_cursor
    } while (cursor)
    expect(final).toEqual(new Set([...stableIds, ...following]))
  })
})
