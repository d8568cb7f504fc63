import type { BusEvent } from '../../platform/bus/index.js'
import { decodeCursor, type Page, toPage, UUID } from '../../platform/http/pagination.js'
import type { DropEvents } from '../drops/index.js'
import type { FollowsService } from '../follows/index.js'
import type { OrderEvents } from '../orders/index.js'
import type { InboxRow, NotificationsRepository } from './repository.js'

export interface Notification {
  notification_id: string
  type: string
  data: Record<string, unknown>
  created_at: string
  read: boolean
}

/** Order outcomes become a row in the buyer's own inbox. */
const PERSONAL_TOPICS = ['order.confirmed', 'order.cancelled', 'order.expired'] as const
/** Drop events become one row in the creator's feed, read by every follower's inbox. */
const FEED_TOPICS = ['drop.started'] as const
/** What the notifications consumer subscribes to. */
export const NOTIFICATION_TOPICS: string[] = [...PERSONAL_TOPICS, ...FEED_TOPICS]

type OrderOutcome = OrderEvents['order.confirmed'] & { reason?: string }

export interface NotificationsDeps {
  repo: NotificationsRepository
  follows: Pick<FollowsService, 'followedCreatorsSince'>
}

export type MarkRead = { notification_ids: string[] } | { all: true }

const isId = (value: unknown): value is string => typeof value === 'string' && UUID.test(value)

export function notificationsService({ repo, follows }: NotificationsDeps) {
  return {
    /**
     * Records one bus event; an item's `data` is the event payload, as the live `user` channel sends it.
     * Redelivery is harmless: the event id is the row id. An event without the ids it needs is skipped
     * rather than failed, as redelivering it would never succeed.
     */
    async record(event: BusEvent): Promise<void> {
      const entry = { id: event.id, type: event.topic, createdAt: event.created_at }
      if ((PERSONAL_TOPICS as readonly string[]).includes(event.topic)) {
        const order = event.payload as OrderOutcome
        if (!isId(order?.user_id)) return
        await repo.insertPersonal(order.user_id, { ...entry, data: order })
      } else if ((FEED_TOPICS as readonly string[]).includes(event.topic)) {
        const drop = event.payload as DropEvents['drop.started']
        if (!isId(drop?.creator_id)) return
        await repo.insertFeed(drop.creator_id, { ...entry, data: drop })
      }
    },

    /**
     * The caller's inbox, newest first: their own notifications merged with the drop events of the
     * creators they follow, from the moment they followed each. Keyset on (created_at, id).
     */
    async inbox(
      userId: string,
      query: { limit?: number; cursor?: string; unread_only?: boolean },
    ): Promise<Page<Notification>> {
      const limit = query.limit ?? 20
      const before = query.cursor
        ? (([createdAt, id]) => ({ createdAt, id }))(
            decodeCursor(query.cursor, ['date', 'uuid']) as [string, string],
          )
        : undefined
      const followed = await follows.followedCreatorsSince(userId)
      const rows = await repo.inbox({
        userId,
        follows: followed,
        limit: limit + 1,
        before,
        unreadOnly: query.unread_only ?? false,
      })
      return toPage(
        rows,
        limit,
        (r: InboxRow) => [r.createdAt.toISOString(), r.id],
        (r) => ({
          notification_id: r.id,
          type: r.type,
          data: r.data,
          created_at: r.createdAt.toISOString(),
          read: r.read,
        }),
      )
    },

    /** Marks the given items (own or feed) or everything up to now read; unknown ids are ignored. */
    async markRead(userId: string, request: MarkRead): Promise<void> {
      if ('all' in request) await repo.markAllRead(userId)
      else await repo.markRead(userId, request.notification_ids)
    },
  }
}
export type NotificationsService = ReturnType<typeof notificationsService>
