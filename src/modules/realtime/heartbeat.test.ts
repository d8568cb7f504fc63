import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { startHeartbeats } from './heartbeat.js'

const servers: WebSocketServer[] = []
afterEach(() => {
  for (const server of servers.splice(0)) {
    for (const socket of server.clients) socket.terminate()
    server.close()
  }
})

/** A server whose sockets are watched, and `count` clients connected to it. */
async function connected(count: number, everyMs: number) {
  const heartbeats = startHeartbeats(everyMs)
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  servers.push(server)
  server.on('connection', (socket) => heartbeats.watch(socket))
  await new Promise((resolve) => server.once('listening', resolve))
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
  const clients = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const client = new WebSocket(url)
          client.once('open', () => resolve(client))
          client.once('error', reject)
        }),
    ),
  )
  while (heartbeats.sockets().length < count) await new Promise((resolve) => setTimeout(resolve, 5))
  return { heartbeats, clients }
}

describe('heartbeats', () => {
  it('closes sockets that stop answering pings and keeps those that answer', async () => {
    const everyMs = 200
    const { heartbeats, clients } = await connected(12, everyMs)
    const [silent, ...answering] = clients as [WebSocket, ...WebSocket[]]
    const pings = new Map<WebSocket, number>()
    for (const client of answering)
      client.on('ping', () => pings.set(client, (pings.get(client) ?? 0) + 1))
      // A peer that vanished without closing reads nothing, so it never answers.
    ;(silent as unknown as { _socket: { pause(): void } })._socket.pause()

    await new Promise((resolve) => setTimeout(resolve, everyMs * 3.5))
    expect(heartbeats.sockets()).toHaveLength(answering.length)
    for (const client of answering) {
      expect(client.readyState).toBe(WebSocket.OPEN)
      // Pinged once per interval, each socket on its group's turn.
      expect(pings.get(client)).toBeGreaterThanOrEqual(2)
      expect(pings.get(client)).toBeLessThanOrEqual(4)
    }
    heartbeats.stop()
    for (const client of clients) client.terminate()
  })
})
