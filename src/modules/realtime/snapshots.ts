/** A drop channel's snapshot frame, as every socket subscribing at this position gets it. */
export interface SharedSnapshot {
  seq: number
  /** The serialised `snapshot` message; undefined when there is no such drop. */
  frame: Promise<Buffer | undefined>
}

/**
 * Drop snapshots shared by all the sockets of a gateway. When a drop starts, its followers open its
 * channel all at once: reading the drop once per socket would queue thousands of reads on the
 * database pool (and time them out). Sockets that subscribe while nothing has been sent on the
 * channel since a snapshot was taken get that snapshot — read once, serialised once, the same bytes
 * — while it is being read and for `reuseMs` after; any broadcast on the channel moves its position
 * and the next subscriber reads afresh.
 */
export function sharedSnapshots(
  read: (dropId: string) => Promise<unknown | undefined>,
  position: (dropId: string) => number,
  reuseMs: number,
) {
  const current = new Map<string, SharedSnapshot>()
  const forget = (dropId: string, entry: SharedSnapshot) => {
    if (current.get(dropId) === entry) current.delete(dropId)
  }
  return (dropId: string): SharedSnapshot => {
    const seq = position(dropId)
    const known = current.get(dropId)
    if (known && known.seq === seq) return known
    const channel = `drop:${dropId}`
    const entry: SharedSnapshot = {
      seq,
      frame: read(dropId).then((data) =>
        data === undefined
          ? undefined
          : Buffer.from(JSON.stringify({ type: 'snapshot', channel, seq, data })),
      ),
    }
    current.set(dropId, entry)
    entry.frame.then(
      (frame) => {
        if (frame === undefined) forget(dropId, entry)
        else setTimeout(() => forget(dropId, entry), reuseMs).unref()
      },
      () => forget(dropId, entry),
    )
    return entry
  }
}
