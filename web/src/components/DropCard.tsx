import { Link } from 'react-router'
import { when } from '../lib/format'
import { useCreator, useInventory, useLiveDrop } from '../lib/queries'
import type { Drop } from '../lib/types'
import { Countdown } from './Countdown'
import { Cover } from './Cover'
import { StockBar } from './StockBar'
import { DropStatusPill } from './ui'

/** A drop in a grid: live ones show stock moving in real time, upcoming ones count down. */
export function DropCard({ drop }: { drop: Drop }) {
  useLiveDrop(drop.status === 'ended' ? undefined : drop.drop_id)
  const creator = useCreator(drop.creator_id)
  // Filled by the live socket's snapshot; no request per card.
  const inventory = useInventory(drop.drop_id, { fetch: false })
  const remaining = inventory.data?.remaining_inventory ?? drop.remaining_inventory
  return (
    <article className="card drop-card" data-drop-id={drop.drop_id}>
      <Cover id={drop.drop_id} label={drop.name} className="drop-card__cover" />
      <div className="drop-card__body">
        <div className="drop-card__meta">
          <DropStatusPill status={drop.status} soldOut={remaining === 0} />
          {creator.data ? (
            <Link className="drop-card__creator" to={`/creators/${drop.creator_id}`}>
              {creator.data.creator_name}
            </Link>
          ) : (
            <span className="drop-card__creator drop-card__creator--loading" />
          )}
        </div>
        <h3 className="drop-card__title">
          <Link className="stretched" to={`/drops/${drop.drop_id}`}>
            {drop.name}
          </Link>
        </h3>
        {drop.status === 'scheduled' ? (
          <div className="drop-card__starts">
            <span>Starts in</span>
            <Countdown to={drop.start_time} className="countdown--large" />
            <span className="muted small">{when(drop.start_time)}</span>
          </div>
        ) : drop.status === 'live' ? (
          <StockBar
            available={remaining}
            total={drop.total_inventory}
            lowThreshold={drop.low_stock_threshold}
            compact
          />
        ) : (
          <p className="muted small">Ended {when(drop.end_time)}</p>
        )}
      </div>
    </article>
  )
}
