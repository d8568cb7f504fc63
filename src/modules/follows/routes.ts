import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type Guards, principalOf } from '../auth/index.js'
import {
  CreatorIdParams,
  FollowBody,
  FollowerPage,
  FollowingPage,
  FollowSchema,
  ListQuery,
  StatusParams,
  StatusSchema,
  UserIdParams,
} from './schema.js'
import type { FollowsService } from './service.js'

export const followsRoutes: FastifyPluginAsyncTypebox<{ follows: FollowsService; guards: Guards }> = async (
  app,
  { follows, guards },
) => {
  const authed = { preHandler: guards.required }
  const security = [{ bearer: [] }]

  app.post(
    '/follows',
    {
      ...authed,
      schema: {
        tags: ['follows'],
        security,
        body: FollowBody,
        response: { 200: FollowSchema, 201: FollowSchema },
      },
    },
    async (request, reply) => {
      const { created, ...follow } = await follows.follow(
        principalOf(request).userId,
        request.body.creator_id,
      )
      return reply.code(created ? 201 : 200).send(follow)
    },
  )
  app.delete(
    '/follows/:creator_id',
    { ...authed, schema: { tags: ['follows'], security, params: CreatorIdParams } },
    async (request, reply) => {
      await follows.unfollow(principalOf(request).userId, request.params.creator_id)
      return reply.code(204).send()
    },
  )
  app.get(
    '/follows/:user_id/:creator_id/status',
    { schema: { tags: ['follows'], params: StatusParams, response: { 200: StatusSchema } } },
    async (request) => follows.status(request.params.user_id, request.params.creator_id),
  )
  app.get(
    '/creators/:creator_id/followers',
    {
      schema: {
        tags: ['follows'],
        params: CreatorIdParams,
        querystring: ListQuery,
        response: { 200: FollowerPage },
      },
    },
    async (request) => follows.followers(request.params.creator_id, request.query),
  )
  app.get(
    '/users/:user_id/following',
    {
      schema: {
        tags: ['follows'],
        params: UserIdParams,
        querystring: ListQuery,
        response: { 200: FollowingPage },
      },
    },
    async (request) => follows.following(request.params.user_id, request.query),
  )
}
