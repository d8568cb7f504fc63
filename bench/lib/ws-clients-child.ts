// Child process: a WebSocket load generator holding a few thousand client sockets (the open-file limit
// is per process, so large runs spread their clients over several of these), in named groups (the
// app's sockets, the bare server's). Every client is a `ws` socket bound to one of the given source
// addresses; it counts as ready once the server's first snapshot of the `user` channel arrives. Each
// client records, with Date.now(), when the watched event (drop.started, or the bare server's copy of
// its frame) reached it, and, while its group is counting, when each stock.changed of a drop channel
// did; the parent collects compact figures over IPC. Every request names its group (default "app").
import WebSocket from 'ws'
import { serveParent } from './child.js'

const STARTED = Buffer.from('"event":"drop.started"')
const STOCK = Buffer.from('"event":"stock.changed"')
const SOLD_OUT = Buffer.from('"event":"drop.sold_out"')
const SNAPSHOT = Buffer.from('"type":"snapshot"')
const USER_CHANNEL = Buffer.from('"channel":"user"')

interface Client {
  socket: WebSocket
  ready: boolean
  /** Receive time of the first drop.started frame since the last reset; 0 when none yet. */
  startedAt: number
  dropSnapshot: boolean
  soldOutAt: number
  /** Receive times of stock.changed while counting. */
  stock: number[]
  closed: boolean
}

const groups = new Map<string, Client[]>()
const countingGroups = new Set<string>()
const clientsOf = (group: unknown): Client[] => {
  const name = typeof group === 'string' ? group : 'app'
  let list = groups.get(name)
  if (!list) {
    list = []
    groups.set(name, list)
  }
  return list
}
let startedFrame: string | undefined
let failures = 0
const errors = new Map<string, number>()
let messages = 0

function noteError(text: string) {
  failures += 1
  errors.set(text, (errors.get(text) ?? 0) + 1)
}

function open(
  url: string,
  localAddress: string,
  timeoutMs: number,
  group: string,
): Promise<Client | undefined> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, {
      localAddress,
      perMessageDeflate: false,
      handshakeTimeout: timeoutMs,
      skipUTF8Validation: true,
    })
    const client: Client = {
      socket,
      ready: false,
      startedAt: 0,
      dropSnapshot: false,
      soldOutAt: 0,
      stock: [],
      closed: false,
    }
    let settled = false
    const settle = (value: Client | undefined, error?: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (error) noteError(error)
      resolve(value)
    }
    const timer = setTimeout(() => {
      socket.terminate()
      settle(undefined, 'no snapshot in time')
    }, timeoutMs)
    socket.on('message', (data: Buffer) => {
      const now = Date.now()
      messages += 1
      if (data.indexOf(STARTED) >= 0) {
        if (client.startedAt === 0) client.startedAt = now
        startedFrame ??= data.toString()
      } else if (data.indexOf(STOCK) >= 0) {
        if (countingGroups.has(group)) client.stock.push(now)
      } else if (data.indexOf(SOLD_OUT) >= 0) {
        if (client.soldOutAt === 0) client.soldOutAt = now
      } else if (data.indexOf(SNAPSHOT) >= 0) {
        if (data.indexOf(USER_CHANNEL) >= 0) {
          client.ready = true
          settle(client)
        } else client.dropSnapshot = true
      }
    })
    socket.on('unexpected-response', (_request, response) => {
      socket.terminate()
      settle(undefined, `upgrade refused: ${response.statusCode}`)
    })
    socket.on('error', (error: Error) => settle(undefined, error.message.slice(0, 120)))
    socket.on('close', (code) => {
      client.closed = true
      settle(undefined, `closed before ready (${code})`)
    })
  })
}

