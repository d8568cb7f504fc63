import { accessToken, getSession, onSessionChange } from './api'

/** A frame from the server (API.md, Real time). */
export interface LiveMessage {
  type: 'event' | 'snapshot' | 'error' | 'pong'
  channel?: string
  seq?: number
  event?: string
  data?: unknown
  at?: string
  code?: string
  message?: string
}

export type LiveState = 'connecting' | 'live' | 'offline'

type Listener = (message: LiveMessage) => void

const BACKOFF_MS = [500, 1_000, 2_000, 4_000, 8_000, 15_000]

/**
 * The app's one WebSocket: the `user` channel when signed in, plus every `drop:<id>` a mounted view
 * watches. It reconnects by itself and resumes each channel from the last seq it saw (`since`), so a
 * short outage costs nothing and a long one ends in a fresh snapshot.
 */
class LiveSocket {
  private socket: WebSocket | undefined
  private attempt = 0
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private readonly drops = new Map<string, { watchers: number; seq?: number }>()
  private userSeq: number | undefined
  private signedInAs: string | undefined
  private readonly listeners = new Set<Listener>()
  private readonly stateListeners = new Set<(state: LiveState) => void>()
  state: LiveState = 'connecting'

  constructor() {
    onSessionChange((session) => {
      // Signing in or out changes what the socket may hear: start over on a new connection.
      if ((session?.user.user_id ?? undefined) !== this.signedInAs) this.restart()
    })
    window.addEventListener('online', () => this.reconnectNow())
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.reconnectNow()
    })
    this.connect()
  }

  /** Every frame the socket receives (after de-duplication of replayed events). */
  listen(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  onState(listener: (state: LiveState) => void): () => void {
    this.stateListeners.add(listener)
    return () => this.stateListeners.delete(listener)
  }

  /** Watches `drop:<id>` until the returned function is called; watchers of the same drop share it. */
  watchDrop(dropId: string): () => void {
    const entry = this.drops.get(dropId)
    if (entry) entry.watchers += 1
    else {
      this.drops.set(dropId, { watchers: 1 })
      this.send({ type: 'subscribe', channel: `drop:${dropId}` })
    }
    let done = false
    return () => {
      if (done) return
      done = true
      const current = this.drops.get(dropId)
      if (!current) return
      current.watchers -= 1
      if (current.watchers > 0) return
      // Kept a little, so a view that re-mounts at once (navigation) does not churn the subscription.
      setTimeout(() => {
        const later = this.drops.get(dropId)
        if (later && later.watchers <= 0) {
          this.drops.delete(dropId)
          this.send({ type: 'unsubscribe', channel: `drop:${dropId}` })
        }
      }, 2_000)
    }
  }

  private setState(state: LiveState) {
    if (state === this.state) return
    this.state = state
    for (const listener of this.stateListeners) listener(state)
  }

  private send(frame: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame))
  }

  private restart() {
    this.userSeq = undefined
    this.signedInAs = undefined
    const old = this.socket
    this.socket = undefined
    old?.close(1000, 'session changed')
    clearTimeout(this.retryTimer)
    this.connect()
  }

  private reconnectNow() {
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) return
    clearTimeout(this.retryTimer)
    this.attempt = 0
    this.connect()
  }

  private connect() {
    this.setState('connecting')
    this.signedInAs = getSession()?.user.user_id
    const protocol = location.protocol === 'https:' ? 'wss:' : 'ws:'
    const socket = new WebSocket(`${protocol}//${location.host}/ws`)
    this.socket = socket
    socket.onopen = async () => {
      if (this.socket !== socket) return
      const token = getSession() ? await accessToken().catch(() => undefined) : undefined
      if (this.socket !== socket || socket.readyState !== WebSocket.OPEN) return
      // The server handles frames in order: auth first, then the resumes.
      if (token) {
        socket.send(JSON.stringify({ type: 'auth', token }))
        if (this.userSeq !== undefined) this.send({ type: 'subscribe', channel: 'user', since: this.userSeq })
      }
      for (const [dropId, entry] of this.drops) {
        this.send({ type: 'subscribe', channel: `drop:${dropId}`, since: entry.seq })
      }
      this.attempt = 0
      this.setState('live')
    }
    socket.onmessage = (event) => {
      if (this.socket !== socket) return
      let message: LiveMessage
      try {
        message = JSON.parse(String(event.data)) as LiveMessage
      } catch {
        return
      }
      if (!this.accept(message)) return
      for (const listener of this.listeners) listener(message)
    }
    socket.onclose = () => {
      if (this.socket !== socket) return
      this.socket = undefined
      this.setState('offline')
      const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)]!
      this.attempt += 1
      this.retryTimer = setTimeout(() => this.connect(), base * (0.75 + Math.random() * 0.5))
    }
  }

  /** Tracks seqs per channel and drops what was already delivered (a resume can overlap). */
  private accept(message: LiveMessage): boolean {
    if (message.type === 'error' && message.code === 'unauthenticated' && getSession()) {
      // The token expired between connect and auth: reconnect, which refreshes it.
      this.socket?.close(4000, 'reauthenticate')
      return false
    }
    const channel = message.channel
    if (!channel || message.seq === undefined) return true
    if (channel === 'user') {
      if (message.type === 'snapshot') {
        this.userSeq ??= message.seq
        return true
      }
      if (this.userSeq !== undefined && message.seq <= this.userSeq) return false
      this.userSeq = message.seq
      return true
    }
    if (channel.startsWith('drop:')) {
      const entry = this.drops.get(channel.slice(5))
      if (!entry) return false
      if (message.type === 'event' && entry.seq !== undefined && message.seq <= entry.seq) return false
      entry.seq = Math.max(entry.seq ?? 0, message.seq)
    }
    return true
  }
}

let instance: LiveSocket | undefined
/** The shared socket, opened on first use. */
export function live(): LiveSocket {
  instance ??= new LiveSocket()
  return instance
}
