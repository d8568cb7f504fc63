import type { Config } from './config.js'
import { createAuthModule } from './modules/auth/index.js'
import { createCatalogModule, type Product } from './modules/catalog/index.js'
import { createCreatorsModule } from './modules/creators/index.js'
import { createDropsModule, type Drop } from './modules/drops/index.js'
import { createFollowsModule, followerCountsReader } from './modules/follows/index.js'
import { memoryGate } from './modules/inventory/index.js'
import { createUsersModule, type User } from './modules/users/index.js'
import { inProcessBus } from './platform/bus/index.js'
import { memoryCache } from './platform/cache/index.js'
import type { Db } from './platform/db/index.js'
import { AppError } from './platform/http/errors.js'

export const DEMO_PASSWORD = 'Drop-demo-2026'

interface ProductSpec {
  name: string
  description: string
  base_price: number
  category: string
  variants?: { sku: string; name: string }[]
}

/** One drop item: a product of the same creator by name, optionally one of its variants by sku. */
interface ItemSpec {
  product: string
  sku?: string
  drop_price: number
  initial_stock: number
}

interface CreatorSpec {
  username: string
  creator_name: string
  bio: string
  products: ProductSpec[]
  /** Live from the moment of seeding for a few hours. */
  live: { name: string; description: string; items: ItemSpec[] }
  /** Starts two minutes after seeding. */
  next: { name: string; description: string; items: ItemSpec[] }
}

const CREATORS: CreatorSpec[] = [
  {
    username: 'nova_studio',
    creator_name: 'Nova Studio',
    bio: 'Limited streetwear capsules, dropped live.',
    products: [
      {
        name: 'Nova Capsule Hoodie',
        description: 'Heavyweight brushed fleece, embroidered star.',
        base_price: 8900,
        category: 'apparel',
        variants: [
          { sku: 'hoodie-s', name: 'S' },
          { sku: 'hoodie-m', name: 'M' },
          { sku: 'hoodie-l', name: 'L' },
        ],
      },
      {
        name: 'Nova Logo Tee',
        description: 'Garment-dyed cotton tee.',
        base_price: 3500,
        category: 'apparel',
      },
      {
        name: 'Nova Dad Cap',
        description: 'Washed twill, adjustable strap.',
        base_price: 2800,
        category: 'accessories',
      },
    ],
    live: {
      name: 'Nova Studio Capsule 01',
      description: 'The first capsule: hoodie, tee and cap.',
      items: [
        { product: 'Nova Capsule Hoodie', sku: 'hoodie-m', drop_price: 7900, initial_stock: 50 },
        { product: 'Nova Logo Tee', drop_price: 2900, initial_stock: 100 },
        { product: 'Nova Dad Cap', drop_price: 2400, initial_stock: 25 },
      ],
    },
    next: {
      name: 'Nova Studio Capsule 02',
      description: 'The hoodie again, in the other sizes.',
      items: [
        { product: 'Nova Capsule Hoodie', sku: 'hoodie-s', drop_price: 7900, initial_stock: 30 },
        { product: 'Nova Capsule Hoodie', sku: 'hoodie-l', drop_price: 7900, initial_stock: 40 },
      ],
    },
  },
  {
    username: 'kai_ceramics',
    creator_name: 'Kai Ceramics',
    bio: 'Small-batch stoneware, one firing at a time.',
    products: [
      {
        name: 'Speckled Mug',
        description: 'Wheel-thrown, 350 ml.',
        base_price: 3200,
        category: 'ceramics',
      },
      {
        name: 'Ash Glaze Bowl',
        description: 'Wood-ash glaze, every one different.',
        base_price: 4500,
        category: 'ceramics',
      },
      {
        name: 'Bud Vase',
        description: 'For one stem.',
        base_price: 2600,
        category: 'ceramics',
      },
    ],
    live: {
      name: 'Kai Ceramics Kiln Opening',
      description: 'Fresh out of the kiln.',
      items: [
        { product: 'Speckled Mug', drop_price: 2900, initial_stock: 60 },
        { product: 'Ash Glaze Bowl', drop_price: 3900, initial_stock: 40 },
        { product: 'Bud Vase', drop_price: 2200, initial_stock: 25 },
      ],
    },
    next: {
      name: 'Kai Ceramics Second Firing',
      description: 'Bowls and vases from the second firing.',
      items: [
        { product: 'Ash Glaze Bowl', drop_price: 3900, initial_stock: 30 },
        { product: 'Bud Vase', drop_price: 2200, initial_stock: 30 },
      ],
    },
  },
  {
    username: 'mira_sound',
    creator_name: 'Mira Sound',
    bio: 'Vinyl pressings and synth kits.',
    products: [
      {
        name: 'Night Drive LP',
        description: '180 g vinyl, gatefold sleeve.',
        base_price: 3000,
        category: 'music',
      },
      {
        name: 'Pocket Synth Kit',
        description: 'Solder-it-yourself two-oscillator synth.',
        base_price: 6900,
        category: 'electronics',
      },
      {
        name: 'Tour Poster',
        description: 'Risograph print, signed.',
        base_price: 1500,
        category: 'prints',
      },
    ],
    live: {
      name: 'Mira Sound Record Day',
      description: 'The LP, the kit and a signed poster.',
      items: [
        { product: 'Night Drive LP', drop_price: 2500, initial_stock: 100 },
        { product: 'Pocket Synth Kit', drop_price: 5900, initial_stock: 25 },
        { product: 'Tour Poster', drop_price: 1200, initial_stock: 75 },
      ],
    },
    next: {
      name: 'Mira Sound Synth Restock',
      description: 'More kits.',
      items: [{ product: 'Pocket Synth Kit', drop_price: 5900, initial_stock: 50 }],
    },
  },
]
const SHOPPERS = ['alice', 'bob', 'carol']

