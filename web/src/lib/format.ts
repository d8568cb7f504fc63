const moneyFormats = new Map<string, Intl.NumberFormat>()

function moneyFormat(currency: string): Intl.NumberFormat {
  let format = moneyFormats.get(currency)
  if (!format) {
    try {
      format = new Intl.NumberFormat(undefined, { style: 'currency', currency })
    } catch {
      format = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' })
    }
    moneyFormats.set(currency, format)
  }
  return format
}

/** Digits after the decimal point of a currency (2 for USD, 0 for JPY). */
export function minorDigits(currency: string): number {
  return moneyFormat(currency).resolvedOptions().maximumFractionDigits ?? 2
}

/** Minor units (1999) to a price in words of the locale ("$19.99"). */
export function money(minor: number, currency = 'USD'): string {
  return moneyFormat(currency).format(minor / 10 ** minorDigits(currency))
}

/** "19.99" typed by a person to minor units (1999); undefined when it is not a price. */
export function parseMoney(text: string, currency = 'USD'): number | undefined {
  const cleaned = text.trim().replace(/[\s,]/g, '')
  if (!/^\d+(\.\d*)?$/.test(cleaned)) return undefined
  const digits = minorDigits(currency)
  const [whole, fraction = ''] = cleaned.split('.')
  if (fraction.length > digits) return undefined
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0')
}

const dateTime = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  month: 'short',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
})
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit', second: '2-digit' })

export const when = (iso: string) => dateTime.format(new Date(iso))
export const clock = (iso: string | number) => timeOnly.format(new Date(iso))

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })
/** "2 minutes ago", "in 3 hours". */
export function ago(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000)
  const abs = Math.abs(seconds)
  if (abs < 45) return seconds <= 0 ? 'just now' : 'in a moment'
  if (abs < 45 * 60) return relative.format(Math.round(seconds / 60), 'minute')
  if (abs < 22 * 3600) return relative.format(Math.round(seconds / 3600), 'hour')
  return relative.format(Math.round(seconds / 86400), 'day')
}

const two = (n: number) => String(n).padStart(2, '0')

/** A countdown to the second: "1d 02:03:04", "02:03:04" or "03:04"; "00:00" once passed. */
export function countdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000))
  const days = Math.floor(total / 86400)
  const hours = Math.floor((total % 86400) / 3600)
  const minutes = Math.floor((total % 3600) / 60)
  const seconds = total % 60
  if (days > 0) return `${days}d ${two(hours)}:${two(minutes)}:${two(seconds)}`
  if (hours > 0) return `${two(hours)}:${two(minutes)}:${two(seconds)}`
  return `${two(minutes)}:${two(seconds)}`
}

/** "1 h 20 min", "4 min 5 s", "12 s". */
export function duration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000))
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  if (h > 0) return `${h} h ${m} min`
  if (m > 0) return `${m} min ${s} s`
  return `${s} s`
}

export const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString()} ${n === 1 ? one : many}`

export const shortId = (id: string) => id.slice(-6).toUpperCase()
