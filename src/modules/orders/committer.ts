/** Most orders written by one transaction. */
const MAX_BATCH = 128

interface Waiting<T> {
  order: T
  resolve: () => void
  reject: (error: unknown) => void
}

/**
 * Writes of one drop in flight at once. The second one writes its orders while the first still holds
 * the drop's stock row, then waits for that row: the stock changes stay one after another, but a group
 * does not wait for the whole of the previous write before it starts.
 */
const MAX_IN_FLIGHT = 2

/**
 * Writes the orders of one drop in groups; `write` writes a group atomically. Every order of a drop
 * contends for the same rows (the drop's stock), so a few writes at a time per drop, each carrying
 * everything that arrived meanwhile, beat many transactions queueing on row locks. If a group fails,
 * each of its orders is retried alone so one bad order cannot sink the others.
 */
export function createCommitter<T>(write: (orders: T[]) => Promise<void>) {
  const queues = new Map<string, Waiting<T>[]>()
  const running = new Map<string, number>()
  const scheduled = new Set<string>()

  async function runAlone(item: Waiting<T>) {
    try {
      await write([item.order])
      item.resolve()
    } catch (error) {
      item.reject(error)
    }
  }

  async function runBatch(batch: Waiting<T>[]) {
    if (batch.length === 1) return runAlone(batch[0]!)
    try {
      await write(batch.map((w) => w.order))
      for (const w of batch) w.resolve()
    } catch {
      for (const w of batch) await runAlone(w)
    }
  }

  /**
   * Starts a batch when a slot is free. It first lets the event loop take in the requests that arrived
   * meanwhile, so they join the batch: PGlite runs a whole transaction without yielding to I/O, and
   * without this turn every batch there would hold one order.
   */
  function schedule(dropId: string) {
    if (scheduled.has(dropId) || (running.get(dropId) ?? 0) >= MAX_IN_FLIGHT) return
    scheduled.add(dropId)
    setImmediate(() => {
      scheduled.delete(dropId)
      const queue = queues.get(dropId)
      if (!queue || queue.length === 0) {
        queues.delete(dropId)
        return
      }
      const batch = queue.splice(0, MAX_BATCH)
      running.set(dropId, (running.get(dropId) ?? 0) + 1)
      void runBatch(batch).finally(() => {
        const left = (running.get(dropId) ?? 1) - 1
        if (left === 0) running.delete(dropId)
        else running.set(dropId, left)
        schedule(dropId)
      })
      schedule(dropId)
    })
  }

  return {
    /** Resolves once the order is committed; rejects with the error its own transaction met. */
    commit(dropId: string, order: T): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        const queue = queues.get(dropId) ?? []
        queue.push({ order, resolve, reject })
        queues.set(dropId, queue)
        schedule(dropId)
      })
    },
  }
}
