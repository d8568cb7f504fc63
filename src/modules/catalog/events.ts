import type { OutboxEntry } from '../../platform/outbox/index.js'
import type { Product } from './service.js'

export const PRODUCT_CREATED = 'product.created'
export const PRODUCT_UPDATED = 'product.updated'

/** A product was created. Key: product_id; payload: the product exactly as the API returns it. */
export interface ProductCreatedEvent extends OutboxEntry<Product> {
  topic: typeof PRODUCT_CREATED
}

/** A product was changed by its owner. Key: product_id; payload: the product after the change. */
export interface ProductUpdatedEvent extends OutboxEntry<Product> {
  topic: typeof PRODUCT_UPDATED
}

export type CatalogEvent = ProductCreatedEvent | ProductUpdatedEvent

export const productCreated = (product: Product): ProductCreatedEvent => ({
  topic: PRODUCT_CREATED,
  key: product.product_id,
  payload: product,
})

export const productUpdated = (product: Product): ProductUpdatedEvent => ({
  topic: PRODUCT_UPDATED,
  key: product.product_id,
  payload: product,
})