const LIVE_HOURS = 3
const NEXT_STARTS_IN_MS = 2 * 60_000
const NEXT_HOURS = 4
const PER_USER_LIMIT = 2
const LOW_STOCK_THRESHOLD = 10

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-')
const imagesOf = (name: string) => [
  `https://placehold.co/800x800/png?text=${encodeURIComponent(name)}`,
  `https://picsum.photos/seed/${slug(name)}/800/800`,
]

export interface SeededDrop {
  drop: Drop
  /** `created` now, or `kept` from an earlier run (still live / still scheduled). */
  outcome: 'created' | 'kept'
  creator_name: string
  url: string
}

export interface SeedResult {
  creators: { creator_id: string; username: string; creator_name: string }[]
  shoppers: User[]
  products: { product: Product; outcome: 'created' | 'kept' }[]
  drops: SeededDrop[]
}

/**
 * Loads demo accounts (and with `demo`, products and drops); running it again keeps what is there.
 * A demo drop is kept while it is still in the state the seed made it in (live, or scheduled);
 * otherwise a fresh one is created, so every run leaves a live drop and one about to start.
 */
export async function seed(
  db: Db,
  config: Config,
  options: { demo: boolean; print: (line: string) => void; now?: () => number },
): Promise<SeedResult> {
  const now = options.now ?? Date.now
  const users = createUsersModule(db).service
  const auth = createAuthModule({
    config: { ...config, rateLimit: false },
    db,
    users,
    rateLimitStore: undefined as never,
  })
  const creators = createCreatorsModule(db, { users, followerCounts: followerCountsReader(db) }).service
  const follows = createFollowsModule(db, { creators, users }).service

  async function account(username: string): Promise<User> {
    const email = `${username}@demo.livedrop.dev`
    try {
      return (await auth.service.register({ email, username, password: DEMO_PASSWORD })).user
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'already_exists')) throw error
      return (await auth.service.login({ email, password: DEMO_PASSWORD }, 'seed')).user
    }
  }

  const result: SeedResult = { creators: [], shoppers: [], products: [], drops: [] }
  const creatorUsers: User[] = []
  for (const spec of CREATORS) {
    const user = await account(spec.username)
    const creator =
      (await creators.byUser(user.user_id)) ??
      (await creators.become(user.user_id, { creator_name: spec.creator_name, bio: spec.bio }))
    creatorUsers.push(user)
    result.creators.push({
      creator_id: creator.creator_id,
      username: spec.username,
      creator_name: spec.creator_name,
    })
  }
  for (const name of SHOPPERS) result.shoppers.push(await account(name))
  for (const shopper of result.shoppers) {
    for (const { creator_id } of result.creators) await follows.follow(shopper.user_id, creator_id)
  }
  await follows.foldCounts()

  if (options.demo) await seedCatalogAndDrops(db, config, creatorUsers, result, now)

  const print = options.print
  print('Seeded LiveDrop with demo accounts (same password for all of them):')
  print(`  password: ${DEMO_PASSWORD}`)
  for (const spec of CREATORS) print(`  creator  ${spec.username}@demo.livedrop.dev  (${spec.creator_name})`)
  for (const name of SHOPPERS) print(`  shopper  ${name}@demo.livedrop.dev  (follows every demo creator)`)
  if (!options.demo) {
    print('Run `livedrop seed --demo` to add demo products and drops.')
    return result
  }
  const created = result.products.filter((p) => p.outcome === 'created').length
  print(`Products: ${created} created, ${result.products.length - created} already there.`)
  print('Drops (kept: still live or still scheduled from an earlier run; otherwise created now):')
  for (const d of result.drops) {
    const when =
      d.drop.status === 'live'
        ? `live now, ends ${d.drop.end_time}`
        : `starts ${d.drop.start_time}, ends ${d.drop.end_time}`
    print(`  ${`[${d.outcome}]`.padEnd(9)} ${d.drop.name} (${d.creator_name})`)
    print(
      `            ${when}; ${d.drop.remaining_inventory}/${d.drop.total_inventory} units, ` +
        `${d.drop.per_user_limit} per shopper`,
    )
    print(`            ${d.url}`)
  }
  print(
    'Log in as a shopper with POST /api/v1/auth/login, then buy with POST /api/v1/orders ' +
      '(header Idempotency-Key; items from GET <drop url>/items).',
  )
  return result
}

