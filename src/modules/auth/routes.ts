import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { LoginBody, RefreshBody, RegisterBody, SessionSchema, TokensSchema } from './schema.js'
import type { AuthService } from './service.js'

export const authRoutes: FastifyPluginAsyncTypebox<{ auth: AuthService }> = async (app, { auth }) => {
  app.post(
    '/auth/register',
    { schema: { tags: ['auth'], body: RegisterBody, response: { 201: SessionSchema } } },
    async (request, reply) => reply.code(201).send(await auth.register(request.body)),
  )
  app.post(
    '/auth/login',
    { schema: { tags: ['auth'], body: LoginBody, response: { 200: SessionSchema } } },
    async (request) => auth.login(request.body, request.ip),
  )
  app.post(
    '/auth/refresh',
    { schema: { tags: ['auth'], body: RefreshBody, response: { 200: TokensSchema } } },
    async (request) => auth.refresh(request.body.refresh_token),
  )
  app.post('/auth/logout', { schema: { tags: ['auth'], body: RefreshBody } }, async (request, reply) => {
    await auth.logout(request.body.refresh_token)
    return reply.code(204).send()
  })
}
