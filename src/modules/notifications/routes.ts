import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { type Guards, principalOf } from '../auth/index.js'
import { MarkReadBody, NotificationListQuery, NotificationPage } from './schema.js'
import type { NotificationsService } from './service.js'

export const notificationsRoutes: FastifyPluginAsyncTypebox<{
  notifications: NotificationsService
  guards: Guards
}> = async (app, { notifications, guards }) => {
  const tags = ['notifications']
  const security = [{ bearer: [] }]
  const authed = { preHandler: guards.required }

  app.get(
    '/me/notifications',
    {
      ...authed,
      schema: {
        tags,
        security,
        description:
          'Newest first: the caller’s own notifications merged with drop events of the creators they follow (from when they followed).',
        querystring: NotificationListQuery,
        response: { 200: NotificationPage },
      },
    },
    async (request) => notifications.inbox(principalOf(request).userId, request.query),
  )
  app.post(
    '/me/notifications/read',
    {
      ...authed,
      schema: {
        tags,
        security,
        description: 'Unknown ids and ids of other users’ notifications are ignored.',
        body: MarkReadBody,
        response: { 204: Type.Null({ description: 'Marked read' }) },
      },
    },
    async (request, reply) => {
      await notifications.markRead(principalOf(request).userId, request.body)
      return reply.code(204).send(null)
    },
  )
}
