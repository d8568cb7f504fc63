import type { FastifyBaseLogger } from 'fastify'

/**
 * Folds follower-count deltas on a fixed cadence. Each tick waits for the previous one, so a slow
 * database never piles up overlapping folds.
 */
export function startCountFolding(fold: () => Promise<number>, everyMs: number, log: FastifyBaseLogger) {
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> = Promise.resolve()
  const tick = () => {
    running = fold()
      .then(() => undefined)
      .catch((error: unknown) => log.warn({ err: error }, 'folding follower counts failed; will retry'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, everyMs)
      })
  }
  timer = setTimeout(tick, everyMs)
  return async () => {
    stopped = true
    clearTimeout(timer)
    await running
  }
}
