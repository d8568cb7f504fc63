import type { BusEvent } from '../../platform/bus/index.js'

/** What the hub needs of a socket; one per WebSocket connection. */
export interface Peer {
  readonly userId: string | undefined
  /** Sends pre-serialised bytes; returns false when the peer is too slow and was dropped. */
  send(bytes: Buffer): boolean
}

export interface HubOptions {
  /** Stock broadcasts per drop are conflated to at most one per this many ms. */
  stockIntervalMs: number
  /** Recent messages kept for `since` resumes. */
  replayDepth: number
}

interface Recent {
  seq: number
  /** `drop:<id>`, or who a user-channel message is for: `creator:<id>` / `user:<id>`. */
  scope: string
  bytes: Buffer
}

/** Keeps the last `depth` messages and knows from which seq on it has all of them. */
class ReplayRing {
  private readonly entries: Recent[] = []
  /** Every message with seq above this is still here; nothing is known before the first event seen. */
  private floor = Number.POSITIVE_INFINITY
  constructor(private readonly depth: number) {}
  /** The bus delivers from the moment this gateway subscribed: what came before was never seen here. */
  seen(seq: number) {
    if (this.floor === Number.POSITIVE_INFINITY) this.floor = seq - 1
  }
  push(entry: Recent) {
    this.entries.push(entry)
    if (this.entries.length > this.depth) this.floor = Math.max(this.floor, this.entries.shift()!.seq)
  }
  covers(since: number): boolean {
    return since >= this.floor
  }
  after(since: number, inScope: (scope: string) => boolean): Buffer[] {
    return this.entries.filter((e) => e.seq > since && inScope(e.scope)).map((e) => e.bytes)
  }
}

const DROP_TOPICS = ['drop.started', 'drop.ended', 'stock.changed', 'stock.low', 'drop.sold_out'] as const
const ORDER_TOPICS = ['order.confirmed', 'order.cancelled', 'order.expired'] as const
export const HUB_TOPICS = [...DROP_TOPICS, ...ORDER_TOPICS, 'follow.created', 'follow.removed']

function frame(channel: string, seq: number, event: string, data: unknown, at: string): Buffer {
  return Buffer.from(JSON.stringify({ type: 'event', channel, seq, event, data, at }))
}

function addTo<K>(map: Map<K, Set<Peer>>, key: K, peer: Peer) {
  const set = map.get(key) ?? new Set<Peer>()
  if (set.size === 0) map.set(key, set)
  set.add(peer)
}

function removeFrom<K>(map: Map<K, Set<Peer>>, key: K, peer: Peer) {
  const set = map.get(key)
  if (!set) return
  set.delete(peer)
  if (set.size === 0) map.delete(key)
}

/**
 * Routes bus events to sockets. Fan-out is by subscription: a followed creator's drop.started is
 * serialised once and the same bytes go to every follower's socket; nothing is written per follower.
 */
