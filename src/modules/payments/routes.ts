import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AppError, unauthenticated } from '../../platform/http/errors.js'
import { SIGNATURE_HEADER, verifySignature } from './signature.js'

export type WebhookOutcome = 'succeeded' | 'failed'

const WebhookBody = Type.Object(
  {
    order_id: Type.String({ format: 'uuid' }),
    outcome: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
  },
  { additionalProperties: false },
)
const WebhookReply = Type.Object({ order_id: Type.String(), status: Type.String() })

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string
  }
}

export const paymentsRoutes: FastifyPluginAsyncTypebox<{
  secret: string
  onOutcome: (orderId: string, outcome: WebhookOutcome) => Promise<{ order_id: string; status: string }>
}> = async (app, { secret, onOutcome }) => {
  // The signature covers the exact bytes sent, so this scope keeps the raw body.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string
    try {
      done(null, JSON.parse(body as string))
    } catch {
      done(new AppError(400, 'malformed_json', 'The request body is not valid JSON'), undefined)
    }
  })
  app.post(
    '/payments/webhook',
    {
      preValidation: async (request) => {
        const header = request.headers[SIGNATURE_HEADER]
        if (
          !verifySignature(secret, typeof header === 'string' ? header : undefined, request.rawBody ?? '')
        ) {
          throw unauthenticated('The webhook signature is missing, invalid or too old')
        }
      },
      schema: {
        tags: ['payments'],
        description:
          'Signed with `LiveDrop-Signature: t=<unix>,v1=<hex hmac-sha256 of "t.body">` using PAYMENT_WEBHOOK_SECRET.',
        body: WebhookBody,
        response: { 200: WebhookReply },
      },
    },
    async (request) => onOutcome(request.body.order_id, request.body.outcome),
  )
}
