import type { FastifyRequest } from 'fastify'
import { unauthenticated } from '../../platform/http/errors.js'
import type { Principal } from './tokens.js'

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined
  }
}

export interface Guards {
  /** Rejects the request with 401 unless it carries a valid access token. */
  required(request: FastifyRequest): Promise<void>
  /** Reads the access token when present; anonymous requests pass. */
  optional(request: FastifyRequest): Promise<void>
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (!header) return undefined
  const [scheme, token] = header.split(' ')
  return scheme?.toLowerCase() === 'bearer' && token ? token : ''
}

export function createGuards(authenticate: (token: string) => Promise<Principal | undefined>): Guards {
  return {
    async required(request) {
      const token = bearerOf(request)
      if (!token) throw unauthenticated()
      const principal = await authenticate(token)
      if (!principal) throw unauthenticated('The access token is invalid or expired')
      request.principal = principal
    },
    async optional(request) {
      const token = bearerOf(request)
      if (token === undefined) return
      const principal = token ? await authenticate(token) : undefined
      if (!principal) throw unauthenticated('The access token is invalid or expired')
      request.principal = principal
    },
  }
}

/** The caller of a route guarded by `required`. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthenticated()
  return request.principal
}
