import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type Guards, principalOf } from '../auth/index.js'
import {
  CreateOrderBody,
  DropIdParams,
  HistorySchema,
  IdempotencyHeaders,
  OrderIdParams,
  OrderListQuery,
  OrderPage,
  OrderSchema,
  UpdateOrderBody,
  UserIdParams,
} from './schema.js'
import type { OrdersService } from './service.js'

export const ordersRoutes: FastifyPluginAsyncTypebox<{ orders: OrdersService; guards: Guards }> = async (
  app,
  { orders, guards },
) => {
  const tags = ['orders']
  const security = [{ bearer: [] }]
  const authed = { preHandler: guards.required }

  app.post(
    '/orders',
    {
      ...authed,
      schema: {
        tags,
        security,
        description:
          'Requires `Idempotency-Key`. 201 paid, 202 pending payment; errors sold_out, drop_not_live, purchase_limit_exceeded (409), payment_declined (402), idempotency_key_missing (400), idempotency_key_reused (422), idempotency_key_in_use (409). A replay answers like the first request with `Idempotent-Replayed: true`.',
        headers: IdempotencyHeaders,
        body: CreateOrderBody,
        response: { 201: OrderSchema, 202: OrderSchema },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key']
      const answer = await orders.placeIdempotent(
        principalOf(request).userId,
        typeof key === 'string' ? key : undefined,
        request.body,
      )
      if (answer.replayed) reply.header('idempotent-replayed', 'true')
      // The stored bytes are sent as they are, so a replay is identical to the first answer.
      return reply
        .code(answer.status as 201)
        .type(answer.problem ? 'application/problem+json' : 'application/json; charset=utf-8')
        .serializer((payload: unknown) => payload as string)
        .send(answer.body as never)
    },
  )
  app.get(
    '/orders/:order_id',
    { ...authed, schema: { tags, security, params: OrderIdParams, response: { 200: OrderSchema } } },
    async (request) => orders.get(principalOf(request), request.params.order_id),
  )
  app.put(
    '/orders/:order_id',
    {
      ...authed,
      schema: {
        tags,
        security,
        params: OrderIdParams,
        body: UpdateOrderBody,
        response: { 200: OrderSchema },
      },
    },
    async (request) => orders.update(principalOf(request), request.params.order_id, request.body),
  )
  app.get(
    '/orders/:order_id/history',
    { ...authed, schema: { tags, security, params: OrderIdParams, response: { 200: HistorySchema } } },
    async (request) => orders.history(principalOf(request), request.params.order_id),
  )
  app.get(
    '/users/:user_id/orders',
    {
      ...authed,
      schema: {
        tags,
        security,
        params: UserIdParams,
        querystring: OrderListQuery,
        response: { 200: OrderPage },
      },
    },
    async (request) => orders.listForUser(principalOf(request), request.params.user_id, request.query),
  )
  app.get(
    '/drops/:drop_id/orders',
    {
      ...authed,
      schema: {
        tags,
        security,
        description: 'The drop’s creator or an admin: its orders, newest first.',
        params: DropIdParams,
        querystring: OrderListQuery,
        response: { 200: OrderPage },
      },
    },
    async (request) => orders.listForDrop(principalOf(request), request.params.drop_id, request.query),
  )
}
