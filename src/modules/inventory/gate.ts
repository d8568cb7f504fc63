/** Units requested of one drop item (keyed by variant id). */
export interface GateLine {
  variantId: string
  quantity: number
}

/** `sold_out_held`: sold out, and the user already holds units of the drop (so this may be a retry). */
export type ReserveOutcome = 'ok' | 'sold_out' | 'sold_out_held' | 'limit_exceeded' | 'not_loaded'

/** Available units per variant and units held per user, for one drop. */
export interface GateState {
  items: Record<string, number>
  users: Record<string, number>
}

/**
 * The inventory gate: decides in one atomic step whether a purchase may proceed, before the
 * database is touched. Sold-out and over-limit attempts stop here. The database stays the source of
 * truth; the gate is loaded from it and reconciled with it.
 */
export interface InventoryGate {
  /** Reserves every line and the user's allowance, all or nothing. */
  reserve(dropId: string, userId: string, lines: GateLine[], perUserLimit: number): Promise<ReserveOutcome>
  /**
   * Tells the gate a reservation was made by a script that runs the reservation along with a step of
   * its own (see RESERVE_FUNCTION), so what it shares with readers is read afresh.
   */
  reservedElsewhere(dropId: string): void
  /** Undoes a reservation (failed transaction, decline, cancel, expiry). */
  release(dropId: string, userId: string, lines: GateLine[]): Promise<void>
  /** Loads a drop's state; with `onlyIfMissing`, leaves an already loaded drop alone. Returns whether it wrote. */
  load(dropId: string, state: GateState, options?: { onlyIfMissing?: boolean }): Promise<boolean>
  read(dropId: string): Promise<GateState | undefined>
  /** Units one user holds or has reserved in a drop (0 when none, or when the drop is not loaded). */
  held(dropId: string, userId: string): Promise<number>
  /**
   * Available units per variant only (cheap; for display). The Redis gate shares one read among a
   * process's readers for up to AVAILABILITY_SHARE_MS; changes made through the same gate show at once.
   * The figures come back as the same object until they change, so readers may memoise on it; never
   * modify it.
   */
  availability(dropId: string): Promise<Readonly<Record<string, number>> | undefined>
  /** Sets one figure if it still has the value seen before (reconciliation). Returns whether it did. */
  correct(
    dropId: string,
    kind: 'items' | 'users',
    field: string,
    seen: number,
    value: number,
  ): Promise<boolean>
  close(): Promise<void>
}

export function memoryGate(): InventoryGate {
  /** `shown`: the figures handed to readers, one object until they change (readers memoise on it). */
  const drops = new Map<
    string,
    { items: Map<string, number>; users: Map<string, number>; shown?: Record<string, number> }
  >()
  return {
    async reserve(dropId, userId, lines, perUserLimit) {
      const drop = drops.get(dropId)
      if (!drop) return 'not_loaded'
      const total = lines.reduce((n, l) => n + l.quantity, 0)
      const held = drop.users.get(userId) ?? 0
      if (held + total > perUserLimit) return 'limit_exceeded'
      const wanted = new Map<string, number>()
      for (const line of lines) wanted.set(line.variantId, (wanted.get(line.variantId) ?? 0) + line.quantity)
      for (const [variantId, quantity] of wanted) {
        if ((drop.items.get(variantId) ?? -1) < quantity) return held > 0 ? 'sold_out_held' : 'sold_out'
      }
      for (const [variantId, quantity] of wanted)
        drop.items.set(variantId, drop.items.get(variantId)! - quantity)
      drop.users.set(userId, (drop.users.get(userId) ?? 0) + total)
      drop.shown = undefined
      return 'ok'
    },
    reservedElsewhere(dropId) {
      // Nothing but this object reserves here; kept for the port's sake.
      const drop = drops.get(dropId)
      if (drop) drop.shown = undefined
    },
    async release(dropId, userId, lines) {
      const drop = drops.get(dropId)
      if (!drop) return
      let total = 0
      for (const line of lines) {
        total += line.quantity
        drop.items.set(line.variantId, (drop.items.get(line.variantId) ?? 0) + line.quantity)
      }
      const held = Math.max((drop.users.get(userId) ?? 0) - total, 0)
      if (held === 0) drop.users.delete(userId)
      else drop.users.set(userId, held)
      drop.shown = undefined
    },
    async load(dropId, state, options) {
      if (options?.onlyIfMissing && drops.has(dropId)) return false
      drops.set(dropId, {
        items: new Map(Object.entries(state.items)),
        users: new Map(Object.entries(state.users).filter(([, n]) => n > 0)),
      })
      return true
    },
    async read(dropId) {
      const drop = drops.get(dropId)
      return drop && { items: Object.fromEntries(drop.items), users: Object.fromEntries(drop.users) }
    },
    async held(dropId, userId) {
      return drops.get(dropId)?.users.get(userId) ?? 0
    },
    async availability(dropId) {
      const drop = drops.get(dropId)
      if (drop && !drop.shown) drop.shown = Object.fromEntries(drop.items)
      return drop?.shown
    },
    async correct(dropId, kind, field, seen, value) {
      const drop = drops.get(dropId)
      const map = drop?.[kind]
      if (!drop || !map || (map.get(field) ?? 0) !== seen) return false
      if (kind === 'users' && value === 0) map.delete(field)
      else map.set(field, value)
      drop.shown = undefined
      return true
    },
    async close() {
      drops.clear()
    },
  }
}
