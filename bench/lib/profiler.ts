import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'

let session: Session | undefined

/**
 * CPU profiling of one phase of a benchmark, inside the process under test (the app child answers
 * `{type: 'profile', action: 'start' | 'stop', file}`), so the profile holds the measured phase only,
 * not the start-up. Open the written .cpuprofile in Chrome DevTools or speedscope.
 */
export async function profile(action: string, file?: string): Promise<string | undefined> {
  if (action === 'start') {
    session = new Session()
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 200 })
    await session.post('Profiler.start')
    return undefined
  }
  if (action === 'stop') {
    if (!session) throw new Error('the profiler is not running')
    const { profile: result } = await session.post('Profiler.stop')
    session.disconnect()
    session = undefined
    if (!file) throw new Error('profile stop needs a file')
    writeFileSync(file, JSON.stringify(result))
    return file
  }
  throw new Error(`unknown profile action ${action}`)
}
