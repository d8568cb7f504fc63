import { LRUCache } from 'lru-cache'
import { uuidv7 } from 'uuidv7'
import { uniqueViolation } from '../../platform/db/index.js'
import { AppError, notFound } from '../../platform/http/errors.js'
import { decodeCursor, type Page, toPage } from '../../platform/http/pagination.js'
import type { UsersService } from '../users/index.js'
import type { CreatorsRepository } from './repository.js'
import type { CreatorRow } from './schema.js'

export interface Creator {
  creator_id: string
  user_id: string
  creator_name: string
  bio: string | null
  profile_image_url: string | null
  follower_count: number
  total_drops: number
  is_verified: boolean
  created_at: string
}

export interface CreatorsDeps {
  repo: CreatorsRepository
  users: UsersService
  /** Follower counts live with the follow graph; the composition root wires them in. */
  followerCounts: (creatorIds: string[]) => Promise<Map<string, number>>
}

const alreadyCreator = () => new AppError(409, 'already_exists', 'You already have a creator profile')

export function creatorsService({ repo, users, followerCounts }: CreatorsDeps) {
  // Creators are never deleted, so a creator seen once exists for good.
  const known = new LRUCache<string, true>({ max: 100_000 })

  async function present(rows: CreatorRow[]): Promise<Creator[]> {
    const counts = await followerCounts(rows.map((r) => r.creatorId))
    return rows.map((row) => ({
      creator_id: row.creatorId,
      user_id: row.userId,
      creator_name: row.creatorName,
      bio: row.bio,
      profile_image_url: row.profileImageUrl,
      follower_count: counts.get(row.creatorId) ?? 0,
      total_drops: row.totalDrops,
      is_verified: row.isVerified,
      created_at: row.createdAt.toISOString(),
    }))
  }

  return {
    /** Makes the caller a creator: the profile row, then the role, undoing the row if the role fails. */
    async become(
      userId: string,
      input: { creator_name: string; bio?: string | null; profile_image_url?: string | null },
    ): Promise<Creator> {
      if (await repo.findByUserId(userId)) throw alreadyCreator()
      let row: CreatorRow
      try {
        row = await repo.insert({
          creatorId: uuidv7(),
          userId,
          creatorName: input.creator_name.trim(),
          bio: input.bio ?? null,
          profileImageUrl: input.profile_image_url ?? null,
        })
      } catch (error) {
        if (uniqueViolation(error)) throw alreadyCreator()
        throw error
      }
      try {
        await users.addRole(userId, 'creator')
      } catch (error) {
        await repo.remove(row.creatorId)
        throw error
      }
      return (await present([row]))[0]!
    },

    async get(creatorId: string): Promise<Creator> {
      const row = await repo.findById(creatorId)
      if (!row) throw notFound('Creator')
      return (await present([row]))[0]!
    },

    /** The caller's own creator profile; 404 when the user has none. */
    async mine(userId: string): Promise<Creator> {
      const row = await repo.findByUserId(userId)
      if (!row) throw notFound('Creator profile')
      return (await present([row]))[0]!
    },

    async byUser(userId: string): Promise<Creator | undefined> {
      const row = await repo.findByUserId(userId)
      return row && (await present([row]))[0]
    },

    async exists(creatorId: string): Promise<boolean> {
      if (known.has(creatorId)) return true
      const found = (await repo.findById(creatorId)) !== undefined
      if (found) known.set(creatorId, true)
      return found
    },

    /** Consumes drop.created: the creator's drop count as of that drop. */
    recordDropCount: (creatorId: string, totalDrops: number) => repo.raiseTotalDrops(creatorId, totalDrops),

    async names(creatorIds: string[]): Promise<Map<string, string>> {
      const rows = await repo.findMany(creatorIds)
      return new Map(rows.map((r) => [r.creatorId, r.creatorName]))
    },

    /** Newest first. */
    async list(query: { limit?: number; cursor?: string; q?: string }): Promise<Page<Creator>> {
      const limit = query.limit ?? 20
      const after = query.cursor ? decodeCursor(query.cursor, ['date', 'uuid']) : undefined
      const rows = await repo.list({
        limit,
        q: query.q?.trim() || undefined,
        after: after && { createdAt: after[0] as string, creatorId: after[1] as string },
      })
      const page = toPage(
        rows,
        limit,
        (r) => [r.createdAt.toISOString(), r.creatorId],
        (r) => r,
      )
      return { items: await present(page.items), next_cursor: page.next_cursor }
    },
  }
}
export type CreatorsService = ReturnType<typeof creatorsService>
