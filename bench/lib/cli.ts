import { type ParseArgsConfig, parseArgs } from 'node:util'

/**
 * The command line's flags (node:util parseArgs with these options); with --help (or -h, declared by
 * the caller as `help: { type: 'boolean', short: 'h' }`) prints `usage` and exits.
 */
export function parseFlags<const O extends NonNullable<ParseArgsConfig['options']>>(
  options: O,
  usage: string,
) {
  const { values } = parseArgs({ options })
  if ((values as { help?: boolean }).help) {
    console.log(usage)
    process.exit(0)
  }
  return values
}

/** A flag's value as a number, which must be finite and above zero. */
export function positive(name: string, raw: string | undefined): number {
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`)
  return value
}

/** A flag's value as a whole positive number (the positive value, rounded down). */
export function positiveInt(name: string, raw: string | undefined): number {
  return Math.floor(positive(name, raw))
}

/** Runs every item (shape, phase) in turn; the exit code is 1 unless every run passed its targets. */
export async function runAll<S>(items: readonly S[], run: (item: S) => Promise<{ pass: boolean }>) {
  let pass = true
  for (const item of items) pass = (await run(item)).pass && pass
  process.exitCode = pass ? 0 : 1
}
