import { useSyncExternalStore } from 'react'

let now = Date.now()
const listeners = new Set<() => void>()
let timer: ReturnType<typeof setTimeout> | undefined

/** Ticks on the second boundary, so every countdown on the page changes together. */
function tick() {
  now = Date.now()
  for (const listener of listeners) listener()
  timer = setTimeout(tick, 1000 - (Date.now() % 1000) + 5)
}

function subscribe(listener: () => void) {
  listeners.add(listener)
  if (listeners.size === 1) {
    now = Date.now()
    timer = setTimeout(tick, 1000 - (now % 1000) + 5)
  }
  return () => {
    listeners.delete(listener)
    if (listeners.size === 0) clearTimeout(timer)
  }
}

/** The current time in ms, re-rendering the caller every second. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, () => now)
}
