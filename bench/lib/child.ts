import { type ChildProcess, execFile, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { progress } from './report.js'

/** Messages a benchmark child sends its parent. */
export type ChildMessage =
  | { type: 'ready'; url: string }
  | { type: 'reply'; id: number; result?: unknown; error?: string }
  | { type: 'failed'; error: string }

export interface Child {
  readonly process: ChildProcess
  readonly url: string
  /** Asks the child to do something and waits for its answer. */
  call<T>(request: Record<string, unknown>): Promise<T>
  stop(): Promise<void>
}

/** The node flags `npm start` and the container image give the server, so it is measured as it ships. */
const APP_NODE_ARGS = ['--max-semi-space-size=32']

let serverBuild: Promise<void> | undefined

/** Compiles the server (tsc, as `npm run build` does) once per benchmark run. */
function buildServer(): Promise<void> {
  serverBuild ??= new Promise<void>((resolve, reject) => {
    if (process.env.LIVEDROP_BENCH_SOURCE === '1') return resolve()
    progress('  building the server (tsc -p tsconfig.build.json), as npm start runs it')
    const root = fileURLToPath(new URL('../..', import.meta.url))
    execFile('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root }, (error, stdout, stderr) =>
      error ? reject(new Error(`building the server failed:\n${stdout}${stderr}`)) : resolve(),
    )
  })
  return serverBuild
}

/**
 * Starts `entry` (a file in bench/lib, run through tsx) in its own process so the server under test
 * never shares an event loop with the load generator, and waits for it to report where it listens.
 */
export async function startChild(
  entry: string,
  env: Record<string, string>,
  options: { nodeArgs?: string[]; timeoutMs?: number } = {},
) {
  const timeoutMs = options.timeoutMs ?? 120_000
  const path = fileURLToPath(new URL(entry, import.meta.url))
  const child = fork(path, [], {
    // LIVEDROP_BENCH_NODE_ARGS (e.g. "--cpu-prof") profiles the server under test.
    execArgv: ['--import', 'tsx', ...(options.nodeArgs ?? [])],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>()
  let nextId = 1
  let exited = false

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${entry} did not start within ${timeoutMs} ms`)),
      timeoutMs,
    )
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer)
        resolve(message.url)
      } else if (message.type === 'failed') {
        clearTimeout(timer)
        reject(new Error(`${entry} failed: ${message.error}`))
      } else if (message.type === 'reply') {
        const waiter = pending.get(message.id)
        pending.delete(message.id)
        if (message.error !== undefined) waiter?.reject(new Error(message.error))
        else waiter?.resolve(message.result)
      }
    })
    child.once('exit', (code, signal) => {
      exited = true
      clearTimeout(timer)
      const error = new Error(`${entry} exited (code ${code}, signal ${signal})`)
      reject(error)
      for (const waiter of pending.values()) waiter.reject(error)
      pending.clear()
    })
  })

  const result: Child = {
    process: child,
    url,
    call<T>(request: Record<string, unknown>) {
      if (exited) return Promise.reject(new Error(`${entry} is not running`))
      const id = nextId++
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
        child.send({ ...request, id })
      })
    },
    async stop() {
      if (exited) return
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.send({ type: 'stop', id: 0 })
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await gone
      clearTimeout(timer)
    },
  }
  return result
}

/** The child side: reports readiness and answers the parent's calls with `handle`. */
export function serveParent(
  handle: (request: { type: string; [key: string]: unknown }) => Promise<unknown>,
  stop: () => Promise<void>,
) {
  const send = (message: ChildMessage) => process.send?.(message)
  process.on('message', (message: { type: string; id: number; [key: string]: unknown }) => {
    if (message.type === 'stop') {
      stop().finally(() => process.exit(0))
      return
    }
    handle(message).then(
      (result) => send({ type: 'reply', id: message.id, result }),
      (error: unknown) =>
        send({ type: 'reply', id: message.id, error: String((error as Error)?.message ?? error) }),
    )
  })
  // An orphaned child (parent killed) must not keep serving.
  process.on('disconnect', () => {
    stop().finally(() => process.exit(0))
  })
  return {
    ready: (url: string) => send({ type: 'ready', url }),
    failed: (error: unknown) => {
      send({ type: 'failed', error: String((error as Error)?.stack ?? error) })
      setTimeout(() => process.exit(1), 100)
    },
  }
}

/**
 * Starts the LiveDrop app under test (app-child.ts) as it ships: the compiled server, built once per
 * run, with the node flags `npm start` gives it, then `options.nodeArgs` (LIVEDROP_BENCH_NODE_ARGS).
 */
export async function startAppChild(
  env: Record<string, string>,
  options: { nodeArgs?: string[]; timeoutMs?: number } = {},
) {
  await buildServer()
  return startChild('./app-child.ts', env, {
    ...options,
    nodeArgs: [...APP_NODE_ARGS, ...(options.nodeArgs ?? [])],
  })
}
