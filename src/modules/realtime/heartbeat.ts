import type WebSocket from 'ws'

/** Sockets are pinged in this many groups, one group per tick, spread over the interval. */
const GROUPS = 10

/**
 * Pings every socket once per `everyMs` and terminates those that did not answer the previous ping.
 * The groups take turns instead of all sockets at once: with tens of thousands of sockets, one burst of
 * pings (and of pongs coming back) would hold up a broadcast that lands at that moment.
 */
export function startHeartbeats(everyMs: number) {
  const groups = Array.from({ length: GROUPS }, () => new Map<WebSocket, boolean>())
  let joined = 0
  let turn = 0
  const timer = setInterval(() => {
    const group = groups[turn++ % GROUPS]!
    for (const [socket, answered] of group) {
      if (!answered) {
        socket.terminate()
        continue
      }
      group.set(socket, false)
      socket.ping()
    }
  }, everyMs / GROUPS)
  timer.unref()
  return {
    watch(socket: WebSocket) {
      const group = groups[joined++ % GROUPS]!
      group.set(socket, true)
      socket.on('pong', () => group.set(socket, true))
      socket.on('close', () => group.delete(socket))
    },
    /** Every open socket. */
    sockets: () => groups.flatMap((group) => [...group.keys()]),
    stop: () => clearInterval(timer),
  }
}
