import { useEffect, useRef, useState } from 'react'

const HEIGHT = 180
const PAD = { top: 12, right: 8, bottom: 24, left: 32 }

/** A round axis top above `max`: 1, 2, 5, 10, 20, 50… */
function niceCeiling(max: number): number {
  if (max <= 1) return 1
  const power = 10 ** Math.floor(Math.log10(max))
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power
  return 10 * power
}

/** Orders per minute over the last `minutes`, as bars; the newest minute is on the right. */
export function OrdersChart({
  times,
  now,
  minutes = 30,
}: {
  times: number[]
  now: number
  minutes?: number
}) {
  // Drawn at the box's own pixel width, so text stays crisp and readable from phone to desktop.
  const box = useRef<HTMLElement>(null)
  const [width, setWidth] = useState(640)
  useEffect(() => {
    const element = box.current
    if (!element) return
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.max(240, Math.round(entry.contentRect.width)))
    })
    observer.observe(element)
    return () => observer.disconnect()
  }, [])
  const currentMinute = Math.floor(now / 60_000)
  const counts = new Array<number>(minutes).fill(0)
  for (const t of times) {
    const index = minutes - 1 - (currentMinute - Math.floor(t / 60_000))
    if (index >= 0 && index < minutes) counts[index]! += 1
  }
  const labelEvery = width < 480 ? minutes - 1 : Math.floor(minutes / 2)
  const top = niceCeiling(Math.max(...counts))
  const innerW = width - PAD.left - PAD.right
  const innerH = HEIGHT - PAD.top - PAD.bottom
  const slot = innerW / minutes
  const barW = Math.max(2, slot * 0.7)
  const y = (value: number) => PAD.top + innerH - (value / top) * innerH
  const total = counts.reduce((n, c) => n + c, 0)
  const peak = Math.max(...counts)

  return (
    <figure className="chart" ref={box}>
      <svg viewBox={`0 0 ${width} ${HEIGHT}`} role="img" aria-labelledby="chart-title chart-desc">
        <title id="chart-title">Orders per minute, last {minutes} minutes</title>
        <desc id="chart-desc">
          {total} orders in the last {minutes} minutes; at most {peak} in one minute; {counts[minutes - 1]}{' '}
          this minute.
        </desc>
        {[0, 0.5, 1].map((fraction) => (
          <g key={fraction}>
            <line
              className="chart__grid"
              x1={PAD.left}
              x2={width - PAD.right}
              y1={y(top * fraction)}
              y2={y(top * fraction)}
            />
            <text className="chart__label" x={PAD.left - 6} y={y(top * fraction) + 4} textAnchor="end">
              {Number.isInteger(top * fraction) ? top * fraction : ''}
            </text>
          </g>
        ))}
        {counts.map((count, i) => (
          <rect
            // biome-ignore lint/suspicious/noArrayIndexKey: one bar per minute slot, in a fixed order
            key={i}
            className={i === minutes - 1 ? 'chart__bar chart__bar--now' : 'chart__bar'}
            x={PAD.left + i * slot + (slot - barW) / 2}
            y={y(count)}
            width={barW}
            height={Math.max(0, PAD.top + innerH - y(count))}
            rx={2}
          />
        ))}
        {[...new Set([0, labelEvery, minutes - 1])].map((i) => (
          <text
            key={i}
            className="chart__label"
            x={PAD.left + i * slot + slot / 2}
            y={HEIGHT - 6}
            textAnchor={i === 0 ? 'start' : i === minutes - 1 ? 'end' : 'middle'}
          >
            {i === minutes - 1 ? 'now' : `−${minutes - 1 - i} min`}
          </text>
        ))}
      </svg>
    </figure>
  )
}
