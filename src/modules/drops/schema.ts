import { bigint, integer, pgTable, primaryKey, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { Type } from 'typebox'
import { PageQuery, pageOf } from '../../platform/http/pagination.js'

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 })

export const drops = pgTable('drops', {
  dropId: uuid('drop_id').primaryKey(),
  creatorId: uuid('creator_id').notNull(),
  name: text('name').notNull(),
  description: text('description'),
  status: text('status').$type<DropStatus>().notNull(),
  startTime: ts('start_time').notNull(),
  endTime: ts('end_time').notNull(),
  lowStockThreshold: integer('low_stock_threshold').notNull(),
  perUserLimit: integer('per_user_limit').notNull(),
  totalInventory: integer('total_inventory').notNull(),
  remainingInventory: integer('remaining_inventory').notNull(),
  stockVersion: bigint('stock_version', { mode: 'number' }).notNull().default(0),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
})
export type DropRow = typeof drops.$inferSelect

export const dropItems = pgTable(
  'drop_items',
  {
    dropId: uuid('drop_id').notNull(),
    productId: uuid('product_id').notNull(),
    variantId: uuid('variant_id').notNull(),
    position: smallint('position').notNull(),
    name: text('name').notNull(),
    dropPrice: bigint('drop_price', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    initialStock: integer('initial_stock').notNull(),
    currentStock: integer('current_stock').notNull(),
  },
  (t) => [primaryKey({ columns: [t.dropId, t.variantId] })],
)
export type DropItemRow = typeof dropItems.$inferSelect

export const dropPurchases = pgTable(
  'drop_purchases',
  {
    dropId: uuid('drop_id').notNull(),
    userId: uuid('user_id').notNull(),
    quantity: integer('quantity').notNull(),
  },
  (t) => [primaryKey({ columns: [t.dropId, t.userId] })],
)

export const DROP_STATUSES = ['scheduled', 'live', 'ended'] as const
export type DropStatus = (typeof DROP_STATUSES)[number]

const Id = Type.String({ format: 'uuid' })
const Status = Type.Union([Type.Literal('scheduled'), Type.Literal('live'), Type.Literal('ended')])
const Time = Type.String({ format: 'date-time' })
const Money = Type.Integer({ minimum: 0, maximum: 100_000_000_00 })

export const CreateDropBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 5000 }), Type.Null()])),
    start_time: Time,
    end_time: Time,
    low_stock_threshold: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 10 })),
    per_user_limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 1 })),
    items: Type.Array(
      Type.Object(
        {
          product_id: Id,
          variant_id: Type.Optional(Id),
          drop_price: Money,
          initial_stock: Type.Integer({ minimum: 0, maximum: 10_000_000 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 100 },
    ),
  },
  { additionalProperties: false },
)

export const UpdateDropBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' })),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 5000 }), Type.Null()])),
    start_time: Type.Optional(Time),
    end_time: Type.Optional(Time),
    low_stock_threshold: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    per_user_limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    status: Type.Optional(Type.Literal('ended')),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const DropSchema = Type.Object({
  drop_id: Id,
  creator_id: Id,
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  status: Status,
  start_time: Time,
  end_time: Time,
  total_inventory: Type.Integer(),
  remaining_inventory: Type.Integer(),
  sold_out: Type.Boolean(),
  low_stock_threshold: Type.Integer(),
  per_user_limit: Type.Integer(),
  created_at: Time,
  updated_at: Time,
})

export const DropItemsSchema = Type.Object({
  items: Type.Array(
    Type.Object({
      product_id: Id,
      variant_id: Id,
      name: Type.String(),
      drop_price: Type.Integer(),
      currency: Type.String(),
      initial_stock: Type.Integer(),
      current_stock: Type.Integer(),
    }),
  ),
})

export const InventorySchema = Type.Object({
  drop_id: Id,
  remaining_inventory: Type.Integer(),
  sold_out: Type.Boolean(),
  items: Type.Array(Type.Object({ product_id: Id, variant_id: Id, available: Type.Integer() })),
})

export const DropIdParams = Type.Object({ drop_id: Id })
export const DropListQuery = Type.Object(
  {
    ...PageQuery,
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    status: Type.Optional(Status),
    creator_id: Type.Optional(Id),
  },
  { additionalProperties: false },
)
export const DropPage = pageOf(DropSchema)
