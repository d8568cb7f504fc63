import { hash, verify } from '@node-rs/argon2'
import { validationFailed } from '../../platform/http/errors.js'

// Algorithm 2 is argon2id; parameters are OWASP's recommended minimum.
const OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const

const COMMON = new Set([
  'password',
  'password1',
  'password123',
  '12345678',
  '123456789',
  '1234567890',
  'qwertyuiop',
  'iloveyou',
  'letmein123',
  'welcome123',
  'admin123',
  'livedrop123',
])

/** Rejects passwords that are short, single-class or well known. */
export function assertStrongPassword(password: string, context: { email: string; username: string }): void {
  const problems: string[] = []
  if (password.length < 8) problems.push('must be at least 8 characters long')
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length
  if (classes < 2) problems.push('must mix at least two of lower case, upper case, digits and symbols')
  const lower = password.toLowerCase()
  if (
    COMMON.has(lower) ||
    lower === context.username.toLowerCase() ||
    lower === context.email.toLowerCase()
  ) {
    problems.push('is too easy to guess')
  }
  if (problems.length > 0) {
    throw validationFailed(problems.map((message) => ({ path: '/password', message })))
  }
}

export const hashPassword = (password: string) => hash(password, OPTIONS)

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password)
  } catch {
    return false
  }
}

let dummyHash: Promise<string> | undefined
/** Verifies against a throwaway hash so an unknown email costs the same time as a wrong password. */
export async function burnVerification(password: string): Promise<void> {
  dummyHash ??= hashPassword('not-a-real-password-0')
  await verifyPassword(await dummyHash, password)
}
