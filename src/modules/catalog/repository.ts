import { asc, eq, inArray, type SQL, sql } from 'drizzle-orm'
import type { Db, Executor, Tx } from '../../platform/db/index.js'
import { type ProductRow, products, productVariants, type VariantRow } from './schema.js'

/**
 * Trigram thresholds on `word_similarity(query, lower(name))`. 0.5 lets one typo through in words of
 * five letters or more ("hodie" 0.63, "hoodei" 0.57 against "hoodie"); queries of one to three letters
 * have so few trigrams that 0.5 would pair unrelated words ("cap" and "cat"), so they must nearly match
 * a prefix.
 */
export const TRIGRAM_THRESHOLD = 0.5
export const SHORT_QUERY_TRIGRAM_THRESHOLD = 0.75
const SHORT_QUERY_LENGTH = 4

export interface ProductFilter {
  creatorId?: string
  category?: string
  activeOnly?: boolean
}

export type ListOrder =
  /** Newest first, keyset on (created_at, product_id), optionally after an offset (`page`). */
  | { kind: 'newest'; after?: { createdAt: string; productId: string }; offset: number }
  /** By relevance to `q`; products created after `bound` (a UUIDv7) are left out so offsets stay stable. */
  | { kind: 'ranked'; q: string; bound: string; offset: number }

export type NewProduct = Omit<ProductRow, 'createdAt' | 'updatedAt'>
export type ProductChanges = Partial<
  Pick<ProductRow, 'name' | 'description' | 'basePrice' | 'currency' | 'category' | 'imagesUrls' | 'isActive'>
>

export function trigramThreshold(q: string): number {
  return Array.from(q.trim()).length < SHORT_QUERY_LENGTH ? SHORT_QUERY_TRIGRAM_THRESHOLD : TRIGRAM_THRESHOLD
}

export function catalogRepository(db: Db) {
  return {
    /** Runs `work` in one primary transaction; the outbox rows it appends commit with it. */
    transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
      return db.primary.transaction(work)
    },

    async insertProduct(ex: Executor, row: NewProduct): Promise<ProductRow> {
      const [created] = await ex.insert(products).values(row).returning()
      return created!
    },

    async insertVariants(ex: Executor, rows: VariantRow[]): Promise<VariantRow[]> {
      if (rows.length === 0) return []
      return ex.insert(productVariants).values(rows).returning()
    },

    async renameVariant(ex: Executor, variantId: string, name: string): Promise<void> {
      await ex.update(productVariants).set({ name }).where(eq(productVariants.variantId, variantId))
    },

    /** The product row, locked until the transaction ends, so concurrent edits apply one after another. */
    async lockProduct(tx: Tx, productId: string): Promise<ProductRow | undefined> {
      const [row] = await tx.select().from(products).where(eq(products.productId, productId)).for('update')
      return row
    },

    async updateProduct(ex: Executor, productId: string, changes: ProductChanges): Promise<ProductRow> {
      const [row] = await ex
        .update(products)
        .set({ ...changes, updatedAt: sql`now()` })
        .where(eq(products.productId, productId))
        .returning()
      return row!
    },

    /** Reads the primary: callers decide with the answer, or cache it well past any replica lag. */
    async findByIds(productIds: string[], ex: Executor = db.primary): Promise<ProductRow[]> {
      if (productIds.length === 0) return []
      return ex.select().from(products).where(inArray(products.productId, productIds))
    },

    /** Variants of the given products, each product's in position order. */
    async variantsOf(productIds: string[], ex: Executor = db.primary): Promise<VariantRow[]> {
      if (productIds.length === 0) return []
      return ex
        .select()
        .from(productVariants)
        .where(inArray(productVariants.productId, productIds))
        .orderBy(
          asc(productVariants.productId),
          asc(productVariants.position),
          asc(productVariants.variantId),
        )
    },

    /** One page (limit + 1 rows, the extra one tells whether more follow) in the given order. */
    async list(filter: ProductFilter, order: ListOrder, limit: number): Promise<ProductRow[]> {
      const conditions: SQL[] = []
      if (filter.creatorId) conditions.push(sql`${products.creatorId} = ${filter.creatorId}::uuid`)
      if (filter.category) conditions.push(sql`lower(${products.category}) = lower(${filter.category})`)
      if (filter.activeOnly) conditions.push(sql`${products.isActive}`)

      const page = (ex: Executor, orderBy: SQL) =>
        ex
          .select()
          .from(products)
          .where(conditions.length > 0 ? sql.join(conditions, sql` AND `) : undefined)
          .orderBy(orderBy)
          .limit(limit + 1)
          .offset(order.offset)

      if (order.kind === 'newest') {
        if (order.after) {
          conditions.push(
            sql`(${products.createdAt}, ${products.productId}) < (${order.after.createdAt}::timestamptz, ${order.after.productId}::uuid)`,
          )
        }
        return page(db.reader, sql`${products.createdAt} DESC, ${products.productId} DESC`)
      }

      const query = sql`websearch_to_tsquery('simple', ${order.q})`
      const needle = order.q.toLowerCase()
      const nameSimilarity = sql`word_similarity(${needle}, lower(${products.name}))`
      conditions.push(sql`${products.productId} <= ${order.bound}::uuid`)
      // `<%` is word_similarity >= pg_trgm.word_similarity_threshold; as an operator (unlike the function)
      // it can use the trigram index, so with the full-text match both sides of the OR are index scans.
      conditions.push(sql`(search_vector @@ ${query} OR ${needle} <% lower(${products.name}))`)
      // Full-text rank rewards the words themselves (name over category over description); word
      // similarity carries typos; whole-name similarity puts "Hoodie" before "Black Hoodie Deluxe".
      const score = sql`(ts_rank(search_vector, ${query}) + ${nameSimilarity} + similarity(${needle}, lower(${products.name})))`
      // The threshold is a setting, and only a transaction scopes a setting to one statement's
      // connection; transactions run on the primary, which is the price of the index.
      return db.primary.transaction(
        async (tx) => {
          await tx.execute(
            sql`SELECT set_config('pg_trgm.word_similarity_threshold', ${String(trigramThreshold(order.q))}, true)`,
          )
          return page(tx, sql`${score} DESC, ${products.createdAt} DESC, ${products.productId} DESC`)
        },
        { accessMode: 'read only' },
      )
    },
  }
}
export type CatalogRepository = ReturnType<typeof catalogRepository>
