import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type Guards, principalOf } from '../auth/index.js'
import { CreateCreatorBody, CreatorIdParams, CreatorListQuery, CreatorPage, CreatorSchema } from './schema.js'
import type { CreatorsService } from './service.js'

export const creatorsRoutes: FastifyPluginAsyncTypebox<{
  creators: CreatorsService
  guards: Guards
}> = async (app, { creators, guards }) => {
  app.post(
    '/creators',
    {
      preHandler: guards.required,
      schema: {
        tags: ['creators'],
        security: [{ bearer: [] }],
        body: CreateCreatorBody,
        response: { 201: CreatorSchema },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await creators.become(principalOf(request).userId, request.body)),
  )
  app.get(
    '/me/creator',
    {
      preHandler: guards.required,
      schema: {
        tags: ['creators'],
        summary: "The caller's own creator profile (404 when the caller is not a creator)",
        security: [{ bearer: [] }],
        response: { 200: CreatorSchema },
      },
    },
    async (request) => creators.mine(principalOf(request).userId),
  )
  app.get(
    '/creators/:creator_id',
    { schema: { tags: ['creators'], params: CreatorIdParams, response: { 200: CreatorSchema } } },
    async (request) => creators.get(request.params.creator_id),
  )
  app.get(
    '/creators',
    { schema: { tags: ['creators'], querystring: CreatorListQuery, response: { 200: CreatorPage } } },
    async (request) => creators.list(request.query),
  )
}
