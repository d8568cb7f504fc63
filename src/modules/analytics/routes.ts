import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Guards } from '../auth/index.js'
import { IngestBody, IngestReply, MAX_EVENTS } from './schema.js'
import type { AnalyticsService } from './service.js'

export const analyticsRoutes: FastifyPluginAsyncTypebox<{
  analytics: AnalyticsService
  guards: Guards
}> = async (app, { analytics, guards }) => {
  app.post(
    '/analytics/events',
    {
      preHandler: guards.optional,
      schema: {
        tags: ['analytics'],
        security: [{}, { bearer: [] }],
        description: `Up to ${MAX_EVENTS} events per request; signed-in callers' events carry their user id.`,
        body: IngestBody,
        response: { 202: IngestReply },
      },
    },
    async (request, reply) => {
      const accepted = await analytics.ingest(request.principal?.userId, request.body.events)
      return reply.code(202).send(accepted)
    },
  )
}
