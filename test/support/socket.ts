import WebSocket from 'ws'

export interface Message {
  type: string
  channel?: string
  seq?: number
  event?: string
  data?: any
  code?: string
  at?: string
}

/** A WebSocket client that records every message and can wait for one. */
export async function openSocket(url: string) {
  const socket = new WebSocket(url)
  const messages: Message[] = []
  const waiters = new Set<() => void>()
  socket.on('message', (raw) => {
    messages.push(JSON.parse(raw.toString()) as Message)
    for (const wake of waiters) wake()
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  )
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`upgrade refused: ${response.statusCode}`)),
    )
  })
  return {
    socket,
    messages,
    closed,
    send: (message: unknown) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    /** Resolves with the first message (from `from` on) that matches, or fails after `withinMs`. */
    waitFor(match: (m: Message) => boolean, withinMs = 5_000, from = 0): Promise<Message> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.slice(from).find(match)
          if (!found) return false
          clearTimeout(timer)
          waiters.delete(check as () => void)
          resolve(found)
          return true
        }
        const timer = setTimeout(() => {
          waiters.delete(check as () => void)
          reject(new Error(`no matching message within ${withinMs} ms; got ${JSON.stringify(messages)}`))
        }, withinMs)
        if (!check()) waiters.add(check as () => void)
      })
    },
    close: () => {
      socket.close()
      return closed
    },
  }
}
export type TestSocket = Awaited<ReturnType<typeof openSocket>>

export const wsUrl = (httpUrl: string, path: string) => `${httpUrl.replace(/^http/, 'ws')}${path}`
