import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { redisCache, sharedRuns } from '../../src/platform/cache/index.js'
import { connectRedis, type RedisClient } from '../../src/platform/redis.js'
import { uniqueName } from '../support/engines.js'

describe('sharedRuns', () => {
  it('gives concurrent calls for one key one run of the work, and runs it again once that one settled', async () => {
    const runs = sharedRuns<number>()
    let started = 0
    const work = async () => {
      const run = ++started
      await sleep(20)
      return run
    }
    const together = await Promise.all(Array.from({ length: 50 }, () => runs.run('k', work)))
    expect(started).toBe(1)
    expect(new Set(together)).toEqual(new Set([1]))
    // Another key has its own run; a settled run is not kept.
    expect(await Promise.all([runs.run('other', work), runs.run('k', work)])).toEqual([2, 3])
  })

  it('shares a failure with the calls that waited for it, then lets the next call try again', async () => {
    const runs = sharedRuns<string>()
    let attempts = 0
    const failing = async () => {
      attempts += 1
      await sleep(10)
      throw new Error(`attempt ${attempts}`)
    }
    const settled = await Promise.allSettled([runs.run('k', failing), runs.run('k', failing)])
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected'])
    expect(attempts).toBe(1)
    expect(await runs.run('k', async () => 'fine')).toBe('fine')
  })

  it('starts a fresh run after forget, while the forgotten one still answers its own callers', async () => {
    const runs = sharedRuns<string>()
    const before = runs.run('k', async () => {
      await sleep(30)
      return 'before'
    })
    runs.forget('k')
    const after = runs.run('k', async () => 'after')
    expect(await Promise.all([before, after])).toEqual(['before', 'after'])
  })
})

const redisUrl = inject('engines').redis

describe.skipIf(!redisUrl)('redisCache [redis]', () => {
  const prefix = `${uniqueName('cache')}:`
  let client: RedisClient
  let gets = 0
  /** The real client, with its GETs counted. */
  let counted: RedisClient

  beforeAll(async () => {
    client = await connectRedis(redisUrl!)
    counted = new Proxy(client, {
      get(target, property) {
        const value = Reflect.get(target, property, target)
        if (property === 'get') {
          return (key: string) => {
            gets += 1
            return target.get(key)
          }
        }
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
  })
  afterAll(async () => {
    if (!client) return
    const keys = (await client.keys(`${prefix}*`)) as string[]
    if (keys.length > 0) await client.del(keys)
    await client.close()
  })

  it('answers reads that miss its local copy together with one Redis GET', async () => {
    const cache = redisCache(counted, prefix, 50)
    await cache.set('drop', { name: 'first' }, 10_000)
    await sleep(80) // the local copy has expired; Redis still holds the value
    gets = 0
    const reads = await Promise.all(Array.from({ length: 200 }, () => cache.get<{ name: string }>('drop')))
    expect(gets).toBe(1)
    expect(reads.every((r) => r?.name === 'first')).toBe(true)
    // Now local again: no GET at all.
    expect(await cache.get('drop')).toEqual({ name: 'first' })
    expect(gets).toBe(1)
  })

  it('reads what was written after an invalidation, not a read that was already on its way', async () => {
    const cache = redisCache(counted, prefix, 50)
    await cache.set('item', 'old', 10_000)
    await sleep(80)
    const onItsWay = cache.get<string>('item')
    await cache.delete('item')
    await cache.set('item', 'new', 10_000)
    await sleep(80)
    expect(await cache.get('item')).toBe('new')
    expect(await onItsWay).toBeDefined()
  })
})
