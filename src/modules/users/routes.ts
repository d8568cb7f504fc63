import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type Guards, principalOf } from '../auth/index.js'
import { ProfileSchema, ProfileUpdate, UserIdParams, UserSchema } from './schema.js'
import type { UsersService } from './service.js'

export const usersRoutes: FastifyPluginAsyncTypebox<{ users: UsersService; guards: Guards }> = async (
  app,
  { users, guards },
) => {
  app.get(
    '/me',
    {
      preHandler: guards.required,
      schema: { tags: ['users'], security: [{ bearer: [] }], response: { 200: UserSchema } },
    },
    async (request) => users.get(principalOf(request).userId),
  )
  app.get(
    '/users/:user_id/profile',
    { schema: { tags: ['users'], params: UserIdParams, response: { 200: ProfileSchema } } },
    async (request) => users.profile(request.params.user_id),
  )
  app.put(
    '/users/:user_id/profile',
    {
      preHandler: guards.required,
      schema: {
        tags: ['users'],
        security: [{ bearer: [] }],
        params: UserIdParams,
        body: ProfileUpdate,
        response: { 200: ProfileSchema },
      },
    },
    async (request) => users.updateProfile(principalOf(request).userId, request.params.user_id, request.body),
  )
}
