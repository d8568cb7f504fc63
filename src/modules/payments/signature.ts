import { createHmac, timingSafeEqual } from 'node:crypto'

export const SIGNATURE_HEADER = 'livedrop-signature'
/** How old a signed webhook may be, in seconds, before it is refused (replay protection). */
export const SIGNATURE_TOLERANCE_SECONDS = 300

export function sign(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
}

/** The `LiveDrop-Signature` header value for a body: `t=<unix>,v1=<hex hmac-sha256 of "t.body">`. */
export function signatureHeader(
  secret: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
): string {
  return `t=${timestamp},v1=${sign(secret, timestamp, body)}`
}

export function verifySignature(
  secret: string,
  header: string | undefined,
  body: string,
  now = Date.now(),
): boolean {
  if (!header) return false
  const parts = new Map(
    header.split(',').map((part) => {
      const at = part.indexOf('=')
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const
    }),
  )
  const timestamp = Number(parts.get('t'))
  const given = parts.get('v1') ?? ''
  if (!Number.isInteger(timestamp) || !/^[0-9a-f]{64}$/.test(given)) return false
  if (Math.abs(now / 1000 - timestamp) > SIGNATURE_TOLERANCE_SECONDS) return false
  return timingSafeEqual(Buffer.from(sign(secret, timestamp, body), 'hex'), Buffer.from(given, 'hex'))
}
