import { useEffect, useRef, useState } from 'react'
import { useSearchParams } from 'react-router'
import { ProductCard } from '../components/ProductCard'
import { Empty, ErrorState, PageHeader, Skeleton } from '../components/ui'
import { useDebounced } from '../lib/debounce'
import { useProducts } from '../lib/queries'

export function SearchPage() {
  const [params, setParams] = useSearchParams()
  const query = params.get('q') ?? ''
  // The box holds what is typed; the address follows it (and the box follows the address when the
  // header's search box or back/forward changed it).
  const [text, setText] = useState(query)
  const input = useRef<HTMLInputElement>(null)
  useEffect(() => {
    if (document.activeElement !== input.current) setText(query)
  }, [query])
  const q = useDebounced(text.trim(), 150)
  const results = useProducts({ q: q || undefined, active_only: true, limit: 24 })
  const stale = results.isPlaceholderData || q !== text.trim()

  return (
    <>
      <PageHeader title="Search">Products from every creator; results update as you type.</PageHeader>
      <div className="field search-field">
        <label htmlFor="product-search">Search products</label>
        <input
          id="product-search"
          type="search"
          value={text}
          placeholder="Try “hoodie” or “vinyl”"
          autoComplete="off"
          ref={input}
          onChange={(event) => {
            setText(event.target.value)
            setParams(event.target.value ? { q: event.target.value } : {}, { replace: true })
          }}
        />
      </div>
      <div className={stale ? 'results results--stale' : 'results'} aria-live="polite" aria-busy={stale}>
        {results.isPending ? (
          <Skeleton rows={4} height={120} />
        ) : results.isError ? (
          <ErrorState error={results.error} onRetry={() => results.refetch()} />
        ) : results.data.items.length === 0 ? (
          <Empty title={q ? `Nothing matches “${q}”` : 'No products yet'}>
            {q ? 'Check the spelling or try a shorter word.' : null}
          </Empty>
        ) : (
          <>
            <p className="muted small">{q ? `Results for “${q}”` : 'Newest products'}</p>
            <div className="grid grid--products">
              {results.data.items.map((product) => (
                <ProductCard key={product.product_id} product={product} />
              ))}
            </div>
          </>
        )}
      </div>
    </>
  )
}