/** Products per creator (found again by name on later runs) and the live and upcoming drops. */
async function seedCatalogAndDrops(
  db: Db,
  config: Config,
  creatorUsers: User[],
  result: SeedResult,
  now: () => number,
) {
  // Events go to the outbox only; the server's relay publishes them, so nothing is consumed here.
  const bus = inProcessBus(() => {})
  const cache = memoryCache()
  const users = createUsersModule(db).service
  const creators = createCreatorsModule(db, { users, followerCounts: followerCountsReader(db) }).service
  const catalog = createCatalogModule({ db, cache, bus, creators }).service
  // The server loads the gate from the database on demand, so a throwaway gate is enough here.
  const drops = createDropsModule(db, { catalog, creators, gate: memoryGate(), cache, bus }).service
  const base = `http://localhost:${config.port || 3000}/api/v1/drops/`

  for (const [index, spec] of CREATORS.entries()) {
    const user = creatorUsers[index]!
    const creatorId = result.creators[index]!.creator_id
    const existing = await catalog.list({ creator_id: creatorId, limit: 100 })
    const byName = new Map<string, Product>()
    for (const product of existing.items) if (!byName.has(product.name)) byName.set(product.name, product)
    for (const productSpec of spec.products) {
      const found = byName.get(productSpec.name)
      if (found) {
        result.products.push({ product: found, outcome: 'kept' })
        continue
      }
      const product = await catalog.create(user.user_id, {
        ...productSpec,
        images_urls: imagesOf(productSpec.name),
      })
      byName.set(product.name, product)
      result.products.push({ product, outcome: 'created' })
    }

    const itemsOf = (items: ItemSpec[]) =>
      items.map((item) => {
        const product = byName.get(item.product)!
        const variant = item.sku ? product.variants.find((v) => v.sku === item.sku) : undefined
        return {
          product_id: product.product_id,
          ...(variant ? { variant_id: variant.variant_id } : {}),
          drop_price: item.drop_price,
          initial_stock: item.initial_stock,
        }
      })

    const ensure = async (
      drop: CreatorSpec['live'],
      status: 'live' | 'scheduled',
      startsAt: number,
      hours: number,
    ) => {
      const open = await drops.list({ creator_id: creatorId, status, limit: 100 })
      const kept = open.items.find((d) => d.name === drop.name)
      const seeded: Drop =
        kept ??
        (await drops.create(user.user_id, {
          name: drop.name,
          description: drop.description,
          start_time: new Date(startsAt).toISOString(),
          end_time: new Date(startsAt + hours * 3_600_000).toISOString(),
          per_user_limit: PER_USER_LIMIT,
          low_stock_threshold: LOW_STOCK_THRESHOLD,
          items: itemsOf(drop.items),
        }))
      result.drops.push({
        drop: seeded,
        outcome: kept ? 'kept' : 'created',
        creator_name: spec.creator_name,
        url: `${base}${seeded.drop_id}`,
      })
    }
    const at = now()
    await ensure(spec.live, 'live', at, LIVE_HOURS)
    await ensure(spec.next, 'scheduled', at + NEXT_STARTS_IN_MS, NEXT_HOURS)
  }
}
