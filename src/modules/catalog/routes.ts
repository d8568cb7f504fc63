import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type Guards, principalOf } from '../auth/index.js'
import {
  CreateProductBody,
  ProductIdParams,
  ProductListQuery,
  ProductPage,
  ProductSchema,
  UpdateProductBody,
} from './schema.js'
import type { CatalogService } from './service.js'

const tags = ['catalog']
const security = [{ bearer: [] }]

const LIST_DESCRIPTION = `Without \`q\`: newest first, ordered by (created_at, product_id) descending; \`next_cursor\` is a
keyset cursor, so walking every page yields every product exactly once even while products are added.

With \`q\`: ranked by relevance (full-text rank over name, category and description, plus trigram
similarity of the name, so "hodie" finds "Hoodie"); ties go newest first. The cursor of a ranked list
encodes an offset and the moment the walk began: products created after the first page are left out of
that walk, so offsets never shift.

\`page\` (1-based) skips (page - 1) * limit items and cannot be combined with \`cursor\`. Its answer carries a
regular \`next_cursor\` (or null at the end) that continues right after that page.`

export const catalogRoutes: FastifyPluginAsyncTypebox<{ catalog: CatalogService; guards: Guards }> = async (
  app,
  { catalog, guards },
) => {
  app.post(
    '/products',
    {
      preHandler: guards.required,
      schema: {
        tags,
        security,
        summary: 'Create a product (creators only)',
        description:
          'The caller must have a creator profile (403 `forbidden` otherwise). Without `variants` one ' +
          "default variant is made (sku 'default', name 'Default').",
        body: CreateProductBody,
        response: { 201: ProductSchema },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await catalog.create(principalOf(request).userId, request.body)),
  )
  app.get(
    '/products',
    {
      schema: {
        tags,
        summary: 'List or search products',
        description: LIST_DESCRIPTION,
        querystring: ProductListQuery,
        response: { 200: ProductPage },
      },
    },
    async (request) => catalog.list(request.query),
  )
  app.get(
    '/products/:product_id',
    {
      schema: {
        tags,
        summary: 'Get a product with its variants',
        params: ProductIdParams,
        response: { 200: ProductSchema },
      },
    },
    async (request) => catalog.get(request.params.product_id),
  )
  app.put(
    '/products/:product_id',
    {
      preHandler: guards.required,
      schema: {
        tags,
        security,
        summary: 'Update a product (its creator only)',
        description:
          'Partial update: only the given fields change. Variants are merged by sku; existing variant ids ' +
          'never change.',
        params: ProductIdParams,
        body: UpdateProductBody,
        response: { 200: ProductSchema },
      },
    },
    async (request) => catalog.update(principalOf(request).userId, request.params.product_id, request.body),
  )
}
