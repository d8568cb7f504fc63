import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url))

/** Where and on what the figures were taken; absolute numbers mean little without it. */
export function machine() {
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? 'unknown',
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
  }
}

export const fmt = {
  int: (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n)),
  ms: (n: number) => (Number.isFinite(n) ? `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms` : String(n)),
  seconds: (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)} s` : String(n)),
  ratio: (n: number) => (Number.isFinite(n) ? `${n.toFixed(3)}x` : String(n)),
}

/** Prints rows as an aligned text table; the first row is the header. */
export function table(rows: (string | number)[][]): string {
  const text = rows.map((row) => row.map(String))
  const widths: number[] = []
  for (const row of text) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length)
    })
  }
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  const [header, ...body] = text
  const out = header ? [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)] : []
  return out.join('\n')
}

export interface Target {
  name: string
  /** The measured figure, as printed. */
  measured: string
  /** The target, as printed. */
  target: string
  pass: boolean
}

export function targetsTable(targets: Target[]): string {
  return table([
    ['target', 'measured', 'required', 'verdict'],
    ...targets.map((t) => [t.name, t.measured, t.target, t.pass ? 'PASS' : 'FAIL']),
  ])
}

/** Writes `bench/results/<name>.json` and returns its path. */
export function writeResult(name: string, data: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const path = `${RESULTS_DIR}${name}.json`
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`)
  return path
}

/** A timestamped progress line on stderr, so stdout keeps only the results. */
export function progress(message: string): void {
  const t = new Date().toISOString().slice(11, 19)
  process.stderr.write(`[${t}] ${message}\n`)
}
