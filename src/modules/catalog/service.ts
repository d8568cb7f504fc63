import { uuidv7 } from 'uuidv7'
import { type Cache, readThrough } from '../../platform/cache/index.js'
import { type FieldError, forbidden, notFound, validationFailed } from '../../platform/http/errors.js'
import { decodeCursor, encodeCursor, type Page, toPage, UUID } from '../../platform/http/pagination.js'
import { appendToOutbox } from '../../platform/outbox/index.js'
import type { CreatorsService } from '../creators/index.js'
import { productCreated, productUpdated } from './events.js'
import type { CatalogRepository, ListOrder, ProductChanges } from './repository.js'
import { DEFAULT_CURRENCY, MAX_PAGE, MAX_VARIANTS, type ProductRow, type VariantRow } from './schema.js'

export interface Variant {
  variant_id: string
  sku: string
  name: string
}

export interface Product {
  product_id: string
  creator_id: string
  name: string
  description: string | null
  base_price: number
  currency: string
  category: string | null
  images_urls: string[]
  variants: Variant[]
  is_active: boolean
  created_at: string
  updated_at: string
}

/** What the drops module needs to validate and price drop items. */
export interface ProductForDrop {
  product_id: string
  creator_id: string
  name: string
  base_price: number
  currency: string
  is_active: boolean
  variants: { variant_id: string; sku: string; name: string }[]
}

export interface VariantInput {
  sku: string
  name: string
}

export interface NewProductInput {
  name: string
  description?: string | null
  base_price: number
  currency?: string
  category?: string | null
  images_urls?: string[]
  variants?: VariantInput[]
}

export interface ProductUpdateInput {
  name?: string
  description?: string | null
  base_price?: number
  currency?: string
  category?: string | null
  images_urls?: string[]
  is_active?: boolean
  variants?: VariantInput[]
}

export interface ProductListQuery {
  limit?: number
  cursor?: string
  page?: number
  creator_id?: string
  category?: string
  active_only?: boolean
  q?: string
}

export interface CatalogDepsInternal {
  repo: CatalogRepository
  cache: Cache
  creators: Pick<CreatorsService, 'byUser'>
}

export const productCacheKey = (productId: string) => `product:${productId}`
export const PRODUCT_CACHE_TTL_MS = 60_000
/** A creator's product list pages: kept as long as single products, dropped with any of its changes. */
const LIST_CACHE_TTL_MS = 60_000
/** Outlives every page cached under it; a lost generation only orphans pages. */
const LIST_GENERATION_TTL_MS = 3_600_000
const listGenerationKey = (creatorId: string) => `products:list-generation:${creatorId.toLowerCase()}`
const DEFAULT_VARIANT: VariantInput = { sku: 'default', name: 'Default' }
/** Ranked cursors carry an offset; this bounds the work a forged cursor can ask for. */
const MAX_OFFSET = MAX_PAGE * 100

/** One error per variant whose sku repeats an earlier one of the same list. */
export function duplicateSkus(variants: VariantInput[], path = 'body/variants'): FieldError[] {
  const seen = new Set<string>()
  const errors: FieldError[] = []
  variants.forEach((variant, i) => {
    if (seen.has(variant.sku))
      errors.push({ path: `${path}/${i}/sku`, message: 'repeats the sku of another variant' })
    seen.add(variant.sku)
  })
  return errors
}

/**
 * Merges requested variants into the existing ones by sku: known skus keep their variant id (drops
 * reference it) and are renamed when the name differs; unknown skus are appended after the last position.
 */
export function planVariants(
  existing: Pick<VariantRow, 'variantId' | 'sku' | 'name' | 'position'>[],
  requested: VariantInput[],
): {
  added: { sku: string; name: string; position: number }[]
  renamed: { variantId: string; name: string }[]
} {
  const bySku = new Map(existing.map((v) => [v.sku, v]))
  let next = existing.reduce((max, v) => Math.max(max, v.position), -1) + 1
  const added: { sku: string; name: string; position: number }[] = []
  const renamed: { variantId: string; name: string }[] = []
  for (const { sku, name } of requested) {
    const known = bySku.get(sku)
    if (!known) added.push({ sku, name, position: next++ })
    else if (known.name !== name) renamed.push({ variantId: known.variantId, name })
  }
  return { added, renamed }
}

const badCursor = () =>
  validationFailed([{ path: 'querystring/cursor', message: 'is not a cursor this list issued' }])

/**
 * Turns the list query into an order. Newest-first lists use keyset cursors [created_at, product_id];
 * ranked lists (with `q`) use [offset, bound], where the bound is the largest product id (UUIDv7, so a
 * time) the walk includes, fixed on its first page so products created meanwhile cannot shift the offsets.
 * `page` only sets the starting offset.
 */
