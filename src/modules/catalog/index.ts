import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { EventBus } from '../../platform/bus/index.js'
import type { Cache } from '../../platform/cache/index.js'
import type { Db } from '../../platform/db/index.js'
import type { Guards } from '../auth/index.js'
import type { CreatorsService } from '../creators/index.js'

export interface ProductForDrop {
  product_id: string
  creator_id: string
  name: string
  base_price: number
  currency: string
  is_active: boolean
  variants: { variant_id: string; sku: string; name: string }[]
}

export interface CatalogService {
  /** Products by id with their variants, for validating and pricing drop items. */
  productsByIds(productIds: string[]): Promise<Map<string, ProductForDrop>>
}

export interface CatalogDeps {
  db: Db
  cache: Cache
  bus: EventBus
  creators: Pick<CreatorsService, 'byUser'>
}

export function createCatalogModule(_deps: CatalogDeps): { service: CatalogService } {
  return {
    service: {
      async productsByIds() {
        throw new Error('catalog module not built yet')
      },
    },
  }
}

export const catalogRoutes: FastifyPluginAsyncTypebox<{ catalog: CatalogService; guards: Guards }> = async () => {}
