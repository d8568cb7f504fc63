import type { FastifyBaseLogger } from 'fastify'
import { type Config, runsApi, runsRealtime, runsWorker } from './config.js'
import { analyticsRoutes, createAnalyticsModule } from './modules/analytics/index.js'
import { authRoutes, createAuthModule } from './modules/auth/index.js'
import { catalogRoutes, createCatalogModule } from './modules/catalog/index.js'
import { createCreatorsModule, creatorsRoutes } from './modules/creators/index.js'
import { createDropsModule, dropsRoutes, startScheduler } from './modules/drops/index.js'
import {
  createFollowsModule,
  followerCountsReader,
  followsRoutes,
  startCountFolding,
} from './modules/follows/index.js'
import { createInventoryModule, type InventoryModule } from './modules/inventory/index.js'
import {
  createNotificationsModule,
  notificationsRoutes,
  startNotificationConsumer,
} from './modules/notifications/index.js'
import {
  createOrdersModule,
  type IdempotencyStore,
  ordersRoutes,
  startOrderHousekeeping,
} from './modules/orders/index.js'
import { paymentsRoutes, testPaymentProvider } from './modules/payments/index.js'
import { createRealtimeModule, realtimeRoutes } from './modules/realtime/index.js'
import { createUsersModule, usersRoutes } from './modules/users/index.js'
import { type BusEvent, type EventBus, inProcessBus } from './platform/bus/index.js'
import { natsBus } from './platform/bus/nats.js'
import { type Cache, memoryCache, redisCache } from './platform/cache/index.js'
import { createDb, type Db } from './platform/db/index.js'
import { migrate } from './platform/db/migrate.js'
import { AppError } from './platform/http/errors.js'
import { createHttpServer, type HttpServer, type ReadinessCheck } from './platform/http/server.js'
import { registerWebApp } from './platform/http/static.js'
import { createLogger } from './platform/logger.js'
import { createMetrics } from './platform/metrics.js'
import { startOutboxPruning, startRelay } from './platform/outbox/index.js'
import {
  memoryRateLimitStore,
  type RateLimitStore,
  redisRateLimitStore,
} from './platform/rate-limit/index.js'
import { connectRedis, type RedisClient } from './platform/redis.js'

export interface AppOptions {
  logger?: FastifyBaseLogger
  /** Where the embedded database lives; defaults to `<DATA_DIR>/pglite`. `memory://` for tests. */
  pgliteDir?: string
  /** Apply pending migrations before serving (default true). */
  migrate?: boolean
  /** The order path's fast idempotency store, when the caller wants to hold it (default: from config). */
  idempotency?: IdempotencyStore
}

export interface LiveDrop {
  config: Config
  http: HttpServer
  db: Db
  redis: RedisClient | undefined
  bus: EventBus
  cache: Cache
  /** The inventory gate and its reconciler (tests compare the gate with the database). */
  inventory: InventoryModule
  /** Listens on the configured host and port (0 picks a free port); returns the base URL. */
  listen(): Promise<string>
  close(): Promise<void>
}

export const API_PREFIX = '/api/v1'

