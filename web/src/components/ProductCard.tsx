import { useState } from 'react'
import { Link } from 'react-router'
import { money } from '../lib/format'
import { useCreator } from '../lib/queries'
import type { Product } from '../lib/types'
import { Cover } from './Cover'

/** A product; with `showCreator`, it links to its creator's page (where its drops are). */
export function ProductCard({ product, showCreator = true }: { product: Product; showCreator?: boolean }) {
  const creator = useCreator(showCreator ? product.creator_id : undefined)
  const [broken, setBroken] = useState(false)
  const image = product.images_urls[0]
  return (
    <article className="card product-card" data-product-id={product.product_id}>
      <div className="product-card__image">
        {image && !broken ? (
          <img src={image} alt="" loading="lazy" decoding="async" onError={() => setBroken(true)} />
        ) : (
          <Cover id={product.product_id} label={product.name} />
        )}
      </div>
      <div className="product-card__body">
        <h3 className="product-card__name">
          {showCreator ? (
            <Link className="stretched" to={`/creators/${product.creator_id}`}>
              {product.name}
            </Link>
          ) : (
            product.name
          )}
        </h3>
        <p className="product-card__meta">
          <span className="num">{money(product.base_price, product.currency)}</span>
          {product.category && <span className="muted">{product.category}</span>}
        </p>
        {showCreator && (
          <p className="muted small">{creator.data ? `by ${creator.data.creator_name}` : '\u00a0'}</p>
        )}
        {product.variants.length > 1 && (
          <p className="muted small">{product.variants.map((v) => v.name).join(' · ')}</p>
        )}
      </div>
    </article>
  )
}
