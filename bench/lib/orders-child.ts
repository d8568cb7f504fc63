// Child process: order load against the api in its own process, so a benchmark's parent (and its
// WebSocket generators) keep their event loops to themselves. `run` sends one POST /api/v1/orders per
// token, each with its own Idempotency-Key, buying `quantity` of one product of one drop.
import type { RequestSpec } from 'autocannon'
import { serveParent } from './child.js'
import { load } from './load.js'

const parent = serveParent(
  async (request) => {
    if (request.type !== 'run') throw new Error(`unknown request ${request.type}`)
    const tokens = request.tokens as string[]
    const body = JSON.stringify({
      drop_id: request.dropId,
      items: [{ product_id: request.productId, quantity: Number(request.quantity ?? 1) }],
    })
    let built = 0
    const started = Date.now()
    const result = await load({
      url: String(request.url),
      connections: Number(request.connections ?? 64),
      amount: tokens.length,
      method: 'POST',
      path: '/api/v1/orders',
      body,
      // autocannon may build a request ahead per connection: those reuse tokens with keys of their own.
      setupRequest: (spec: RequestSpec) => {
        const i = built++
        return {
          ...spec,
          method: 'POST',
          path: '/api/v1/orders',
          body,
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${tokens[i % tokens.length]}`,
            'idempotency-key': `${request.keyPrefix ?? 'k'}${i}`,
          },
        }
      },
    })
    return { ...result, startedAt: started, finishedAt: Date.now(), built }
  },
  async () => {},
)
parent.ready('orders')
