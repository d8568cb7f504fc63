import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import type { Role } from '../../src/config.js'
import { uniqueName } from './engines.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** A port nobody listens on right now (the child binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

export interface RoleProcess {
  role: Role
  /** `http://127.0.0.1:<port>`: every role listens (health, metrics; api and gateway routes by role). */
  url: string
  child: ChildProcess
  /** What the process printed so far (shown when a test fails). */
  output(): string
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | NodeJS.Signals>
  /** SIGKILL: the process dies between any two instructions, as in a crash. */
  kill(): Promise<void>
  /** SIGTERM and wait for the drain; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>
}

/** Environment shared by every process of one test cluster (one database, key prefix and stream). */
export function clusterEnv(engines: { databaseUrl: string; redisUrl?: string; natsUrl?: string }) {
  return {
    DATABASE_URL: engines.databaseUrl,
    ...(engines.redisUrl ? { REDIS_URL: engines.redisUrl, REDIS_KEY_PREFIX: `${uniqueName('tc')}:` } : {}),
    ...(engines.natsUrl
      ? { NATS_URL: engines.natsUrl, NATS_STREAM: uniqueName('LDC'), NATS_SUBJECT_PREFIX: uniqueName('ldc') }
      : {}),
    JWT_SECRET: randomBytes(32).toString('hex'),
    PAYMENT_WEBHOOK_SECRET: randomBytes(32).toString('hex'),
    DATA_DIR: `/tmp/${uniqueName('livedrop')}`,
    RATE_LIMIT: 'off',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
  } satisfies Record<string, string>
}

const live = new Set<ChildProcess>()
// A test worker that dies must not leave servers behind holding ports and database connections.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

/**
 * Runs the real CLI, `node --import tsx src/main.ts serve --role <role>`, on a free port and waits
 * until it answers /readyz. Fails with the process's output when it exits or is not ready in time.
 */
export async function startRole(
  role: Role,
  env: Record<string, string>,
  options: { readyWithinMs?: number } = {},
): Promise<RoleProcess> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', '--role', role], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(child)
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child)
      resolve(signal ?? code ?? 0)
    }),
  )
  const url = `http://127.0.0.1:${port}`
  const gone = () => child.exitCode !== null || child.signalCode !== null
  const processHandle: RoleProcess = {
    role,
    url,
    child,
    output: () => output,
    exited,
    async kill() {
      if (!gone()) child.kill('SIGKILL')
      await exited
    },
    async stop(graceMs = 10_000) {
      if (gone()) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    },
  }

  const deadline = Date.now() + (options.readyWithinMs ?? 45_000)
  for (;;) {
    if (gone()) throw new Error(`livedrop --role ${role} exited (${await exited}) before ready:\n${output}`)
    try {
      const response = await fetch(`${url}/readyz`)
      if (response.status === 200) return processHandle
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await processHandle.kill()
      throw new Error(`livedrop --role ${role} not ready on ${url} in time:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Stops every process (SIGTERM, then SIGKILL), whatever state each is in. */
export async function stopAll(processes: (RoleProcess | undefined)[]): Promise<void> {
  await Promise.all(processes.map((p) => p?.stop()))
}
