import type { Registry } from 'prom-client'

type Labels = Record<string, string>

interface Series {
  labels: Labels
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  counts: Float64Array
  sum: number
  count: number
}

/** A series of a LatencyHistogram: what a request's hook keeps to record its duration. */
export interface LatencySeries {
  observe(seconds: number): void
}

/**
 * A Prometheus histogram for the one observation every request makes, registered in and exposed by
 * prom-client's registry exactly as its own Histogram is. prom-client's observe converts, validates and
 * hashes the labels on every call, a measurable share of a small request; here each series is looked
 * up once and an observation is an increment.
 */
export class LatencyHistogram {
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  private readonly series = new Map<string, Series>()

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never)
  }

  /** The series of these labels; keep it rather than asking again per observation. */
  labels(labels: Labels): LatencySeries {
    const key = JSON.stringify(labels)
    let series = this.series.get(key)
    if (!series) {
      series = { labels, counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 }
      this.series.set(key, series)
    }
    const { bounds } = this
    const found = series
    return {
      observe(seconds) {
        let bucket = 0
        while (bucket < bounds.length && seconds > bounds[bucket]!) bucket++
        found.counts[bucket]! += 1
        found.sum += seconds
        found.count += 1
      },
    }
  }

  /**
   * The values as prom-client's Histogram gives them to its registry's text format: per series the
   * cumulative buckets, +Inf, sum and count, the series' labels kept apart as `sharedLabels`.
   */
  async getForPromString() {
    const values = [...this.series.values()].flatMap(({ labels: sharedLabels, counts, sum, count }) => {
      let cumulative = 0
      const bucket = `${this.name}_bucket`
      return [
        ...this.bounds.map((le, i) => {
          cumulative += counts[i]!
          return { labels: { le }, sharedLabels, value: cumulative, metricName: bucket }
        }),
        { labels: { le: '+Inf' }, sharedLabels, value: count, metricName: bucket },
        { labels: {}, sharedLabels, value: sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels, value: count, metricName: `${this.name}_count` },
      ]
    })
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator }
  }

  /** The same values with each series' labels merged in (the JSON form). */
  async get() {
    const metric = await this.getForPromString()
    const values = metric.values.map(({ labels, sharedLabels, ...rest }) => ({
      ...rest,
      labels: { ...labels, ...sharedLabels },
    }))
    return { ...metric, values }
  }

  reset() {
    this.series.clear()
  }
}