export function listOrder(
  query: Pick<ProductListQuery, 'cursor' | 'page' | 'q'>,
  limit: number,
  newBound: () => string = uuidv7,
): ListOrder {
  if (query.page !== undefined && query.cursor !== undefined) {
    throw validationFailed([{ path: 'querystring/page', message: 'cannot be combined with cursor' }])
  }
  const pageOffset = query.page ? (query.page - 1) * limit : 0
  const q = query.q?.trim()
  if (q) {
    if (!query.cursor) return { kind: 'ranked', q, bound: newBound(), offset: pageOffset }
    const [offset, bound] = decodeCursor(query.cursor, ['number', 'uuid']) as [number, string]
    if (!Number.isInteger(offset) || offset < 0 || offset > MAX_OFFSET) throw badCursor()
    return { kind: 'ranked', q, bound, offset }
  }
  if (!query.cursor) return { kind: 'newest', offset: pageOffset }
  const [createdAt, productId] = decodeCursor(query.cursor, ['date', 'uuid']) as [string, string]
  return { kind: 'newest', after: { createdAt, productId }, offset: 0 }
}

function present(row: ProductRow, variants: VariantRow[]): Product {
  return {
    product_id: row.productId,
    creator_id: row.creatorId,
    name: row.name,
    description: row.description,
    base_price: row.basePrice,
    currency: row.currency,
    category: row.category,
    images_urls: row.imagesUrls,
    variants: variants.map((v) => ({ variant_id: v.variantId, sku: v.sku, name: v.name })),
    is_active: row.isActive,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  }
}

function groupByProduct(variants: VariantRow[]): Map<string, VariantRow[]> {
  const groups = new Map<string, VariantRow[]>()
  for (const variant of variants) {
    const group = groups.get(variant.productId)
    if (group) group.push(variant)
    else groups.set(variant.productId, [variant])
  }
  return groups
}

const trimmedOrNull = (text: string | null | undefined) => (text == null ? null : text.trim() || null)

