import { randomUUID } from 'node:crypto'
import { expect } from 'vitest'
import { type Client, register } from './client.js'

export const V1 = '/api/v1'
/** A well-formed UUIDv7 that no row ever gets. */
export const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000'
export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
export const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

export type Session = Awaited<ReturnType<typeof register>>
export interface Creator {
  session: Session
  token: string
  userId: string
  creatorId: string
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
export const isoIn = (ms: number) => new Date(Date.now() + ms).toISOString()

/** Polls `read` until `done` holds for its value; fails with the last value after `withinMs`. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  withinMs: number,
  everyMs = 25,
): Promise<T> {
  const started = Date.now()
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() - started > withinMs) {
      throw new Error(`condition not met within ${withinMs} ms; last value ${JSON.stringify(value)}`)
    }
    await sleep(everyMs)
  }
}

/** The shopping fixtures: creators, products, drops and orders over real HTTP. */
export function shop(api: () => Client) {
  async function newCreator(): Promise<Creator> {
    const session = await register(api())
    const reply = await api().post(
      `${V1}/creators`,
      { creator_name: `Maker ${session.user.username}` },
      session.access_token,
    )
    expect(reply.status, JSON.stringify(reply.body)).toBe(201)
    return {
      session,
      token: session.access_token,
      userId: session.user.user_id,
      creatorId: reply.body.creator_id,
    }
  }

  async function createProduct(creator: Creator, body: Record<string, unknown> = {}) {
    const reply = await api().post(
      `${V1}/products`,
      { name: `Product ${randomUUID().slice(0, 8)}`, base_price: 1000, ...body },
      creator.token,
    )
    expect(reply.status, JSON.stringify(reply.body)).toBe(201)
    return reply.body
  }

  /** A drop of the given products, live now unless `start_time` says otherwise. */
  async function createDrop(
    creator: Creator,
    items: { product_id: string; variant_id?: string; drop_price?: number; initial_stock: number }[],
    body: Record<string, unknown> = {},
  ) {
    const start = typeof body.start_time === 'string' ? Date.parse(body.start_time) : Date.now()
    const reply = await api().post(
      `${V1}/drops`,
      {
        name: `Drop ${randomUUID().slice(0, 8)}`,
        start_time: new Date(start).toISOString(),
        end_time: new Date(Math.max(start, Date.now()) + 3_600_000).toISOString(),
        items: items.map((i) => ({ drop_price: 1500, ...i })),
        ...body,
      },
      creator.token,
    )
    expect(reply.status, JSON.stringify(reply.body)).toBe(201)
    return reply.body
  }

  /** A creator with one single-variant product on a live drop. */
  async function liveDrop(options: { stock?: number; perUserLimit?: number; price?: number } = {}) {
    const creator = await newCreator()
    const product = await createProduct(creator)
    const drop = await createDrop(
      creator,
      [
        {
          product_id: product.product_id,
          drop_price: options.price ?? 1500,
          initial_stock: options.stock ?? 10,
        },
      ],
      { per_user_limit: options.perUserLimit ?? 5 },
    )
    return { creator, product, drop, variantId: product.variants[0].variant_id as string }
  }

  /** POST /orders with a fresh Idempotency-Key unless one is given; `null` sends none. */
  async function order(token: string, body: Record<string, unknown>, key: string | null = randomUUID()) {
    return api().request('POST', `${V1}/orders`, {
      body,
      token,
      headers: key === null ? {} : { 'idempotency-key': key },
    })
  }

  async function inventory(dropId: string) {
    const reply = await api().get(`${V1}/drops/${dropId}/inventory`)
    expect(reply.status).toBe(200)
    return reply.body as {
      drop_id: string
      remaining_inventory: number
      sold_out: boolean
      items: { product_id: string; variant_id: string; available: number }[]
    }
  }

  return { newCreator, createProduct, createDrop, liveDrop, order, inventory }
}
