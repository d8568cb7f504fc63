#!/usr/bin/env node
// Runs the compiled CLI, building it first when this is a fresh checkout.
import { execSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const entry = new URL('../dist/main.js', import.meta.url)
if (!existsSync(entry)) {
  console.error('livedrop: building (first run)…')
  execSync('npm run --silent build', { cwd: root, stdio: 'inherit' })
}
await import(entry.href)
