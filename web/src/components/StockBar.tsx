/**
 * Remaining stock as a bar of fixed size: the fill scales (no reflow) and the figures use tabular
 * digits in a reserved width, so live updates never move anything around them.
 */
export function StockBar({
  available,
  total,
  lowThreshold = 0,
  label = 'Stock left',
  compact = false,
}: {
  available: number
  total: number
  lowThreshold?: number
  label?: string
  compact?: boolean
}) {
  const shown = Math.max(0, Math.min(available, total))
  const ratio = total > 0 ? shown / total : 0
  const state = shown === 0 ? 'out' : shown <= lowThreshold ? 'low' : 'ok'
  const width = String(total.toLocaleString()).length
  return (
    <div className={`stock stock--${state}${compact ? ' stock--compact' : ''}`} data-available={shown}>
      <div className="stock__row">
        <span className="stock__count">
          <strong className="num" style={{ minWidth: `${width}ch` }}>
            {shown.toLocaleString()}
          </strong>{' '}
          of <span className="num">{total.toLocaleString()}</span> left
        </span>
        <span className="stock__flag" aria-hidden={state === 'ok'}>
          {state === 'out' ? 'Sold out' : state === 'low' ? 'Almost gone' : ''}
        </span>
      </div>
      <div
        className="stock__track"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={shown}
        aria-valuetext={`${shown} of ${total} left`}
      >
        <div className="stock__fill" style={{ transform: `scaleX(${ratio})` }} />
      </div>
    </div>
  )
}