/** The composition root: config -> platform adapters -> modules -> routes and workers. */
export async function buildApp(config: Config, options: AppOptions = {}): Promise<LiveDrop> {
  const logger = options.logger ?? createLogger(config.logLevel)
  const db = await createDb({
    databaseUrl: config.databaseUrl,
    readUrls: config.databaseReadUrls,
    poolSize: config.databasePoolSize,
    pgliteDir: options.pgliteDir ?? `${config.dataDir}/pglite`,
  })
  const closers: (() => Promise<void>)[] = [() => db.close()]
  try {
    if (options.migrate !== false) await migrate(db, logger)

    const redis = config.redisUrl ? await connectRedis(config.redisUrl) : undefined
    if (redis) closers.unshift(async () => void (await redis.close()))
    const rateLimitStore: RateLimitStore = redis
      ? redisRateLimitStore(redis, config.redisKeyPrefix)
      : memoryRateLimitStore()

    const cache = redis ? redisCache(redis, config.redisKeyPrefix) : memoryCache()
    const onBusError = (error: unknown, event?: BusEvent) =>
      logger.error({ err: error, eventId: event?.id, topic: event?.topic }, 'event consumer failed')
    const bus = config.natsUrl
      ? await natsBus({
          url: config.natsUrl,
          stream: config.natsStream,
          subjectPrefix: config.natsSubjectPrefix,
          onError: onBusError,
        })
      : inProcessBus(onBusError)
    closers.unshift(() => bus.close())

    const readiness: ReadinessCheck[] = [{ name: 'database', check: () => db.ping() }]
    if (redis) readiness.push({ name: 'redis', check: async () => void (await redis.ping()) })
    if (config.natsUrl) readiness.push({ name: 'nats', check: () => bus.ping() })

    const metrics = createMetrics()
    const http = await createHttpServer({ config, logger, metrics, rateLimitStore, readiness })

    const users = createUsersModule(db).service
    const auth = createAuthModule({ config, db, users, rateLimitStore })
    const creators = createCreatorsModule(db, { users, followerCounts: followerCountsReader(db) }).service
    const follows = createFollowsModule(db, { creators, users }).service
    const catalog = createCatalogModule({ db, cache, bus, creators }).service
    // The gate reads the database through the drops module, which needs the gate: wired in two steps.
    const stockSource = {
      openDropIds: () => drops.openDropIds(),
      stockState: (dropId: string) => drops.stockState(dropId),
    }
    const inventory = createInventoryModule({
      redis,
      redisKeyPrefix: config.redisKeyPrefix,
      source: stockSource,
      log: logger,
    })
    const drops = createDropsModule(db, { catalog, creators, gate: inventory.gate, cache, bus }).service
    const orders = createOrdersModule(db, {
      drops,
      creators,
      gate: inventory.gate,
      payments: testPaymentProvider(),
      holdTtlSeconds: config.holdTtlSeconds,
      redis,
      redisKeyPrefix: config.redisKeyPrefix,
      idempotency: options.idempotency,
    }).service
    const notifications = createNotificationsModule(db, { follows }).service
    const analytics = createAnalyticsModule(db).service
    bus.subscribe({
      group: 'creators',
      topics: ['drop.created'],
      handler: (event) => {
        const { creator_id, creator_total_drops } = event.payload as {
          creator_id: string
          creator_total_drops: number
        }
        return creators.recordDropCount(creator_id, creator_total_drops)
      },
    })

    if (runsApi(config.role)) {
      const guards = auth.guards
      await http.register(
        async (api) => {
          await api.register(authRoutes, { auth: auth.service })
          await api.register(usersRoutes, { users, guards })
          await api.register(creatorsRoutes, { creators, guards })
          await api.register(followsRoutes, { follows, guards })
          await api.register(catalogRoutes, { catalog, guards })
          await api.register(dropsRoutes, { drops, guards })
          await api.register(ordersRoutes, { orders, guards })
          await api.register(paymentsRoutes, {
            secret: config.paymentWebhookSecret,
            onOutcome: orders.applyPaymentOutcome,
          })
          await api.register(notificationsRoutes, { notifications, guards })
          await api.register(analyticsRoutes, { analytics, guards })
        },
        { prefix: API_PREFIX },
      )
      await registerWebApp(http)
    }
    if (runsRealtime(config.role)) {
      const realtime = createRealtimeModule({
        bus,
        authenticate: auth.service.authenticate,
        followedCreators: follows.followedCreatorIds,
        dropSnapshot: async (dropId) => {
          try {
            const [drop, stock] = await Promise.all([drops.get(dropId), drops.inventory(dropId)])
            return { ...stock, status: drop.status, name: drop.name, creator_id: drop.creator_id }
          } catch (error) {
            if (error instanceof AppError && error.status === 404) return undefined
            throw error
          }
        },
        log: logger,
        maxConnectionsPerIp: config.wsMaxConnectionsPerIp,
        heartbeatMs: config.wsHeartbeatMs,
        maxBufferedBytes: config.wsMaxBufferedBytes,
      })
      closers.unshift(async () => realtime.close())
      await http.register(realtimeRoutes, realtime.routeOptions)
    }
    if (runsWorker(config.role)) {
      const relay = startRelay(db, bus, 50, logger, metrics.relayLag)
      closers.unshift(relay.stop)
      closers.unshift(startOutboxPruning(db, config.outboxRetentionHours * 3_600_000, 600_000, logger))
      const stopFolding = startCountFolding(follows.foldCounts, config.countFlushMs, logger)
      closers.unshift(stopFolding)
      closers.unshift(startScheduler(drops, logger, relay.nudge))
      closers.unshift(startOrderHousekeeping(orders, logger))
      const stopNotifications = startNotificationConsumer(bus, notifications)
      closers.unshift(async () => stopNotifications())
    }
    // An in-process gate lives with the order path; a Redis gate is shared and kept by the workers.
    if (redis ? runsWorker(config.role) : runsApi(config.role)) {
      await inventory.rebuild()
      closers.unshift(inventory.startReconciling(config.gateReconcileMs))
    }

    await bus.ready()
    http.addHook('onClose', async () => {
      for (const close of closers) await close()
    })
    await http.ready()

    return {
      config,
      http,
      db,
      redis,
      bus,
      cache,
      inventory,
      async listen() {
        return http.listen({ port: config.port, host: config.host })
      },
      close: () => http.close(),
    }
  } catch (error) {
    for (const close of closers) await close().catch(() => {})
    throw error
  }
}
