import type { FastifyBaseLogger } from 'fastify'
import { type Logger, pino } from 'pino'
import type { LogLevel } from '../config.js'

export function createLogger(level: LogLevel): FastifyBaseLogger {
  return pino({
    level,
    redact: ['req.headers.authorization', '*.password', '*.refresh_token', '*.access_token'],
  }) as FastifyBaseLogger
}

const METHODS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const

/**
 * A request's logger, made real on its first enabled log call. Fastify gives every request a child
 * logger; building a pino child (bindings serialised, levels set up) costs a visible share of a small
 * request, and at `warn` most requests never log a line.
 */
class DeferredChildLogger {
  #real: FastifyBaseLogger | undefined
  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Record<string, unknown>,
  ) {}
  get real(): FastifyBaseLogger {
    this.#real ??= this.parent.child(this.bindings)
    return this.#real
  }
  get level(): string {
    return this.#real?.level ?? this.parent.level
  }
  set level(level: string) {
    this.real.level = level
  }
  isLevelEnabled(level: string): boolean {
    return ((this.#real ?? this.parent) as unknown as Logger).isLevelEnabled(level)
  }
  child(bindings: Record<string, unknown>, options?: object) {
    return this.real.child(bindings, options)
  }
  silent() {}
}
for (const method of METHODS) {
  Object.defineProperty(DeferredChildLogger.prototype, method, {
    value(this: DeferredChildLogger, ...args: unknown[]) {
      if (!this.isLevelEnabled(method)) return
      ;(this.real[method] as (...a: unknown[]) => void)(...args)
    },
  })
}

/** Fastify's `childLoggerFactory`: deferred children, except where a route sets its own level or serialisers. */
export function deferredChildLoggers(
  logger: FastifyBaseLogger,
  bindings: Record<string, unknown>,
  options: { level?: string; serializers?: object },
): FastifyBaseLogger {
  if (options.level || options.serializers) return logger.child(bindings, options as never)
  return new DeferredChildLogger(logger, bindings) as unknown as FastifyBaseLogger
}
