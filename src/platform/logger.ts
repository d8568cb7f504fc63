import type { FastifyBaseLogger } from 'fastify'
import { pino } from 'pino'
import type { LogLevel } from '../config.js'

export function createLogger(level: LogLevel): FastifyBaseLogger {
  return pino({
    level,
    redact: ['req.headers.authorization', '*.password', '*.refresh_token', '*.access_token'],
  }) as FastifyBaseLogger
}
