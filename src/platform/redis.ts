import { createHash } from 'node:crypto'
import { createClient, createCluster } from 'redis'

export type RedisClient = ReturnType<typeof createClient> | ReturnType<typeof createCluster>

/**
 * Connects to Redis; `redis+cluster://host:port,host:port` connects to a Cluster. Scripts must keep
 * every key of one call under one hash tag so they stay atomic on a Cluster.
 */
export async function connectRedis(url: string): Promise<RedisClient> {
  if (url.startsWith('redis+cluster://')) {
    const rootNodes = url
      .slice('redis+cluster://'.length)
      .split(',')
      .map((hostPort) => ({ url: `redis://${hostPort}` }))
    const cluster = createCluster({ rootNodes })
    cluster.on('error', () => {})
    await cluster.connect()
    return cluster
  }
  const client = createClient({
    url,
    socket: { connectTimeout: 5_000, reconnectStrategy: (retries) => Math.min(retries * 100, 2_000) },
  })
  // Errors surface on the commands that hit them; the client reconnects by itself.
  client.on('error', () => {})
  await client.connect()
  return client
}

/** Whether the client speaks to a Cluster, where one script may only touch keys of one hash slot. */
export const isCluster = (client: RedisClient): boolean => 'masters' in client

export interface LuaScript {
  source: string
  sha1: string
}

export function luaScript(source: string): LuaScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') }
}

/** EVALSHA, loading the script on the first NOSCRIPT (a restarted or new Redis node). */
export async function runScript(
  client: RedisClient,
  script: LuaScript,
  keys: string[],
  args: (string | number)[],
): Promise<unknown> {
  const options = { keys, arguments: args.map(String) }
  try {
    return await client.evalSha(script.sha1, options)
  } catch (error) {
    if (!String((error as Error).message).includes('NOSCRIPT')) throw error
    return client.eval(script.source, options)
  }
}
