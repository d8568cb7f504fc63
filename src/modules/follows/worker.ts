import type { FastifyBaseLogger } from 'fastify'
import { every } from '../../platform/loop.js'

/**
 * Folds follower-count deltas on a fixed cadence. Each tick waits for the previous one, so a slow
 * database never piles up overlapping folds.
 */
export function startCountFolding(fold: () => Promise<number>, everyMs: number, log: FastifyBaseLogger) {
  return every(everyMs, fold, log, 'folding follower counts')
}