/** Opens `urls.length` clients, at most `concurrency` handshakes at a time. */
async function connect(
  clients: Client[],
  group: string,
  urls: string[],
  localAddresses: string[],
  concurrency: number,
  timeoutMs: number,
) {
  let next = 0
  let opened = 0
  const base = clients.length
  const slots: (Client | undefined)[] = new Array(urls.length)
  const worker = async () => {
    while (next < urls.length) {
      const i = next++
      const client = await open(
        urls[i]!,
        localAddresses[(base + i) % localAddresses.length]!,
        timeoutMs,
        group,
      )
      slots[i] = client
      if (client) {
        clients.push(client)
        opened += 1
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker))
  return { opened, failed: urls.length - opened }
}

/** Per-client stock figures: total, the most in one calendar second, the most in any 1000 ms. */
function stockFigures(clients: Client[]) {
  const total: number[] = []
  const perSecond: number[] = []
  const sliding: number[] = []
  let minGap = Number.POSITIVE_INFINITY
  /** Calendar seconds (of any client) with more than four, and gaps under 200 ms between two. */
  let secondsOverFour = 0
  let shortGaps = 0
  let gaps = 0
  for (const client of clients) {
    const times = client.stock
    total.push(times.length)
    let best = 0
    let run = 0
    let second = Number.NaN
    let lo = 0
    let window = 0
    for (let i = 0; i < times.length; i++) {
      const t = times[i]!
      const s = Math.floor(t / 1000)
      run = s === second ? run + 1 : 1
      second = s
      if (run > best) best = run
      if (run === 5) secondsOverFour += 1
      while (times[lo]! <= t - 1000) lo += 1
      if (i - lo + 1 > window) window = i - lo + 1
      if (i > 0) {
        const gap = t - times[i - 1]!
        minGap = Math.min(minGap, gap)
        gaps += 1
        if (gap < 200) shortGaps += 1
      }
    }
    perSecond.push(best)
    sliding.push(window)
  }
  return {
    total,
    perSecond,
    sliding,
    minGapMs: Number.isFinite(minGap) ? minGap : null,
    secondsOverFour,
    shortGaps,
    gaps,
  }
}

const parent = serveParent(
  async (request) => {
    const group = typeof request.group === 'string' ? request.group : 'app'
    const clients = clientsOf(group)
    switch (request.type) {
      case 'connect':
        return connect(
          clients,
          group,
          request.urls as string[],
          request.localAddresses as string[],
          Number(request.concurrency ?? 100),
          Number(request.timeoutMs ?? 60_000),
        )
      case 'status': {
        let ready = 0
        let open = 0
        let started = 0
        let dropSnapshots = 0
        let soldOut = 0
        for (const client of clients) {
          if (client.ready) ready += 1
          if (!client.closed) open += 1
          if (client.startedAt) started += 1
          if (client.dropSnapshot) dropSnapshots += 1
          if (client.soldOutAt) soldOut += 1
        }
        return {
          clients: clients.length,
          ready,
          open,
          started,
          dropSnapshots,
          soldOut,
          messages,
          failures,
          errors: Object.fromEntries(errors),
        }
      }
      case 'subscribe': {
        // The first `limit` clients (all by default) subscribe to the channel.
        const frame = JSON.stringify({ type: 'subscribe', channel: request.channel })
        const limit = request.limit === undefined ? clients.length : Number(request.limit)
        let sent = 0
        for (const client of clients.slice(0, limit)) {
          if (client.closed) continue
          client.socket.send(frame)
          sent += 1
        }
        return sent
      }
      case 'counting':
        if (request.on) {
          countingGroups.add(group)
          for (const client of clients) client.stock = []
        } else countingGroups.delete(group)
        return countingGroups.has(group)
      case 'latencies': {
        // ms from `from` to each client's receipt of the watched event; -1 for clients that never got it.
        const from = Number(request.from)
        return clients.map((c) => (c.startedAt ? c.startedAt - from : -1))
      }
      case 'soldOut':
        return clients.map((c) => c.soldOutAt)
      case 'stock':
        return stockFigures(clients)
      case 'frame':
        return startedFrame ?? null
      case 'reset':
        startedFrame = undefined
        for (const client of clients) {
          client.startedAt = 0
          client.soldOutAt = 0
          client.stock = []
        }
        return true
      case 'close': {
        const closing = clients.splice(0)
        for (const client of closing) client.socket.terminate()
        // Wait until the sockets are really gone, so the next phase starts from a clean slate.
        const deadline = Date.now() + 10_000
        while (closing.some((c) => !c.closed) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        failures = 0
        errors.clear()
        return closing.length
      }
      default:
        throw new Error(`unknown request ${request.type}`)
    }
  },
  async () => {
    for (const list of groups.values()) for (const client of list) client.socket.terminate()
  },
)
parent.ready('ws-clients')
