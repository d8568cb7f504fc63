import { useInfiniteQuery } from '@tanstack/react-query'
import { useDeferredValue, useState } from 'react'
import { Link } from 'react-router'
import { Empty, ErrorState, PageHeader, Skeleton } from '../components/ui'
import { api, qs } from '../lib/api'
import { plural } from '../lib/format'
import type { Creator, Page } from '../lib/types'

export function CreatorsPage() {
  const [text, setText] = useState('')
  const q = useDeferredValue(text.trim())
  const creators = useInfiniteQuery({
    queryKey: ['creators', q],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<Creator>>(`/creators${qs({ q, limit: 24, cursor: pageParam })}`, signal),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    placeholderData: (previous) => previous,
  })
  const all = creators.data?.pages.flatMap((p) => p.items) ?? []

  return (
    <>
      <PageHeader title="Creators">Follow creators to hear the moment their drops go live.</PageHeader>
      <div className="field search-field">
        <label htmlFor="creator-search">Find a creator</label>
        <input
          id="creator-search"
          type="search"
          value={text}
          placeholder="Name"
          autoComplete="off"
          onChange={(event) => setText(event.target.value)}
        />
      </div>
      {creators.isPending ? (
        <Skeleton rows={4} height={72} />
      ) : creators.isError ? (
        <ErrorState error={creators.error} onRetry={() => creators.refetch()} />
      ) : all.length === 0 ? (
        <Empty title={q ? `No creator matches “${q}”` : 'No creators yet'} />
      ) : (
        <>
          <ul className="creator-list">
            {all.map((creator) => (
              <li key={creator.creator_id} className="card creator-row">
                <div className="avatar" aria-hidden="true">
                  {creator.creator_name.slice(0, 1)}
                </div>
                <div className="creator-row__body">
                  <Link className="stretched creator-row__name" to={`/creators/${creator.creator_id}`}>
                    {creator.creator_name}
                  </Link>
                  {creator.bio && <p className="muted small">{creator.bio}</p>}
                </div>
                <p className="muted small num">{plural(creator.follower_count, 'follower')}</p>
              </li>
            ))}
          </ul>
          {creators.hasNextPage && (
            <div className="more">
              <button
                type="button"
                className="button button--secondary"
                disabled={creators.isFetchingNextPage}
                onClick={() => creators.fetchNextPage()}
              >
                {creators.isFetchingNextPage ? 'Loading…' : 'Show more'}
              </button>
            </div>
          )}
        </>
      )}
    </>
  )
}
