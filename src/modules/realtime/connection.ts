import type { FastifyBaseLogger } from 'fastify'
import WebSocket from 'ws'
import { UUID } from '../../platform/http/pagination.js'
import type { Principal } from '../auth/index.js'
import type { Hub, Peer } from './hub.js'
import type { SharedSnapshot } from './snapshots.js'

export interface ConnectionDeps {
  hub: Hub
  authenticate(token: string): Promise<Principal | undefined>
  followedCreators(userId: string): Promise<string[]>
  /** The snapshot frame of a drop's channel at its current position (shared by the gateway's sockets). */
  dropSnapshot(dropId: string): SharedSnapshot
  maxBufferedBytes: number
  maxSubscriptions: number
  log: FastifyBaseLogger
}

/** Client frames that can be fixed by the client; the socket stays open after them. */
type ErrorCode =
  | 'bad_frame'
  | 'unknown_type'
  | 'invalid_channel'
  | 'unauthenticated'
  | 'already_authenticated'
  | 'not_found'
  | 'too_many_subscriptions'

const SOCKET_TOO_SLOW = 1013

/** One WebSocket: the protocol of API.md (auth, subscribe with `since`, unsubscribe, ping). */
export function openConnection(
  socket: WebSocket,
  deps: ConnectionDeps,
  initial: { principal?: Principal; dropId?: string },
) {
  const { hub } = deps
  const drops = new Set<string>()
  let user = false
  const peer: Peer & { userId: string | undefined } = {
    userId: undefined,
    send(bytes) {
      if (socket.readyState !== WebSocket.OPEN) return false
      if (socket.bufferedAmount > deps.maxBufferedBytes) {
        // A reader this far behind would slow everyone; it can reconnect with `since`.
        socket.close(SOCKET_TOO_SLOW, 'too slow: reconnect with since')
        socket.terminate()
        return false
      }
      socket.send(bytes, { binary: false })
      return true
    },
  }
  const reply = (message: object) => peer.send(Buffer.from(JSON.stringify(message)))
  const error = (code: ErrorCode, message: string) => reply({ type: 'error', code, message })

  async function signIn(principal: Principal) {
    peer.userId = principal.userId
    user = true
    hub.attachUser(peer, await deps.followedCreators(principal.userId))
  }

  async function subscribeDrop(dropId: string, since: number | undefined) {
    if (!UUID.test(dropId)) return error('invalid_channel', `"drop:${dropId}" is not a drop channel`)
    if (!drops.has(dropId) && drops.size >= deps.maxSubscriptions) {
      return error('too_many_subscriptions', `at most ${deps.maxSubscriptions} drop channels per socket`)
    }
    const missed = since === undefined ? undefined : hub.dropSince(dropId, since)
    if (missed) {
      drops.add(dropId)
      hub.watchDrop(peer, dropId)
      for (const bytes of missed) peer.send(bytes)
      return
    }
    const snapshot = await deps.dropSnapshot(dropId).frame
    if (snapshot === undefined) return error('not_found', `no drop ${dropId}`)
    drops.add(dropId)
    hub.watchDrop(peer, dropId)
    // Events that reached this gateway while the snapshot was read are not replayed: the snapshot's
    // figures may already be newer than them.
    peer.send(snapshot)
  }

  function subscribeUser(since: number | undefined) {
    if (!user) return error('unauthenticated', 'the user channel needs an access token')
    const missed = since === undefined ? undefined : hub.userSince(peer, since)
    if (missed) for (const bytes of missed) peer.send(bytes)
    else reply({ type: 'snapshot', channel: 'user', seq: hub.userPosition(), data: { user_id: peer.userId } })
  }

  async function handle(raw: WebSocket.RawData, isBinary: boolean) {
    if (isBinary) return error('bad_frame', 'frames must be JSON text')
    let frame: unknown
    try {
      frame = JSON.parse(raw.toString())
    } catch {
      return error('bad_frame', 'frames must be JSON')
    }
    if (!frame || typeof frame !== 'object' || Array.isArray(frame))
      return error('bad_frame', 'a frame is a JSON object')
    const { type, channel, since, token } = frame as Record<string, unknown>
    if (since !== undefined && (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0)) {
      return error('bad_frame', '"since" is a non-negative integer seq')
    }
    switch (type) {
      case 'ping':
        return reply({ type: 'pong' })
      case 'auth': {
        if (user) return error('already_authenticated', 'this socket is already signed in')
        const principal = typeof token === 'string' ? await deps.authenticate(token) : undefined
        if (!principal) return error('unauthenticated', 'the token is invalid or expired')
        await signIn(principal)
        return subscribeUser(undefined)
      }
      case 'subscribe':
        if (channel === 'user') return subscribeUser(since as number | undefined)
        if (typeof channel === 'string' && channel.startsWith('drop:')) {
          return subscribeDrop(channel.slice(5), since as number | undefined)
        }
        return error('invalid_channel', 'channels are "drop:<id>" and "user"')
      case 'unsubscribe':
        if (typeof channel === 'string' && channel.startsWith('drop:') && drops.delete(channel.slice(5))) {
          hub.unwatchDrop(peer, channel.slice(5))
        }
        return
      default:
        return error('unknown_type', 'types are auth, subscribe, unsubscribe and ping')
    }
  }

  // Frames are handled in order, one at a time, so a subscribe never overtakes the auth before it.
  let queue: Promise<unknown> = Promise.resolve()
  socket.on('message', (raw, isBinary) => {
    queue = queue
      .then(() => handle(raw, isBinary))
      .catch((failure: unknown) => {
        deps.log.warn({ err: failure }, 'websocket frame failed')
        reply({ type: 'error', code: 'internal_error', message: 'the frame could not be handled' })
      })
  })
  socket.on('close', () => {
    queue = queue.then(() => hub.detach(peer, drops))
  })
  socket.on('error', () => socket.terminate())

  queue = queue.then(async () => {
    if (initial.principal) {
      await signIn(initial.principal)
      subscribeUser(undefined)
    }
    if (initial.dropId) await subscribeDrop(initial.dropId, undefined)
  })
}
