import { notFound } from '../../platform/http/errors.js'
import { decodeCursor, type Page, toPage } from '../../platform/http/pagination.js'
import type { CreatorsService } from '../creators/index.js'
import type { UsersService } from '../users/index.js'
import type { Edge, Follower, FollowsRepository } from './repository.js'

export interface Follow {
  user_id: string
  creator_id: string
  created_at: string
}

export interface FollowsDeps {
  repo: FollowsRepository
  creators: Pick<CreatorsService, 'exists' | 'names'>
  users: Pick<UsersService, 'exists' | 'usernames'>
}

const MAX_LIVE_FOLLOWS = 10_000

function afterOf(cursor: string | undefined) {
  if (!cursor) return undefined
  const [createdAt, id] = decodeCursor(cursor, ['date', 'uuid']) as [string, string]
  return { createdAt, id }
}

export function followsService({ repo, creators, users }: FollowsDeps) {
  return {
    /** Following is a set: a second follow changes nothing and reports `created: false`. */
    async follow(userId: string, creatorId: string): Promise<Follow & { created: boolean }> {
      if (!(await creators.exists(creatorId))) throw notFound('Creator')
      const edge = async () => {
        const inserted = await repo.insertEdge(creatorId, userId)
        if (inserted) return { createdAt: inserted, created: true }
        // Already following; an unfollow racing in between leaves nothing to read, and the retry inserts.
        const since = await repo.since(creatorId, userId)
        return since && { createdAt: since, created: false }
      }
      const found = (await edge()) ?? (await edge())
      if (!found) throw new Error('follow edge neither inserted nor found')
      return {
        user_id: userId,
        creator_id: creatorId,
        created_at: found.createdAt.toISOString(),
        created: found.created,
      }
    },

    unfollow: (userId: string, creatorId: string) => repo.unfollow(creatorId, userId),

    async status(userId: string, creatorId: string): Promise<{ following: boolean; since: string | null }> {
      const since = await repo.since(creatorId, userId)
      return { following: since !== undefined, since: since?.toISOString() ?? null }
    },

    /** Newest first. */
    async followers(
      creatorId: string,
      query: { limit?: number; cursor?: string },
    ): Promise<Page<{ user_id: string; username: string; followed_at: string }>> {
      const limit = query.limit ?? 20
      const after = afterOf(query.cursor)
      if (!(await creators.exists(creatorId))) throw notFound('Creator')
      const rows = await repo.followers(creatorId, limit, after)
      const page = toPage(
        rows,
        limit,
        (f: Follower) => [f.followedAt, f.userId],
        (f) => f,
      )
      const names = await users.usernames(page.items.map((f) => f.userId))
      return {
        items: page.items.map((f) => ({
          user_id: f.userId,
          username: names.get(f.userId) ?? '',
          followed_at: f.followedAt,
        })),
        next_cursor: page.next_cursor,
      }
    },

    /** Newest first. */
    async following(
      userId: string,
      query: { limit?: number; cursor?: string },
    ): Promise<Page<{ creator_id: string; creator_name: string; followed_at: string }>> {
      const limit = query.limit ?? 20
      const after = afterOf(query.cursor)
      if (!(await users.exists(userId))) throw notFound('User')
      const rows = await repo.following(userId, limit, after)
      const page = toPage(
        rows,
        limit,
        (e: Edge) => [e.createdAt.toISOString(), e.creatorId],
        (e) => e,
      )
      const names = await creators.names(page.items.map((e) => e.creatorId))
      return {
        items: page.items.map((e) => ({
          creator_id: e.creatorId,
          creator_name: names.get(e.creatorId) ?? '',
          followed_at: e.createdAt.toISOString(),
        })),
        next_cursor: page.next_cursor,
      }
    },

    counts: (creatorIds: string[]) => repo.counts(creatorIds),
    /** Creators a user follows, for live routing; capped, as no socket follows more. */
    followedCreatorIds: (userId: string) => repo.followedCreatorIds(userId, MAX_LIVE_FOLLOWS),
    /** Creators a user follows with the time each follow began (an inbox shows what came after). */
    followedCreatorsSince: (userId: string) => repo.followedSince(userId, MAX_LIVE_FOLLOWS),
    foldCounts: () => repo.foldCounts(),
  }
}
export type FollowsService = ReturnType<typeof followsService>
