import { readFileSync } from 'node:fs'
import os from 'node:os'
import { progress } from './report.js'

const TICKS_PER_SECOND = 100
const CORES = os.cpus().length

function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return Number.NaN
  }
}

function machineTicks(): { busy: number; total: number } {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0)
    const total = cpu.reduce((a, b) => a + b, 0)
    return { busy: total - idle, total }
  } catch {
    return { busy: Number.NaN, total: Number.NaN }
  }
}

/**
 * CPU used while a phase runs (Linux /proc; NaN elsewhere), in cores: by each named process and by the
 * whole machine. On a small machine this shows whether the server, the database or the load generator
 * was the limit.
 */
export function cpuMeter(pids: Record<string, number | undefined>) {
  const started = performance.now()
  const before = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, pid ? processTicks(pid) : NaN]),
  )
  const machineBefore = machineTicks()
  const selfBefore = process.cpuUsage()
  return () => {
    const seconds = (performance.now() - started) / 1000
    const machineAfter = machineTicks()
    const cores: Record<string, number> = {}
    for (const [name, pid] of Object.entries(pids)) {
      cores[name] = pid ? (processTicks(pid) - before[name]!) / TICKS_PER_SECOND / seconds : Number.NaN
    }
    const self = process.cpuUsage(selfBefore)
    // This process runs the load generator.
    cores.load_generator = (self.user + self.system) / 1e6 / seconds
    const machineShare =
      (machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total)
    return { seconds, cores, machine_cores_busy: machineShare * CORES }
  }
}
export type CpuUse = ReturnType<ReturnType<typeof cpuMeter>>

/** Cores busy across the machine over `ms` milliseconds (NaN where /proc is missing). */
export async function machineBusyCores(ms = 1000): Promise<number> {
  const before = machineTicks()
  await new Promise((resolve) => setTimeout(resolve, ms))
  const after = machineTicks()
  return ((after.busy - before.busy) / Math.max(1, after.total - before.total)) * CORES
}

/**
 * Waits (up to `maxWaitMs`) until the machine is nearly idle before a measurement, since other work on
 * a shared box skews both the baseline and the figure. Returns the background load last seen, in cores.
 */
export async function waitForQuiet(options: { belowCores?: number; maxWaitMs?: number } = {}) {
  const below = options.belowCores ?? 0.3
  const deadline = Date.now() + (options.maxWaitMs ?? 60_000)
  let busy = await machineBusyCores()
  while (!(busy < below) && Date.now() < deadline) busy = await machineBusyCores()
  return busy
}

/**
 * Before each measured phase, `quiet(phase)` waits (up to `maxWaitS` seconds) for other work on the
 * machine to stop and records the background load it last saw in `background`, by phase; with `note`
 * (the default) it says on stderr when the machine was still busy.
 */
export function quietPhases(maxWaitS: number, options: { note?: boolean } = {}) {
  const background: Record<string, number> = {}
  const quiet = async (phase: string) => {
    background[phase] = await waitForQuiet({ maxWaitMs: maxWaitS * 1000 })
    if ((options.note ?? true) && !(background[phase]! < 0.3)) {
      progress(`  note: ${background[phase]!.toFixed(2)} cores busy with other work before ${phase}`)
    }
  }
  return { background, quiet }
}
