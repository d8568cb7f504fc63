import { useParams } from 'react-router'
import { DropCard } from '../components/DropCard'
import { FollowButton } from '../components/FollowButton'
import { ProductCard } from '../components/ProductCard'
import { Empty, ErrorState, Skeleton } from '../components/ui'
import { plural } from '../lib/format'
import { useCreator, useDrops, useProducts } from '../lib/queries'

export function CreatorPage() {
  const { creatorId = '' } = useParams()
  const creator = useCreator(creatorId)
  const drops = useDrops({ creator_id: creatorId, limit: 50 })
  const products = useProducts({ creator_id: creatorId, active_only: true, limit: 12 })

  if (creator.isPending) return <Skeleton rows={2} height={160} />
  if (creator.isError) return <ErrorState error={creator.error} onRetry={() => creator.refetch()} />
  const c = creator.data
  const order = { live: 0, scheduled: 1, ended: 2 } as const
  const sorted = [...(drops.data ?? [])].sort((a, b) => order[a.status] - order[b.status])

  return (
    <>
      <section className="creator-hero card">
        <div className="avatar avatar--large" aria-hidden="true">
          {c.profile_image_url ? <img src={c.profile_image_url} alt="" /> : c.creator_name.slice(0, 1)}
        </div>
        <div className="creator-hero__body">
          <h1>
            {c.creator_name}
            {c.is_verified && (
              <span className="verified" title="Verified creator">
                <span className="visually-hidden">Verified</span>
              </span>
            )}
          </h1>
          {c.bio && <p>{c.bio}</p>}
          <p className="creator-hero__stats">
            <span>
              <strong className="num" data-testid="follower-count">
                {c.follower_count.toLocaleString()}
              </strong>{' '}
              {c.follower_count === 1 ? 'follower' : 'followers'}
            </span>
            <span>{plural(c.total_drops, 'drop')}</span>
          </p>
        </div>
        <FollowButton creator={c} />
      </section>

      <section className="section" aria-labelledby="creator-drops">
        <div className="section__head">
          <h2 id="creator-drops">Drops</h2>
        </div>
        {drops.isPending ? (
          <Skeleton rows={2} height={200} />
        ) : drops.isError ? (
          <ErrorState error={drops.error} onRetry={() => drops.refetch()} />
        ) : sorted.length === 0 ? (
          <Empty title="No drops yet">Follow to hear the moment the first one goes live.</Empty>
        ) : (
          <div className="grid">
            {sorted.map((drop) => (
              <DropCard key={drop.drop_id} drop={drop} />
            ))}
          </div>
        )}
      </section>

      <section className="section" aria-labelledby="creator-products">
        <div className="section__head">
          <h2 id="creator-products">Products</h2>
        </div>
        {products.isPending ? (
          <Skeleton rows={2} height={120} />
        ) : products.isError ? (
          <ErrorState error={products.error} onRetry={() => products.refetch()} />
        ) : products.data.items.length === 0 ? (
          <Empty title="No products yet" />
        ) : (
          <div className="grid grid--products">
            {products.data.items.map((product) => (
              <ProductCard key={product.product_id} product={product} showCreator={false} />
            ))}
          </div>
        )}
      </section>
    </>
  )
}
