import type { EventBus } from '../../platform/bus/index.js'
import type { Cache } from '../../platform/cache/index.js'
import type { Db } from '../../platform/db/index.js'
import type { CreatorsService } from '../creators/index.js'
import { PRODUCT_CREATED, PRODUCT_UPDATED } from './events.js'
import { catalogRepository } from './repository.js'
import { type CatalogService, catalogService } from './service.js'

export {
  type CatalogEvent,
  PRODUCT_CREATED,
  PRODUCT_UPDATED,
  type ProductCreatedEvent,
  type ProductUpdatedEvent,
} from './events.js'
export { catalogRoutes } from './routes.js'
export type { CatalogService, Product, ProductForDrop, Variant } from './service.js'

export interface CatalogDeps {
  db: Db
  cache: Cache
  bus: EventBus
  creators: Pick<CreatorsService, 'byUser'>
}

export function createCatalogModule(deps: CatalogDeps): { service: CatalogService } {
  const service = catalogService({
    repo: catalogRepository(deps.db),
    cache: deps.cache,
    creators: deps.creators,
  })
  // Another process may have changed the product; its event is the signal to drop our cached copies.
  deps.bus.subscribe({ topics: [PRODUCT_UPDATED], handler: (event) => service.forget(event.key) })
  deps.bus.subscribe({
    topics: [PRODUCT_CREATED, PRODUCT_UPDATED],
    handler: (event) => service.forgetLists((event.payload as { creator_id: string }).creator_id),
  })
  return { service }
}
