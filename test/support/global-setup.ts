import net from 'node:net'
import type { TestProject } from 'vitest/node'

/**
 * Finds the engines for the integration tiers. Named by LIVEDROP_TEST_* they are required (CI fails
 * when they cannot be reached); otherwise the local defaults are used when they answer, and the
 * tiers that need them are skipped, by name, when they don't.
 */
const ENGINES = {
  postgres: {
    variable: 'LIVEDROP_TEST_DATABASE_URL',
    fallback: 'postgres://postgres@127.0.0.1:5432/postgres',
  },
  redis: { variable: 'LIVEDROP_TEST_REDIS_URL', fallback: 'redis://127.0.0.1:6379' },
  nats: { variable: 'LIVEDROP_TEST_NATS_URL', fallback: 'nats://127.0.0.1:4222' },
} as const
export type EngineName = keyof typeof ENGINES
export type Engines = Partial<Record<EngineName, string>>

declare module 'vitest' {
  export interface ProvidedContext {
    engines: Engines
  }
}

function reachable(url: string, timeoutMs = 1500): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

export default async function setup(project: TestProject) {
  const engines: Engines = {}
  const skipped: string[] = []
  for (const [name, { variable, fallback }] of Object.entries(ENGINES) as [
    EngineName,
    (typeof ENGINES)[EngineName],
  ][]) {
    const required = process.env[variable]
    const url = required ?? fallback
    if (await reachable(url)) {
      engines[name] = url
    } else if (required) {
      throw new Error(`${variable}=${url} cannot be reached; the integration tier needs it`)
    } else {
      skipped.push(`${name} (set ${variable} or start it on ${new URL(fallback).host})`)
    }
  }
  if (skipped.length > 0) {
    console.log(`\n[livedrop] Integration tiers skipped, engine not reachable: ${skipped.join('; ')}\n`)
  } else {
    console.log(
      '\n[livedrop] Integration tiers use PostgreSQL, Redis and NATS at',
      Object.values(engines).join(', '),
      '\n',
    )
  }
  project.provide('engines', engines)
}