export function catalogService({ repo, cache, creators }: CatalogDepsInternal) {
  async function load(productId: string): Promise<Product | undefined> {
    const [row] = await repo.findByIds([productId])
    return row && present(row, await repo.variantsOf([productId]))
  }

  /** Newest first, or by relevance when `q` is given; see `listOrder` for cursors and pages. */
  async function listFromDatabase(query: ProductListQuery): Promise<Page<Product>> {
    const limit = query.limit ?? 20
    const order = listOrder(query, limit)
    const rows = await repo.list(
      { creatorId: query.creator_id, category: query.category?.trim(), activeOnly: query.active_only },
      order,
      limit,
    )
    const page =
      order.kind === 'ranked'
        ? {
            items: rows.slice(0, limit),
            next_cursor: rows.length > limit ? encodeCursor([order.offset + limit, order.bound]) : null,
          }
        : toPage(
            rows,
            limit,
            (r) => [r.createdAt.toISOString(), r.productId],
            (r) => r,
          )
    const variants = groupByProduct(await repo.variantsOf(page.items.map((r) => r.productId)))
    return {
      items: page.items.map((row) => present(row, variants.get(row.productId) ?? [])),
      next_cursor: page.next_cursor,
    }
  }

  /** The token under which a creator's list pages are cached now; a change replaces it. */
  async function listGeneration(creatorId: string): Promise<string> {
    const key = listGenerationKey(creatorId)
    const current = await cache.get<string>(key)
    if (current !== undefined) return current
    const fresh = uuidv7()
    await cache.set(key, fresh, LIST_GENERATION_TTL_MS)
    return fresh
  }

  async function forgetLists(creatorId: string) {
    await cache.delete(listGenerationKey(creatorId))
  }

  return {
    /** Creates a product with its variants and its product.created event, for the caller's creator profile. */
    async create(userId: string, input: NewProductInput): Promise<Product> {
      const creator = await creators.byUser(userId)
      if (!creator) throw forbidden('Only creators can add products; become one with POST /api/v1/creators')
      const variants = (input.variants ?? [DEFAULT_VARIANT]).map((v) => ({ sku: v.sku, name: v.name.trim() }))
      const duplicates = duplicateSkus(variants)
      if (duplicates.length > 0) throw validationFailed(duplicates)

      const productId = uuidv7()
      const created = await repo.transaction(async (tx) => {
        const row = await repo.insertProduct(tx, {
          productId,
          creatorId: creator.creator_id,
          name: input.name.trim(),
          description: input.description ?? null,
          basePrice: input.base_price,
          currency: input.currency ?? DEFAULT_CURRENCY,
          category: trimmedOrNull(input.category),
          imagesUrls: input.images_urls ?? [],
          isActive: true,
        })
        const variantRows = await repo.insertVariants(
          tx,
          variants.map((v, position) => ({
            variantId: uuidv7(),
            productId,
            sku: v.sku,
            name: v.name,
            position,
          })),
        )
        const product = present(row, variantRows)
        await appendToOutbox(tx, [productCreated(product)])
        return product
      })
      // The product.created event does this in every process; here the new product shows at once.
      await forgetLists(created.creator_id).catch(() => {})
      return created
    },

    /** Served from the cache (TTL 60 s, dropped on every change). */
    async get(productId: string): Promise<Product> {
      const product = await readThrough(cache, productCacheKey(productId), PRODUCT_CACHE_TTL_MS, () =>
        load(productId),
      )
      if (!product) throw notFound('Product')
      return product
    },

    /**
     * Newest first, or by relevance when `q` is given; see `listOrder` for cursors and pages. A
     * creator's pages (what a drop's visitors open) are cached until that creator's products change.
     */
    async list(query: ProductListQuery): Promise<Page<Product>> {
      if (!query.creator_id || query.q !== undefined) return listFromDatabase(query)
      const { creator_id: creatorId, ...rest } = query
      const generation = await listGeneration(creatorId)
      const key = `products:list:${creatorId.toLowerCase()}:${generation}:${JSON.stringify(rest)}`
      return readThrough(cache, key, LIST_CACHE_TTL_MS, () => listFromDatabase(query))
    },

    /** Drops every cached list page of a creator (on product.created and product.updated). */
    forgetLists,

    /** Owner only. Applies the given fields and variant additions, and records product.updated, atomically. */
    async update(userId: string, productId: string, input: ProductUpdateInput): Promise<Product> {
      const requested = input.variants?.map((v) => ({ sku: v.sku, name: v.name.trim() }))
      const duplicates = requested ? duplicateSkus(requested) : []
      if (duplicates.length > 0) throw validationFailed(duplicates)
      const creator = await creators.byUser(userId)

      const changes: ProductChanges = {}
      if (input.name !== undefined) changes.name = input.name.trim()
      if (input.description !== undefined) changes.description = input.description
      if (input.base_price !== undefined) changes.basePrice = input.base_price
      if (input.currency !== undefined) changes.currency = input.currency
      if (input.category !== undefined) changes.category = trimmedOrNull(input.category)
      if (input.images_urls !== undefined) changes.imagesUrls = input.images_urls
      if (input.is_active !== undefined) changes.isActive = input.is_active

      const product = await repo.transaction(async (tx) => {
        const current = await repo.lockProduct(tx, productId)
        if (!current) throw notFound('Product')
        if (!creator || current.creatorId !== creator.creator_id) {
          throw forbidden('Only the creator of this product can change it')
        }
        const row = await repo.updateProduct(tx, productId, changes)
        let variants = await repo.variantsOf([productId], tx)
        if (requested) {
          const plan = planVariants(variants, requested)
          if (variants.length + plan.added.length > MAX_VARIANTS) {
            throw validationFailed([
              { path: 'body/variants', message: `a product has at most ${MAX_VARIANTS} variants` },
            ])
          }
          await repo.insertVariants(
            tx,
            plan.added.map((v) => ({ variantId: uuidv7(), productId, ...v })),
          )
          for (const { variantId, name } of plan.renamed) await repo.renameVariant(tx, variantId, name)
          if (plan.added.length + plan.renamed.length > 0) variants = await repo.variantsOf([productId], tx)
        }
        const updated = present(row, variants)
        await appendToOutbox(tx, [productUpdated(updated)])
        return updated
      })
      // The product.updated event drops the key again in every process; this makes the change visible
      // here at once, and a failure here is healed by that event.
      await cache.delete(productCacheKey(productId)).catch(() => {})
      await forgetLists(product.creator_id).catch(() => {})
      return product
    },

    /** Drops a product's cached read, e.g. on product.updated. */
    forget: (productId: string) => cache.delete(productCacheKey(productId)),

    /** Products by id with their variants in position order, read from the primary (for decisions). */
    async productsByIds(productIds: string[]): Promise<Map<string, ProductForDrop>> {
      // A malformed id names no product; it must not reach the uuid cast and fail the statement.
      const ids = [...new Set(productIds)].filter((id) => UUID.test(id))
      const [rows, variants] = await Promise.all([repo.findByIds(ids), repo.variantsOf(ids)])
      const byProduct = groupByProduct(variants)
      return new Map(
        rows.map((row) => [
          row.productId,
          {
            product_id: row.productId,
            creator_id: row.creatorId,
            name: row.name,
            base_price: row.basePrice,
            currency: row.currency,
            is_active: row.isActive,
            variants: (byProduct.get(row.productId) ?? []).map((v) => ({
              variant_id: v.variantId,
              sku: v.sku,
              name: v.name,
            })),
          },
        ]),
      )
    },
  }
}
export type CatalogService = ReturnType<typeof catalogService>
