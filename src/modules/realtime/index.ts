import type { FastifyBaseLogger } from 'fastify'
import type { EventBus } from '../../platform/bus/index.js'
import type { Principal } from '../auth/index.js'
import { createHub, HUB_TOPICS } from './hub.js'
import type { RealtimeRouteOptions } from './routes.js'
import { sharedSnapshots } from './snapshots.js'

export { createHub, HUB_TOPICS, type Hub } from './hub.js'
export { realtimeRoutes } from './routes.js'

export interface RealtimeDeps {
  bus: EventBus
  authenticate(token: string): Promise<Principal | undefined>
  followedCreators(userId: string): Promise<string[]>
  dropSnapshot(dropId: string): Promise<unknown | undefined>
  log: FastifyBaseLogger
  maxConnectionsPerIp: number
  heartbeatMs: number
  maxBufferedBytes: number
}

/** Stock broadcasts per drop: at most four a second. */
export const STOCK_INTERVAL_MS = 250
/** How long a drop snapshot is handed to new subscribers while nothing was sent on its channel. */
const SNAPSHOT_REUSE_MS = 1_000

/** The realtime gateway: one bus subscription per process, routed to sockets in memory. */
export function createRealtimeModule(deps: RealtimeDeps): {
  routeOptions: RealtimeRouteOptions
  close(): void
} {
  const hub = createHub({ stockIntervalMs: STOCK_INTERVAL_MS, replayDepth: 2_000 })
  const unsubscribe = deps.bus.subscribe({ topics: HUB_TOPICS, handler: (event) => hub.dispatch(event) })
  return {
    routeOptions: {
      connection: {
        hub,
        authenticate: deps.authenticate,
        followedCreators: deps.followedCreators,
        dropSnapshot: sharedSnapshots(deps.dropSnapshot, hub.dropPosition, SNAPSHOT_REUSE_MS),
        maxBufferedBytes: deps.maxBufferedBytes,
        maxSubscriptions: 100,
        log: deps.log,
      },
      maxConnectionsPerIp: deps.maxConnectionsPerIp,
      heartbeatMs: deps.heartbeatMs,
    },
    close() {
      unsubscribe()
      hub.close()
    },
  }
}
