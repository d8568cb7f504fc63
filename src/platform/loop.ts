import type { FastifyBaseLogger } from 'fastify'

/**
 * Runs `task` every `everyMs` until stopped. A tick starts only after the previous one finished, so a
 * slow engine never piles up overlapping runs; failures are logged and retried on the next tick.
 * `now`: the first tick runs at once rather than after `everyMs`. Returns the stop function, which
 * waits for a running tick.
 */
export function every(
  everyMs: number,
  task: () => Promise<unknown>,
  log: FastifyBaseLogger,
  name: string,
  options: { now?: boolean } = {},
): () => Promise<void> {
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<unknown> = Promise.resolve()
  const tick = () => {
    running = task()
      .catch((error: unknown) => log.warn({ err: error, task: name }, `${name} failed; will retry`))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, everyMs)
      })
  }
  if (options.now) tick()
  else timer = setTimeout(tick, everyMs)
  return async () => {
    stopped = true
    clearTimeout(timer)
    await running
  }
}
