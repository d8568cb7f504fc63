import type { EventBus } from '../../platform/bus/index.js'
import type { Db } from '../../platform/db/index.js'
import { notificationsRepository } from './repository.js'
import { NOTIFICATION_TOPICS, type NotificationsDeps, notificationsService } from './service.js'

export { notificationsRoutes } from './routes.js'
export type { MarkRead, Notification, NotificationsService } from './service.js'

export function createNotificationsModule(db: Db, deps: Omit<NotificationsDeps, 'repo'>) {
  return { service: notificationsService({ repo: notificationsRepository(db), ...deps }) }
}

/**
 * Writes inbox rows from bus events. One member of the `notifications` group across the fleet takes
 * each event, and it is redelivered until recorded; rows are keyed by event id, so repeats are no-ops.
 */
export function startNotificationConsumer(
  bus: EventBus,
  notifications: Pick<ReturnType<typeof notificationsService>, 'record'>,
): () => void {
  return bus.subscribe({ group: 'notifications', topics: NOTIFICATION_TOPICS, handler: notifications.record })
}
