import { createHash, randomBytes } from 'node:crypto'
import { accessTokens } from '../../src/modules/auth/index.js'
import { fmt, progress } from './report.js'
import type { ShapeApp } from './shape.js'

/** The uuid PostgreSQL's `md5(text)::uuid` gives, so seeded ids can be recomputed without a query. */
export function md5Uuid(text: string): string {
  const h = createHash('md5').update(text).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** One JSON call to the app under test; throws unless the status is the expected one. */
export async function call<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; expect?: number; headers?: Record<string, string> } = {},
): Promise<T> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  })
  const text = await response.text()
  const expected = options.expect ?? (method === 'POST' ? 201 : 200)
  if (response.status !== expected) {
    throw new Error(`${method} ${path}: ${response.status} (wanted ${expected}) ${text.slice(0, 500)}`)
  }
  return (text ? JSON.parse(text) : undefined) as T
}

export interface BenchCreator {
  userId: string
  creatorId: string
  token: string
}

/** A creator made through the public API: register, become a creator. */
export async function createCreator(baseUrl: string, name = 'Bench Creator'): Promise<BenchCreator> {
  const username = `creator_${randomBytes(4).toString('hex')}`
  const session = await call(baseUrl, 'POST', '/api/v1/auth/register', {
    body: { email: `${username}@bench.invalid`, username, password: 'Bench-password-2026' },
  })
  const creator = await call(baseUrl, 'POST', '/api/v1/creators', {
    token: session.access_token,
    body: { creator_name: name, bio: 'Benchmark creator' },
  })
  return { userId: session.user.user_id, creatorId: creator.creator_id, token: session.access_token }
}

export interface BenchProduct {
  product_id: string
  variants: { variant_id: string; sku: string }[]
}

export async function createProduct(
  baseUrl: string,
  creator: BenchCreator,
  input: { name: string; base_price?: number; variants?: { sku: string; name: string }[] },
): Promise<BenchProduct> {
  return call(baseUrl, 'POST', '/api/v1/products', {
    token: creator.token,
    body: {
      name: input.name,
      description: `${input.name}, made for the benchmark`,
      base_price: input.base_price ?? 2500,
      category: 'bench',
      images_urls: [`https://placehold.co/600x600/png?text=${encodeURIComponent(input.name)}`],
      ...(input.variants ? { variants: input.variants } : {}),
    },
  })
}

export interface BenchDrop {
  drop_id: string
  total_inventory: number
  per_user_limit: number
}

/** A drop live from now for `hours`. */
export async function createLiveDrop(
  baseUrl: string,
  creator: BenchCreator,
  input: {
    name: string
    per_user_limit: number
    items: { product_id: string; variant_id?: string; drop_price: number; initial_stock: number }[]
    hours?: number
  },
): Promise<BenchDrop> {
  const now = Date.now()
  return call(baseUrl, 'POST', '/api/v1/drops', {
    token: creator.token,
    body: {
      name: input.name,
      start_time: new Date(now).toISOString(),
      end_time: new Date(now + (input.hours ?? 2) * 3_600_000).toISOString(),
      per_user_limit: input.per_user_limit,
      low_stock_threshold: 10,
      items: input.items,
    },
  })
}

/**
 * `count` shoppers inserted with one SQL statement per 10,000, ids md5(`<prefix><i>`)::uuid, all sharing
 * `passwordHashOf`'s password hash (a real argon2id hash made by the app at registration).
 */
export async function insertShoppers(
  app: ShapeApp,
  prefix: string,
  count: number,
  passwordHashOf: string,
): Promise<string[]> {
  const batch = 10_000
  for (let lo = 1; lo <= count; lo += batch) {
    const hi = Math.min(count, lo + batch - 1)
    await app.sql(`
      INSERT INTO users (user_id, email, username, password_hash)
      SELECT md5('${prefix}' || i)::uuid, '${prefix}' || i || '@bench.invalid', '${prefix}' || i,
             (SELECT password_hash FROM users WHERE user_id = '${passwordHashOf}')
      FROM generate_series(${lo}, ${hi}) AS i`)
  }
  progress(`  ${fmt.int(count)} shoppers inserted by SQL (shared password hash)`)
  return Array.from({ length: count }, (_, i) => md5Uuid(`${prefix}${i + 1}`))
}

/** Access tokens signed with the app's secret, exactly as the app signs them (HS256, sub, roles, iss). */
export async function signTokens(jwtSecret: string, userIds: string[]): Promise<string[]> {
  const signer = accessTokens(jwtSecret)
  const tokens: string[] = []
  for (const userId of userIds) tokens.push(await signer.sign({ userId, roles: ['shopper'] }))
  return tokens
}
