import type { Db, Tx } from '../../platform/db/index.js'

/** Most orders written by one transaction. */
const MAX_BATCH = 128

interface Waiting<T> {
  order: T
  resolve: () => void
  reject: (error: unknown) => void
}

/**
 * Writes the orders of one drop in group transactions. Every order of a drop contends for the same
 * rows (the drop's stock), so one transaction at a time per drop, carrying everything that arrived
 * meanwhile, beats many transactions queueing on row locks. If a group fails, each of its orders is
 * retried alone so one bad order cannot sink the others.
 */
export function createCommitter<T>(db: Db, write: (tx: Tx, orders: T[]) => Promise<void>) {
  const queues = new Map<string, Waiting<T>[]>()
  const busy = new Set<string>()

  async function runAlone(item: Waiting<T>) {
    try {
      await db.primary.transaction((tx) => write(tx, [item.order]))
      item.resolve()
    } catch (error) {
      item.reject(error)
    }
  }

  async function drain(dropId: string) {
    busy.add(dropId)
    try {
      for (;;) {
        // Let the event loop take in the requests that arrived meanwhile, so they join this batch.
        // PGlite runs a whole transaction without yielding to I/O: without this turn every batch
        // there would hold one order, and the embedded shape would commit one order at a time.
        await new Promise((resolve) => setImmediate(resolve))
        const queue = queues.get(dropId)
        if (!queue || queue.length === 0) break
        const batch = queue.splice(0, MAX_BATCH)
        if (batch.length === 1) {
          await runAlone(batch[0]!)
          continue
        }
        try {
          await db.primary.transaction((tx) =>
            write(
              tx,
              batch.map((w) => w.order),
            ),
          )
          for (const w of batch) w.resolve()
        } catch {
          for (const w of batch) await runAlone(w)
        }
      }
    } finally {
      busy.delete(dropId)
      queues.delete(dropId)
    }
  }

  return {
    /** Resolves once the order is committed; rejects with the error its own transaction met. */
    commit(dropId: string, order: T): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        const queue = queues.get(dropId) ?? []
        queue.push({ order, resolve, reject })
        queues.set(dropId, queue)
        if (!busy.has(dropId)) void drain(dropId)
      })
    },
  }
}
