import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import websocket from '@fastify/websocket'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type WebSocket from 'ws'
import { AppError, unauthenticated } from '../../platform/http/errors.js'
import type { Principal } from '../auth/index.js'
import { type ConnectionDeps, openConnection } from './connection.js'
import { startHeartbeats } from './heartbeat.js'

export interface RealtimeRouteOptions {
  connection: ConnectionDeps
  maxConnectionsPerIp: number
  heartbeatMs: number
}

/** Largest frame a client may send. */
const MAX_FRAME_BYTES = 16 * 1024
const GOING_AWAY = 1001

declare module 'fastify' {
  interface FastifyRequest {
    socketPrincipal?: Principal
  }
}

const Query = Type.Object({ access_token: Type.Optional(Type.String({ maxLength: 4096 })) })

export const realtimeRoutes: FastifyPluginAsyncTypebox<RealtimeRouteOptions> = async (app, options) => {
  const { connection } = options
  await app.register(websocket, { options: { maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false } })

  const perIp = new Map<string, number>()
  const heartbeats = startHeartbeats(options.heartbeatMs)

  /** Runs before the upgrade, so refusals are plain HTTP answers (problem+json). */
  async function admit(request: FastifyRequest<{ Querystring: { access_token?: string } }>) {
    if ((perIp.get(request.ip) ?? 0) >= options.maxConnectionsPerIp) {
      throw new AppError(429, 'rate_limited', 'Too many WebSocket connections from this address', {
        headers: { 'retry-after': '5' },
      })
    }
    const token = request.query.access_token
    if (token !== undefined) {
      const principal = await connection.authenticate(token)
      if (!principal) throw unauthenticated('The access token is invalid or expired')
      request.socketPrincipal = principal
    }
  }

  function track(socket: WebSocket, ip: string) {
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1)
    heartbeats.watch(socket)
    socket.on('close', () => {
      const left = (perIp.get(ip) ?? 1) - 1
      if (left <= 0) perIp.delete(ip)
      else perIp.set(ip, left)
    })
  }

  app.addHook('preClose', async () => {
    heartbeats.stop()
    for (const socket of heartbeats.sockets()) socket.close(GOING_AWAY, 'server shutting down')
  })

  const rateLimit = { rateLimit: false } as const
  app.get(
    '/ws',
    {
      websocket: true,
      config: rateLimit,
      preValidation: admit,
      schema: { hide: true, querystring: Query },
    },
    (socket, request) => {
      track(socket, request.ip)
      openConnection(socket, connection, { principal: request.socketPrincipal })
    },
  )
  app.get(
    '/ws/drops/:drop_id/stock',
    {
      websocket: true,
      config: rateLimit,
      preValidation: admit,
      schema: {
        hide: true,
        querystring: Query,
        params: Type.Object({ drop_id: Type.String({ format: 'uuid' }) }),
      },
    },
    (socket, request) => {
      track(socket, request.ip)
      openConnection(socket, connection, {
        principal: request.socketPrincipal,
        dropId: request.params.drop_id,
      })
    },
  )
}
