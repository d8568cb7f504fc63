import type { FastifyBaseLogger } from 'fastify'
import type { GateState, InventoryGate } from './gate.js'

export interface StockSource {
  openDropIds(): Promise<string[]>
  stockState(dropId: string): Promise<GateState>
}

/**
 * Keeps the gate equal to the database. A difference is corrected only when the same figures are
 * seen on two consecutive passes: in between, reservations in flight legitimately differ.
 */
export function createReconciler(gate: InventoryGate, source: StockSource, log: FastifyBaseLogger) {
  let suspects = new Map<string, { gate: number; db: number }>()

  async function loadMissing(): Promise<number> {
    let loaded = 0
    for (const dropId of await source.openDropIds()) {
      if (await gate.load(dropId, await source.stockState(dropId), { onlyIfMissing: true })) loaded += 1
    }
    return loaded
  }

  async function reconcile(): Promise<number> {
    let corrected = 0
    const seen = new Map<string, { gate: number; db: number }>()
    for (const dropId of await source.openDropIds()) {
      const db = await source.stockState(dropId)
      const current = await gate.read(dropId)
      if (!current) {
        await gate.load(dropId, db, { onlyIfMissing: true })
        continue
      }
      for (const kind of ['items', 'users'] as const) {
        const fields = new Set([...Object.keys(db[kind]), ...Object.keys(current[kind])])
        for (const field of fields) {
          const figures = { gate: current[kind][field] ?? 0, db: db[kind][field] ?? 0 }
          if (figures.gate === figures.db) continue
          const key = `${dropId}|${kind}|${field}`
          const before = suspects.get(key)
          if (before && before.gate === figures.gate && before.db === figures.db) {
            if (await gate.correct(dropId, kind, field, figures.gate, figures.db)) {
              corrected += 1
              log.warn({ dropId, kind, field, ...figures }, 'inventory gate corrected from the database')
            }
          } else {
            seen.set(key, figures)
          }
        }
      }
    }
    suspects = seen
    return corrected
  }

  return { loadMissing, reconcile }
}
