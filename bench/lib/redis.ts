import { randomBytes } from 'node:crypto'
import { createClient } from 'redis'

/** The Redis benchmarks use, each run under its own key prefix. */
export function benchRedisUrl(env: Record<string, string | undefined> = process.env): string {
  return env.LIVEDROP_BENCH_REDIS_URL || 'redis://127.0.0.1:6379'
}

/** Whether Redis answers PING at the URL. */
export async function redisReachable(url: string, timeoutMs = 2000): Promise<boolean> {
  const client = createClient({ url, socket: { connectTimeout: timeoutMs, reconnectStrategy: false } })
  client.on('error', () => {})
  try {
    await client.connect()
    return (await client.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    await client.close().catch(() => {})
  }
}

/** Why the benchmarks' Redis cannot be used, or undefined when it answers. */
export async function redisUnavailable(url = benchRedisUrl()): Promise<string | undefined> {
  if (await redisReachable(url)) return undefined
  return `Redis not reachable at ${new URL(url).host} (set LIVEDROP_BENCH_REDIS_URL)`
}

export interface ScratchPrefix {
  prefix: string
  /** Deletes every key under the prefix; returns how many there were. */
  drop(): Promise<number>
}

/** A random key prefix (`ldbench:<hex>:`) so runs never see each other's keys; `drop` removes them. */
export function scratchRedisPrefix(url: string, name = 'ldbench'): ScratchPrefix {
  const prefix = `${name}:${randomBytes(5).toString('hex')}:`
  return {
    prefix,
    async drop() {
      const client = createClient({ url })
      client.on('error', () => {})
      await client.connect()
      let deleted = 0
      try {
        let batch: string[] = []
        for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
          batch.push(...keys)
          if (batch.length >= 1000) {
            deleted += await client.unlink(batch)
            batch = []
          }
        }
        if (batch.length > 0) deleted += await client.unlink(batch)
      } finally {
        await client.close()
      }
      return deleted
    },
  }
}

/** A few Redis facts worth printing beside the figures. */
export async function redisInfo(url: string): Promise<Record<string, string>> {
  const client = createClient({ url })
  client.on('error', () => {})
  await client.connect()
  try {
    const info = String(await client.info('server'))
    const field = (name: string) => info.match(new RegExp(`^${name}:(.*)$`, 'm'))?.[1]?.trim() ?? 'unknown'
    return { redis_version: field('redis_version'), io_threads: field('io_threads_active') }
  } finally {
    await client.close()
  }
}
