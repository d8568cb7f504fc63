import { bigint, boolean, char, pgTable, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { Type } from 'typebox'
import { PageQuery, pageOf } from '../../platform/http/pagination.js'

// `search_vector` (a generated tsvector over name, category and description) is left out on purpose:
// nothing writes it and only the search SQL reads it.
export const products = pgTable('products', {
  productId: uuid('product_id').primaryKey(),
  creatorId: uuid('creator_id').notNull(),
  name: text('name').notNull(),
  description: text('description'),
  basePrice: bigint('base_price', { mode: 'number' }).notNull(),
  currency: char('currency', { length: 3 }).notNull(),
  category: text('category'),
  imagesUrls: text('images_urls').array().notNull(),
  isActive: boolean('is_active').notNull().default(true),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
})
export type ProductRow = typeof products.$inferSelect

export const productVariants = pgTable('product_variants', {
  variantId: uuid('variant_id').primaryKey(),
  productId: uuid('product_id').notNull(),
  sku: text('sku').notNull(),
  name: text('name').notNull(),
  position: smallint('position').notNull().default(0),
})
export type VariantRow = typeof productVariants.$inferSelect

/** Drops and orders reference variant ids, so a product's variant list only ever grows. */
export const MAX_VARIANTS = 100
export const DEFAULT_CURRENCY = 'USD'
/** The deepest `page` accepted; deeper walks use cursors. */
export const MAX_PAGE = 10_000

const Id = Type.String({ format: 'uuid' })
const Text = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, pattern: '\\S', ...(description ? { description } : {}) })
const Name = Text(200)
const Description = Type.Union([Type.String({ maxLength: 5000 }), Type.Null()])
const Category = Type.Union([Text(100), Type.Null()])
const Price = Type.Integer({
  minimum: 0,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'Integer minor units of `currency` (1999 = 19.99)',
})
const Currency = (extra: { default?: string } = {}) =>
  Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, upper case', ...extra })
const ImageUrl = Type.String({ format: 'uri', maxLength: 2048, pattern: '^https?://' })
const ImagesUrls = Type.Array(ImageUrl, {
  maxItems: 20,
  description: 'http(s) URLs; replaces the whole list',
})
const Sku = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^\\S(.*\\S)?$',
  description: 'Unique within the product; no leading or trailing spaces',
})
const VariantInput = Type.Object({ sku: Sku, name: Name }, { additionalProperties: false })

export const CreateProductBody = Type.Object(
  {
    name: Name,
    description: Type.Optional(Description),
    base_price: Price,
    currency: Type.Optional(Currency({ default: DEFAULT_CURRENCY })),
    category: Type.Optional(Category),
    images_urls: Type.Optional(ImagesUrls),
    variants: Type.Optional(
      Type.Array(VariantInput, {
        minItems: 1,
        maxItems: MAX_VARIANTS,
        description: "SKUs must be distinct. Omitted: one variant, sku 'default', name 'Default'.",
      }),
    ),
  },
  { additionalProperties: false },
)

export const UpdateProductBody = Type.Object(
  {
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    base_price: Type.Optional(Price),
    currency: Type.Optional(Currency()),
    category: Type.Optional(Category),
    images_urls: Type.Optional(ImagesUrls),
    is_active: Type.Optional(Type.Boolean()),
    variants: Type.Optional(
      Type.Array(VariantInput, {
        minItems: 1,
        maxItems: MAX_VARIANTS,
        description:
          'Merged by sku: a known sku keeps its variant_id (and takes the new name), a new sku is appended. ' +
          'Variants left out are kept, because drops reference them.',
      }),
    ),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'Partial update: only the given fields change.',
  },
)

export const VariantSchema = Type.Object({ variant_id: Id, sku: Type.String(), name: Type.String() })

export const ProductSchema = Type.Object({
  product_id: Id,
  creator_id: Id,
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  base_price: Type.Integer(),
  currency: Type.String(),
  category: Type.Union([Type.String(), Type.Null()]),
  images_urls: Type.Array(Type.String()),
  variants: Type.Array(VariantSchema, { description: 'In display order; ids never change' }),
  is_active: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
})

export const ProductIdParams = Type.Object({ product_id: Id })

export const ProductListQuery = Type.Object(
  {
    ...PageQuery,
    page: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_PAGE,
        description:
          '1-based offset convenience: skips (page - 1) * limit items. Not combinable with `cursor`. ' +
          'The answer carries a normal `next_cursor` that continues right after this page.',
      }),
    ),
    creator_id: Type.Optional(Id),
    category: Type.Optional(Text(100, 'Exact category, case-insensitive')),
    active_only: Type.Optional(Type.Boolean({ description: 'Only products with is_active = true' })),
    q: Type.Optional(
      Text(
        200,
        'Search: full-text over name, category and description, plus trigram similarity on the name so ' +
          'that misspellings still match. Results are ranked by relevance instead of newest first.',
      ),
    ),
  },
  { additionalProperties: false },
)

export const ProductPage = pageOf(ProductSchema)
