import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { Link, useNavigate } from 'react-router'
import { Alert, PageHeader } from '../components/ui'
import { api } from '../lib/api'
import { parseMoney } from '../lib/format'
import type { Described } from '../lib/problems'
import type { Product } from '../lib/types'

const CURRENCIES = ['USD', 'EUR', 'GBP', 'CAD', 'AUD', 'JPY']

interface VariantRow {
  key: number
  name: string
  sku: string
}

let nextKey = 1
const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')

export function NewProduct() {
  const navigate = useNavigate()
  const client = useQueryClient()
  const [name, setName] = useState('')
  const [description, setDescription] = useState('')
  const [price, setPrice] = useState('')
  const [currency, setCurrency] = useState('USD')
  const [category, setCategory] = useState('')
  const [images, setImages] = useState<{ key: number; url: string }[]>([{ key: nextKey++, url: '' }])
  const [variants, setVariants] = useState<VariantRow[]>([])
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()
  const [invalid, setInvalid] = useState<Described>()

  async function submit(event: FormEvent) {
    event.preventDefault()
    setError(undefined)
    const problems: string[] = []
    const basePrice = parseMoney(price, currency)
    if (basePrice === undefined) problems.push('Price must be an amount like 19.99')
    const urls = images.map((i) => i.url.trim()).filter(Boolean)
    for (const url of urls)
      if (!/^https?:\/\/\S+$/.test(url)) problems.push(`“${url}” is not an http(s) image URL`)
    const variantRows = variants.filter((v) => v.name.trim() || v.sku.trim())
    for (const [index, v] of variantRows.entries()) {
      if (!v.name.trim()) problems.push(`Variant ${index + 1} needs a name`)
    }
    const skus = variantRows.map((v) => v.sku.trim() || slug(v.name))
    if (new Set(skus).size !== skus.length) problems.push('Variant SKUs must be different')
    if (problems.length > 0) {
      setInvalid({
        title: 'Please check the form',
        detail: 'Some fields need a fix.',
        fields: problems,
        tone: 'error',
      })
      return
    }
    setInvalid(undefined)
    setBusy(true)
    try {
      await api.post<Product>('/products', {
        name: name.trim(),
        description: description.trim() || undefined,
        base_price: basePrice,
        currency,
        category: category.trim() || undefined,
        images_urls: urls,
        ...(variantRows.length > 0
          ? { variants: variantRows.map((v, i) => ({ name: v.name.trim(), sku: skus[i] })) }
          : {}),
      })
      await client.invalidateQueries({ queryKey: ['products'] })
      navigate('/studio?created=product')
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="narrow">
      <PageHeader title="New product" eyebrow={<Link to="/studio">← Studio</Link>}>
        Products are what your drops sell. Each can come in variants, like sizes.
      </PageHeader>
      <form className="card form" onSubmit={submit}>
        {invalid && <Alert described={invalid} />}
        {error !== undefined && <Alert error={error} />}
        <div className="field">
          <label htmlFor="product-name">Name</label>
          <input
            id="product-name"
            required
            maxLength={200}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="product-description">
            Description <span className="optional">optional</span>
          </label>
          <textarea
            id="product-description"
            rows={3}
            maxLength={5000}
            value={description}
            onChange={(e) => setDescription(e.target.value)}
          />
        </div>
        <div className="field-row">
          <div className="field">
            <label htmlFor="product-price">Price</label>
            <input
              id="product-price"
              inputMode="decimal"
              required
              placeholder="19.99"
              value={price}
              onChange={(e) => setPrice(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="product-currency">Currency</label>
            <select id="product-currency" value={currency} onChange={(e) => setCurrency(e.target.value)}>
              {CURRENCIES.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="product-category">
              Category <span className="optional">optional</span>
            </label>
            <input
              id="product-category"
              maxLength={100}
              value={category}
              onChange={(e) => setCategory(e.target.value)}
            />
          </div>
        </div>

        <fieldset className="fieldset">
          <legend>Images</legend>
          <p className="hint">Links to https images; the first one is the cover.</p>
          {images.map((image, index) => (
            <div className="repeat-row" key={image.key}>
              <div className="thumb" aria-hidden="true">
                {/^https?:\/\/\S+$/.test(image.url) && <img src={image.url} alt="" />}
              </div>
              <div className="field field--grow">
                <label htmlFor={`image-${image.key}`} className="visually-hidden">
                  Image URL {index + 1}
                </label>
                <input
                  id={`image-${image.key}`}
                  type="url"
                  placeholder="https://…"
                  value={image.url}
                  onChange={(e) =>
                    setImages((rows) =>
                      rows.map((r) => (r.key === image.key ? { ...r, url: e.target.value } : r)),
                    )
                  }
                />
              </div>
              <button
                type="button"
                className="button button--ghost"
                aria-label={`Remove image ${index + 1}`}
                onClick={() => setImages((rows) => rows.filter((r) => r.key !== image.key))}
              >
                Remove
              </button>
            </div>
          ))}
          <button
            type="button"
            className="button button--secondary"
            disabled={images.length >= 20}
            onClick={() => setImages((rows) => [...rows, { key: nextKey++, url: '' }])}
          >
            Add image
          </button>
        </fieldset>

        <fieldset className="fieldset">
          <legend>Variants</legend>
          <p className="hint">
            Sizes or colours, each sold and stocked on its own. None: the product has one variant.
          </p>
          {variants.map((variant, index) => (
            <div className="repeat-row" key={variant.key}>
              <div className="field field--grow">
                <label htmlFor={`variant-name-${variant.key}`}>Variant {index + 1} name</label>
                <input
                  id={`variant-name-${variant.key}`}
                  placeholder="M"
                  value={variant.name}
                  onChange={(e) =>
                    setVariants((rows) =>
                      rows.map((r) => (r.key === variant.key ? { ...r, name: e.target.value } : r)),
                    )
                  }
                />
              </div>
              <div className="field field--grow">
                <label htmlFor={`variant-sku-${variant.key}`}>
                  SKU <span className="optional">optional</span>
                </label>
                <input
                  id={`variant-sku-${variant.key}`}
                  placeholder={slug(variant.name) || 'hoodie-m'}
                  value={variant.sku}
                  onChange={(e) =>
                    setVariants((rows) =>
                      rows.map((r) => (r.key === variant.key ? { ...r, sku: e.target.value } : r)),
                    )
                  }
                />
              </div>
              <button
                type="button"
                className="button button--ghost"
                aria-label={`Remove variant ${index + 1}`}
                onClick={() => setVariants((rows) => rows.filter((r) => r.key !== variant.key))}
              >
                Remove
              </button>
            </div>
          ))}
          <button
            type="button"
            className="button button--secondary"
            onClick={() => setVariants((rows) => [...rows, { key: nextKey++, name: '', sku: '' }])}
          >
            Add variant
          </button>
        </fieldset>

        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create product'}
          </button>
          <Link className="button button--ghost" to="/studio">
            Cancel
          </Link>
        </div>
      </form>
    </div>
  )
}