export function createHub(options: HubOptions) {
  const dropWatchers = new Map<string, Set<Peer>>()
  const creatorFollowers = new Map<string, Set<Peer>>()
  const userPeers = new Map<string, Set<Peer>>()
  const followsOf = new Map<Peer, Set<string>>()
  /** Highest bus seq seen: where a snapshot taken now stands. */
  let position = 0
  const dropRing = new ReplayRing(options.replayDepth)
  const userRing = new ReplayRing(options.replayDepth)
  const lastSeqOfDrop = new Map<string, number>()

  interface PendingStock {
    seq: number
    version: number
    data: unknown
    at: string
  }
  const pendingStock = new Map<string, PendingStock>()
  const lastStockSent = new Map<string, number>()
  /** Version of the figures last sent per drop. */
  const stockVersionSent = new Map<string, number>()
  const stockTimers = new Map<string, NodeJS.Timeout>()
  /** Drop events that came while stock figures of their drop waited for their interval: sent with them. */
  const heldBehindStock = new Map<string, { seq: number; send(): void }[]>()

  function broadcast(peers: Set<Peer> | undefined, bytes: Buffer) {
    if (!peers) return 0
    let sent = 0
    for (const peer of peers) if (peer.send(bytes)) sent += 1
    return sent
  }

  function sendOnDrop(dropId: string, seq: number, event: string, data: unknown, at: string) {
    const bytes = frame(`drop:${dropId}`, seq, event, data, at)
    dropRing.push({ seq, scope: `drop:${dropId}`, bytes })
    lastSeqOfDrop.set(dropId, seq)
    broadcast(dropWatchers.get(dropId), bytes)
  }

  function flushStock(dropId: string) {
    const timer = stockTimers.get(dropId)
    if (timer) clearTimeout(timer)
    stockTimers.delete(dropId)
    const pending = pendingStock.get(dropId)
    const held = heldBehindStock.get(dropId) ?? []
    heldBehindStock.delete(dropId)
    if (pending) {
      pendingStock.delete(dropId)
      stockVersionSent.set(dropId, pending.version)
      held.push({
        seq: pending.seq,
        send: () => {
          sendOnDrop(dropId, pending.seq, 'stock.changed', pending.data, pending.at)
          // The interval runs from the end of the broadcast: with many watchers one takes a while,
          // and timing from its start would let a socket late in one get the next one too soon.
          lastStockSent.set(dropId, Date.now())
        },
      })
    }
    // In seq order: figures that arrived after a held event carry its state too, so they follow it.
    held.sort((a, b) => a.seq - b.seq)
    for (const message of held) message.send()
  }

  /** Keeps only the newest figures per drop and sends them at most once per interval. */
  function conflateStock(dropId: string, seq: number, data: { version?: number }, at: string) {
    const version = data.version ?? 0
    // Two commits on a drop can reach the bus in the other order (the outbox is relayed by when
    // each transaction began): figures older than those already sent would move watchers back.
    if (version > 0 && version <= (stockVersionSent.get(dropId) ?? 0)) return
    const current = pendingStock.get(dropId)
    if (!current || version >= current.version) pendingStock.set(dropId, { seq, version, data, at })
    else current.seq = Math.max(current.seq, seq)
    if (stockTimers.has(dropId)) return
    const wait = (lastStockSent.get(dropId) ?? 0) + options.stockIntervalMs - Date.now()
    if (wait <= 0) flushStock(dropId)
    else
      stockTimers.set(
        dropId,
        setTimeout(() => flushStock(dropId), wait),
      )
  }

  function sendToUser(
    scope: string,
    peers: Set<Peer> | undefined,
    seq: number,
    event: string,
    data: unknown,
    at: string,
  ) {
    const bytes = frame('user', seq, event, data, at)
    userRing.push({ seq, scope, bytes })
    return broadcast(peers, bytes)
  }

  return {
    /** Handles one bus event (the hub subscribes to HUB_TOPICS on every gateway). */
    dispatch(event: BusEvent) {
      const seq = event.seq ?? position + 1
      position = Math.max(position, seq)
      dropRing.seen(seq)
      userRing.seen(seq)
      const payload = event.payload as Record<string, unknown>
      const at = event.created_at
      switch (event.topic) {
        case 'stock.changed':
          conflateStock(event.key, seq, payload as { version?: number }, at)
          return
        case 'drop.started':
        case 'drop.ended':
        case 'stock.low':
        case 'drop.sold_out': {
          const send = () => {
            sendOnDrop(event.key, seq, event.topic, payload, at)
            if (event.topic === 'drop.started') {
              const creatorId = String(payload.creator_id)
              sendToUser(
                `creator:${creatorId}`,
                creatorFollowers.get(creatorId),
                seq,
                event.topic,
                payload,
                at,
              )
            }
          }
          // Anything after a stock change must not overtake it; while its figures wait for their
          // interval, the event waits behind them, so a threshold or the sell-out never adds a stock
          // broadcast beyond the conflation rate.
          const held = heldBehindStock.get(event.key)
          if (held) held.push({ seq, send })
          else if (stockTimers.has(event.key)) heldBehindStock.set(event.key, [{ seq, send }])
          else send()
          return
        }
        case 'order.confirmed':
        case 'order.cancelled':
        case 'order.expired': {
          const userId = String(payload.user_id)
          sendToUser(`user:${userId}`, userPeers.get(userId), seq, event.topic, payload, at)
          return
        }
        case 'follow.created':
        case 'follow.removed': {
          const peers = userPeers.get(String(payload.user_id))
          for (const peer of peers ?? []) {
            if (event.topic === 'follow.created') this.follow(peer, String(payload.creator_id))
            else this.unfollow(peer, String(payload.creator_id))
          }
          return
        }
      }
    },

    /** Registers an authenticated peer on its `user` channel, following these creators. */
    attachUser(peer: Peer, creatorIds: string[]) {
      addTo(userPeers, peer.userId!, peer)
      for (const creatorId of creatorIds) this.follow(peer, creatorId)
    },
    follow(peer: Peer, creatorId: string) {
      const set = followsOf.get(peer) ?? new Set<string>()
      if (set.size === 0) followsOf.set(peer, set)
      set.add(creatorId)
      addTo(creatorFollowers, creatorId, peer)
    },
    unfollow(peer: Peer, creatorId: string) {
      followsOf.get(peer)?.delete(creatorId)
      removeFrom(creatorFollowers, creatorId, peer)
    },
    watchDrop: (peer: Peer, dropId: string) => addTo(dropWatchers, dropId, peer),
    unwatchDrop: (peer: Peer, dropId: string) => removeFrom(dropWatchers, dropId, peer),

    /** Forgets a closed peer everywhere. */
    detach(peer: Peer, dropIds: Iterable<string>) {
      for (const dropId of dropIds) removeFrom(dropWatchers, dropId, peer)
      for (const creatorId of followsOf.get(peer) ?? []) removeFrom(creatorFollowers, creatorId, peer)
      followsOf.delete(peer)
      if (peer.userId) removeFrom(userPeers, peer.userId, peer)
    },

    /** The seq a snapshot of this drop taken now stands at. */
    dropPosition: (dropId: string) => lastSeqOfDrop.get(dropId) ?? position,
    userPosition: () => position,

    /** Messages of a drop after `since`, or undefined when they are no longer all here. */
    dropSince(dropId: string, since: number): Buffer[] | undefined {
      if (!dropRing.covers(since)) return undefined
      const scope = `drop:${dropId}`
      return dropRing.after(since, (s) => s === scope)
    },
    userSince(peer: Peer, since: number): Buffer[] | undefined {
      if (!userRing.covers(since)) return undefined
      const creators = followsOf.get(peer) ?? new Set<string>()
      const own = `user:${peer.userId}`
      return userRing.after(since, (s) => s === own || (s.startsWith('creator:') && creators.has(s.slice(8))))
    },

    stats: () => ({
      drops: dropWatchers.size,
      creators: creatorFollowers.size,
      users: userPeers.size,
    }),

    close() {
      for (const timer of stockTimers.values()) clearTimeout(timer)
      stockTimers.clear()
      heldBehindStock.clear()
    },
  }
}
export type Hub = ReturnType<typeof createHub>
