import { randomBytes } from 'node:crypto'

/** The NATS server (with JetStream) benchmarks use, each run under its own stream and subjects. */
export function benchNatsUrl(env: Record<string, string | undefined> = process.env): string {
  return env.LIVEDROP_BENCH_NATS_URL || 'nats://127.0.0.1:4222'
}

/** Whether NATS answers at the URL and has JetStream enabled. */
export async function natsReachable(url: string, timeoutMs = 2000): Promise<boolean> {
  const { connect } = await import('@nats-io/transport-node')
  const { jetstreamManager } = await import('@nats-io/jetstream')
  try {
    const nc = await connect({ servers: url, timeout: timeoutMs, reconnect: false })
    try {
      await (await jetstreamManager(nc)).getAccountInfo()
      return true
    } finally {
      await nc.close()
    }
  } catch {
    return false
  }
}

export interface ScratchStream {
  /** NATS_STREAM and NATS_SUBJECT_PREFIX for the app. */
  stream: string
  subjectPrefix: string
  /** Deletes the stream (and its consumers); true when it existed. */
  drop(): Promise<boolean>
}

/** A unique JetStream stream name and subject prefix, so runs never see each other's events. */
export function scratchNatsStream(url: string, name = 'LDBENCH'): ScratchStream {
  const suffix = randomBytes(5).toString('hex')
  const stream = `${name}_${suffix}`
  return {
    stream,
    subjectPrefix: `ldbench_${suffix}`,
    async drop() {
      const { connect } = await import('@nats-io/transport-node')
      const { jetstreamManager } = await import('@nats-io/jetstream')
      const nc = await connect({ servers: url })
      try {
        return await (await jetstreamManager(nc)).streams.delete(stream).catch(() => false)
      } finally {
        await nc.close()
      }
    },
  }
}

/** The NATS server's version, for the report. */
export async function natsInfo(url: string): Promise<Record<string, string>> {
  const { connect } = await import('@nats-io/transport-node')
  const nc = await connect({ servers: url })
  try {
    return { nats_version: nc.info?.version ?? 'unknown' }
  } finally {
    await nc.close()
  }
}
