import { bigint, integer, pgTable, primaryKey, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { Type } from 'typebox'
import { PageQuery, pageOf } from '../../platform/http/pagination.js'

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 })

export const ORDER_STATUSES = ['pending', 'confirmed', 'cancelled', 'expired', 'shipped'] as const
export type OrderStatus = (typeof ORDER_STATUSES)[number]

/** Partitioned by month on created_at (migrations/0007), hence the key (order_id, created_at). */
export const orders = pgTable(
  'orders',
  {
    orderId: uuid('order_id').notNull(),
    userId: uuid('user_id').notNull(),
    dropId: uuid('drop_id').notNull(),
    creatorId: uuid('creator_id').notNull(),
    status: text('status').$type<OrderStatus>().notNull(),
    totalAmount: bigint('total_amount', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    paymentId: text('payment_id'),
    holdExpiresAt: ts('hold_expires_at'),
    idempotencyKey: text('idempotency_key').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.createdAt] })],
)
export type OrderRow = typeof orders.$inferSelect

export const orderItems = pgTable(
  'order_items',
  {
    orderId: uuid('order_id').notNull(),
    position: smallint('position').notNull(),
    productId: uuid('product_id').notNull(),
    variantId: uuid('variant_id').notNull(),
    quantity: integer('quantity').notNull(),
    unitPrice: bigint('unit_price', { mode: 'number' }).notNull(),
    totalPrice: bigint('total_price', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.position] })],
)
export type OrderItemRow = typeof orderItems.$inferSelect

const Id = Type.String({ format: 'uuid' })
const Time = Type.String({ format: 'date-time' })
const Status = Type.Union([
  Type.Literal('pending'),
  Type.Literal('confirmed'),
  Type.Literal('cancelled'),
  Type.Literal('expired'),
  Type.Literal('shipped'),
])

export const CreateOrderBody = Type.Object(
  {
    drop_id: Id,
    items: Type.Array(
      Type.Object(
        {
          product_id: Id,
          variant_id: Type.Optional(Id),
          quantity: Type.Integer({ minimum: 1, maximum: 1000 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50 },
    ),
    payment: Type.Optional(
      Type.Object(
        { method: Type.Literal('card'), token: Type.String({ minLength: 1, maxLength: 255 }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)

export const OrderSchema = Type.Object({
  order_id: Id,
  user_id: Id,
  drop_id: Id,
  status: Status,
  items: Type.Array(
    Type.Object({
      product_id: Id,
      variant_id: Id,
      quantity: Type.Integer(),
      unit_price: Type.Integer(),
      total_price: Type.Integer(),
    }),
  ),
  total_amount: Type.Integer(),
  currency: Type.String(),
  hold_expires_at: Type.Union([Time, Type.Null()]),
  created_at: Time,
  updated_at: Time,
})

export const UpdateOrderBody = Type.Object(
  { status: Type.Union([Type.Literal('cancelled'), Type.Literal('shipped')]) },
  { additionalProperties: false },
)

export const HistorySchema = Type.Object({
  items: Type.Array(
    Type.Object({
      at: Time,
      from_status: Type.Union([Status, Type.Null()]),
      to_status: Status,
      actor: Type.String(),
      reason: Type.String(),
    }),
  ),
})

export const OrderIdParams = Type.Object({ order_id: Id })
export const UserIdParams = Type.Object({ user_id: Id })
export const DropIdParams = Type.Object({ drop_id: Id })
export const OrderListQuery = Type.Object(PageQuery, { additionalProperties: false })
export const OrderPage = pageOf(OrderSchema)
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ description: 'Required: 1 to 255 characters, unique per purchase attempt' }),
  ),
})
