// The lines every benchmark's printout shares: header figures, CPU cells and the verdict.
import type { CpuUse } from './cpu.js'
import { type machine, type Target, targetsTable } from './report.js'

/** 'ALL TARGETS PASS' or 'SOME TARGETS FAIL'. */
export function verdict(pass: boolean): string {
  return pass ? 'ALL TARGETS PASS' : 'SOME TARGETS FAIL'
}

/** The end of a benchmark's printout: the targets table and the verdict, with where the JSON went. */
export function verdictLines(targets: Target[], pass: boolean, file: string): string[] {
  return ['', targetsTable(targets), '', `   ${verdict(pass)} — JSON: ${file}`, '']
}

/** The machine in a printout's header: CPUs, their model and Node. */
export function machineSummary(m: ReturnType<typeof machine>): string {
  return `${m.cpus} CPUs (${m.cpu_model}), Node ${m.node}`
}

/** The background load recorded before each phase, in cores: `phase 0.05, phase 0.10`. */
export function backgroundCores(background: Record<string, number>): string {
  return Object.entries(background)
    .map(([phase, cores]) => `${phase} ${cores.toFixed(2)}`)
    .join(', ')
}

/** A table cell of CPU use in cores: server / load generator / machine. */
export function cpuCell(cpu: CpuUse | undefined): string {
  return cpu
    ? `${cpu.cores.server?.toFixed(2)} / ${cpu.cores.load_generator?.toFixed(2)} / ${cpu.machine_cores_busy.toFixed(2)}`
    : ''
}
