// Child process: the bare `ws` server a fan-out benchmark is compared with. It greets every socket with
// a `user` snapshot frame (as the gateway does, so load generators treat both alike) and, when asked,
// sends the same bytes to every open socket in one loop at an agreed wall-clock time.
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import { serveParent } from './child.js'

const HELLO = Buffer.from(JSON.stringify({ type: 'snapshot', channel: 'user', seq: 0, data: {} }))

const server = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate: false,
  clientTracking: true,
})
server.on('connection', (socket) => {
  socket.on('error', () => socket.terminate())
  socket.send(HELLO, { binary: false })
})

const parent = serveParent(
  async (request) => {
    if (request.type === 'broadcast') {
      const bytes = Buffer.from(String(request.payload))
      const at = Number(request.at ?? Date.now())
      const wait = at - Date.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      const started = Date.now()
      let sent = 0
      for (const socket of server.clients) {
        if (socket.readyState !== socket.OPEN) continue
        socket.send(bytes, { binary: false })
        sent += 1
      }
      return { started, sent, loopMs: Date.now() - started }
    }
    if (request.type === 'clients') return server.clients.size
    throw new Error(`unknown request ${request.type}`)
  },
  () =>
    new Promise<void>((resolve) => {
      for (const socket of server.clients) socket.terminate()
      server.close(() => resolve())
    }),
)
server.on('listening', () => {
  const { port } = server.address() as AddressInfo
  parent.ready(`ws://127.0.0.1:${port}`)
})
