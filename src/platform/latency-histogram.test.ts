import { Histogram, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { LatencyHistogram } from './latency-histogram.js'

const BOUNDS = [0.001, 0.01, 0.1, 1]

describe('LatencyHistogram', () => {
  it('is exposed exactly as prom-client exposes its own Histogram fed the same observations', async () => {
    const ours = new Registry()
    const theirs = new Registry()
    const fast = new LatencyHistogram('req_seconds', 'Request latency', BOUNDS, ours)
    const reference = new Histogram({
      name: 'req_seconds',
      help: 'Request latency',
      labelNames: ['method', 'route'],
      buckets: BOUNDS,
      registers: [theirs],
    })
    const observations: [Record<string, string>, number][] = [
      [{ method: 'GET', route: '/a' }, 0.0005],
      [{ method: 'GET', route: '/a' }, 0.001],
      [{ method: 'GET', route: '/a' }, 0.05],
      [{ method: 'GET', route: '/a' }, 7],
      [{ method: 'POST', route: '/b' }, 0.2],
      [{ method: 'POST', route: '/b' }, 0.01],
    ]
    for (const [labels, seconds] of observations) {
      fast.labels(labels).observe(seconds)
      reference.labels(labels).observe(seconds)
    }
    expect(await ours.metrics()).toBe(await theirs.metrics())
    // The JSON form too, but for prom-client's exemplar slots (no exemplars are kept here).
    const withoutExemplars = (metric: { values: object[] } | undefined) =>
      metric?.values.map((value) => ({ ...value, exemplar: undefined }))
    expect(withoutExemplars((await ours.getMetricsAsJSON())[0])).toEqual(
      withoutExemplars((await theirs.getMetricsAsJSON())[0]),
    )

    fast.reset()
    reference.reset()
    expect(await ours.metrics()).toBe(await theirs.metrics())
  })
})
