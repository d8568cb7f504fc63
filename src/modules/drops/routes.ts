import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type Guards, principalOf } from '../auth/index.js'
import {
  CreateDropBody,
  DropIdParams,
  DropItemsSchema,
  DropListQuery,
  DropPage,
  DropSchema,
  InventorySchema,
  UpdateDropBody,
} from './schema.js'
import type { DropsService } from './service.js'

export const dropsRoutes: FastifyPluginAsyncTypebox<{ drops: DropsService; guards: Guards }> = async (
  app,
  { drops, guards },
) => {
  const tags = ['drops']
  const security = [{ bearer: [] }]
  app.post(
    '/drops',
    {
      preHandler: guards.required,
      schema: { tags, security, body: CreateDropBody, response: { 201: DropSchema } },
    },
    async (request, reply) =>
      reply.code(201).send(await drops.create(principalOf(request).userId, request.body)),
  )
  app.get(
    '/drops',
    {
      schema: {
        tags,
        description: 'Newest first. `cursor` walks the list; `page` (1-based) is an offset convenience.',
        querystring: DropListQuery,
        response: { 200: DropPage },
      },
    },
    async (request) => drops.list(request.query),
  )
  app.get(
    '/drops/:drop_id',
    { schema: { tags, params: DropIdParams, response: { 200: DropSchema } } },
    async (request) => drops.get(request.params.drop_id),
  )
  app.get(
    '/drops/:drop_id/items',
    { schema: { tags, params: DropIdParams, response: { 200: DropItemsSchema } } },
    async (request) => drops.items(request.params.drop_id),
  )
  app.get(
    '/drops/:drop_id/inventory',
    { schema: { tags, params: DropIdParams, response: { 200: InventorySchema } } },
    async (request) => drops.inventory(request.params.drop_id),
  )
  app.put(
    '/drops/:drop_id',
    {
      preHandler: guards.required,
      schema: { tags, security, params: DropIdParams, body: UpdateDropBody, response: { 200: DropSchema } },
    },
    async (request) => drops.update(principalOf(request).userId, request.params.drop_id, request.body),
  )
}
