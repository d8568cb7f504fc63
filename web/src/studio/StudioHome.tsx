import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { Link, useSearchParams } from 'react-router'
import { Form, InputField, SubmitButton, TextAreaField, useSubmit } from '../components/form'
import { ProductCard } from '../components/ProductCard'
import { DropStatusPill, Empty, ErrorState, Notice, PageHeader, Skeleton } from '../components/ui'
import { api, updateSessionUser } from '../lib/api'
import { plural, when } from '../lib/format'
import { keys, useDrops, useMyCreator, useProducts, useSession } from '../lib/queries'
import type { Creator, User } from '../lib/types'

function BecomeCreator() {
  const session = useSession()
  const client = useQueryClient()
  const [name, setName] = useState(session?.user.username ?? '')
  const [bio, setBio] = useState('')
  const form = useSubmit()

  async function submit(event: FormEvent) {
    event.preventDefault()
    await form.run([], async () => {
      const creator = await api.post<Creator>('/creators', {
        creator_name: name.trim(),
        bio: bio.trim() || undefined,
      })
      updateSessionUser(await api.get<User>('/me'))
      client.setQueryData(keys.myCreator(creator.user_id), creator)
    })
  }

  return (
    <div className="narrow">
      <PageHeader title="Become a creator">
        Sell limited drops to the people who follow you. Create products, schedule a drop, and watch it sell
        live.
      </PageHeader>
      <Form state={form} onSubmit={submit}>
        <InputField
          id="creator-name"
          label="Creator name"
          required
          maxLength={100}
          value={name}
          onValue={setName}
        />
        <TextAreaField
          id="creator-bio"
          label="Bio"
          optional
          rows={3}
          maxLength={500}
          value={bio}
          onValue={setBio}
        />
        <SubmitButton busy={form.busy} busyLabel="Creating…" disabled={!name.trim()}>
          Become a creator
        </SubmitButton>
      </Form>
    </div>
  )
}

function CreatorStudio({ creator }: { creator: Creator }) {
  const [params] = useSearchParams()
  const drops = useDrops({ creator_id: creator.creator_id, limit: 100 })
  const products = useProducts({ creator_id: creator.creator_id, limit: 100 })
  const order = { live: 0, scheduled: 1, ended: 2 } as const
  const sorted = [...(drops.data ?? [])].sort((a, b) => order[a.status] - order[b.status])

  return (
    <>
      <PageHeader
        title={creator.creator_name}
        eyebrow={
          <>
            Creator studio · <Link to={`/creators/${creator.creator_id}`}>View public page</Link>
          </>
        }
      >
        {plural(creator.follower_count, 'follower')} · {plural(creator.total_drops, 'drop')}
      </PageHeader>
      {params.get('created') === 'product' && (
        <Notice title="Product created">It’s ready to go into a drop.</Notice>
      )}
      <div className="actions">
        <Link className="button button--primary" to="/studio/drops/new">
          Schedule a drop
        </Link>
        <Link className="button button--secondary" to="/studio/products/new">
          New product
        </Link>
      </div>

      <section className="section" aria-labelledby="studio-drops">
        <div className="section__head">
          <h2 id="studio-drops">Your drops</h2>
        </div>
        {drops.isPending ? (
          <Skeleton rows={2} height={64} />
        ) : drops.isError ? (
          <ErrorState error={drops.error} onRetry={() => drops.refetch()} />
        ) : sorted.length === 0 ? (
          <Empty title="No drops yet">Create a product, then schedule your first drop.</Empty>
        ) : (
          <ul className="list">
            {sorted.map((drop) => (
              <li key={drop.drop_id} className="card list__row">
                <DropStatusPill status={drop.status} soldOut={drop.sold_out} />
                <div className="list__main">
                  <Link className="stretched" to={`/studio/drops/${drop.drop_id}`}>
                    {drop.name}
                  </Link>
                  <span className="muted small">
                    {drop.status === 'scheduled'
                      ? `Starts ${when(drop.start_time)}`
                      : `Started ${when(drop.start_time)}`}
                  </span>
                </div>
                <span className="num small">
                  {(drop.total_inventory - drop.remaining_inventory).toLocaleString()} /{' '}
                  {drop.total_inventory.toLocaleString()} sold
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="section" aria-labelledby="studio-products">
        <div className="section__head">
          <h2 id="studio-products">Your products</h2>
        </div>
        {products.isPending ? (
          <Skeleton rows={2} height={120} />
        ) : products.isError ? (
          <ErrorState error={products.error} onRetry={() => products.refetch()} />
        ) : products.data.items.length === 0 ? (
          <Empty
            title="No products yet"
            action={
              <Link className="button button--primary" to="/studio/products/new">
                Create a product
              </Link>
            }
          />
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

export function StudioHome() {
  const creator = useMyCreator()
  if (creator.isPending) return <Skeleton rows={3} height={80} />
  if (creator.isError) return <ErrorState error={creator.error} onRetry={() => creator.refetch()} />
  return creator.data ? <CreatorStudio creator={creator.data} /> : <BecomeCreator />
}
