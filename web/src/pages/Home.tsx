import { Link } from 'react-router'
import { DropCard } from '../components/DropCard'
import { Empty, ErrorState, Skeleton } from '../components/ui'
import { useDrops, useSession } from '../lib/queries'

/** The hero's words; index.html paints the same before the script runs (keep them in step). */
function HeroText() {
  return (
    <div className="hero__text">
      <h1>Limited drops, live.</h1>
      <p>
        Follow the creators you love, hear the second their drop goes live, and check out before it sells out.
        Stock on this page moves in real time.
      </p>
    </div>
  )
}

export function Home() {
  const session = useSession()
  const liveDrops = useDrops({ status: 'live' })
  const upcoming = useDrops({ status: 'scheduled' })
  const soon = upcoming.data
    ? [...upcoming.data].sort((a, b) => a.start_time.localeCompare(b.start_time))
    : []

  return (
    <>
      <section className="hero">
        <HeroText />
        {!session && (
          <div className="hero__actions">
            <Link className="button button--primary button--large" to="/signup">
              Create an account
            </Link>
            <Link className="button button--secondary button--large" to="/creators">
              Browse creators
            </Link>
          </div>
        )}
      </section>

      <section className="section" aria-labelledby="live-heading">
        <div className="section__head">
          <h2 id="live-heading">
            <span className="pulse pulse--inline" aria-hidden="true" /> Live now
          </h2>
        </div>
        {liveDrops.isPending ? (
          <Skeleton rows={3} height={220} />
        ) : liveDrops.isError ? (
          <ErrorState error={liveDrops.error} onRetry={() => liveDrops.refetch()} />
        ) : liveDrops.data.length === 0 ? (
          <Empty title="No drops are live right now">
            Upcoming drops are below. Follow their creators and we’ll tell you the moment one starts.
          </Empty>
        ) : (
          <div className="grid">
            {liveDrops.data.map((drop) => (
              <DropCard key={drop.drop_id} drop={drop} />
            ))}
          </div>
        )}
      </section>

      <section className="section" aria-labelledby="soon-heading">
        <div className="section__head">
          <h2 id="soon-heading">Starting soon</h2>
        </div>
        {upcoming.isPending ? (
          <Skeleton rows={3} height={220} />
        ) : upcoming.isError ? (
          <ErrorState error={upcoming.error} onRetry={() => upcoming.refetch()} />
        ) : soon.length === 0 ? (
          <Empty title="Nothing scheduled yet">Creators schedule drops from their studio.</Empty>
        ) : (
          <div className="grid">
            {soon.map((drop) => (
              <DropCard key={drop.drop_id} drop={drop} />
            ))}
          </div>
        )}
      </section>
    </>
  )
}
