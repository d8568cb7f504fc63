import { sequentialLatency } from './lib/load.js'
const C = '018f0000-0000-7000-8000-000000000001'
const cur = Buffer.from(JSON.stringify(['2024-01-01T00:29:10.000Z', 'ffffffff-ffff-ffff-ffff-ffffffffffff'])).toString('base64url')
for (let i = 0; i < 3; i++) {
  const r = await sequentialLatency({ url: 'http://127.0.0.1:3999', path: `/api/v1/creators/${C}/followers?limit=50&cursor=${cur}`, requests: 500, warmup: 50 })
  console.log('p50', r.p50.toFixed(2), 'p90', r.p90.toFixed(2), 'p99', r.p99.toFixed(2), 'max', r.max.toFixed(2))
}
