import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { Link, useNavigate } from 'react-router'
import {
  AddButton,
  Field,
  Form,
  FormActions,
  InputField,
  RemoveButton,
  SubmitButton,
  TextAreaField,
  useRows,
  useSubmit,
} from '../components/form'
import { PageHeader } from '../components/ui'
import { api } from '../lib/api'
import { parseMoney } from '../lib/format'
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
  const images = useRows<{ key: number; url: string }>([{ key: nextKey++, url: '' }])
  const variants = useRows<VariantRow>([])
  const form = useSubmit('Please check the form')

  async function submit(event: FormEvent) {
    event.preventDefault()
    const problems: string[] = []
    const basePrice = parseMoney(price, currency)
    if (basePrice === undefined) problems.push('Price must be an amount like 19.99')
    const urls = images.rows.map((i) => i.url.trim()).filter(Boolean)
    for (const url of urls)
      if (!/^https?:\/\/\S+$/.test(url)) problems.push(`“${url}” is not an http(s) image URL`)
    const variantRows = variants.rows.filter((v) => v.name.trim() || v.sku.trim())
    for (const [index, v] of variantRows.entries()) {
      if (!v.name.trim()) problems.push(`Variant ${index + 1} needs a name`)
    }
    const skus = variantRows.map((v) => v.sku.trim() || slug(v.name))
    if (new Set(skus).size !== skus.length) problems.push('Variant SKUs must be different')
    await form.run(problems, async () => {
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
    })
  }

  return (
    <div className="narrow">
      <PageHeader title="New product" eyebrow={<Link to="/studio">← Studio</Link>}>
        Products are what your drops sell. Each can come in variants, like sizes.
      </PageHeader>
      <Form state={form} onSubmit={submit}>
        <InputField id="product-name" label="Name" required maxLength={200} value={name} onValue={setName} />
        <TextAreaField
          id="product-description"
          label="Description"
          optional
          rows={3}
          maxLength={5000}
          value={description}
          onValue={setDescription}
        />
        <div className="field-row">
          <InputField
            id="product-price"
            label="Price"
            inputMode="decimal"
            required
            placeholder="19.99"
            value={price}
            onValue={setPrice}
          />
          <Field id="product-currency" label="Currency">
            <select id="product-currency" value={currency} onChange={(e) => setCurrency(e.target.value)}>
              {CURRENCIES.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </Field>
          <InputField
            id="product-category"
            label="Category"
            optional
            maxLength={100}
            value={category}
            onValue={setCategory}
          />
        </div>

        <fieldset className="fieldset">
          <legend>Images</legend>
          <p className="hint">Links to https images; the first one is the cover.</p>
          {images.rows.map((image, index) => (
            <div className="repeat-row" key={image.key}>
              <div className="thumb" aria-hidden="true">
                {/^https?:\/\/\S+$/.test(image.url) && <img src={image.url} alt="" />}
              </div>
              <InputField
                id={`image-${image.key}`}
                label={`Image URL ${index + 1}`}
                labelClassName="visually-hidden"
                className="field--grow"
                type="url"
                placeholder="https://…"
                value={image.url}
                onValue={(url) => images.update(image.key, { url })}
              />
              <RemoveButton label={`Remove image ${index + 1}`} onClick={() => images.remove(image.key)} />
            </div>
          ))}
          <AddButton
            disabled={images.rows.length >= 20}
            onClick={() => images.add({ key: nextKey++, url: '' })}
          >
            Add image
          </AddButton>
        </fieldset>

        <fieldset className="fieldset">
          <legend>Variants</legend>
          <p className="hint">
            Sizes or colours, each sold and stocked on its own. None: the product has one variant.
          </p>
          {variants.rows.map((variant, index) => (
            <div className="repeat-row" key={variant.key}>
              <InputField
                id={`variant-name-${variant.key}`}
                label={`Variant ${index + 1} name`}
                className="field--grow"
                placeholder="M"
                value={variant.name}
                onValue={(name) => variants.update(variant.key, { name })}
              />
              <InputField
                id={`variant-sku-${variant.key}`}
                label="SKU"
                optional
                className="field--grow"
                placeholder={slug(variant.name) || 'hoodie-m'}
                value={variant.sku}
                onValue={(sku) => variants.update(variant.key, { sku })}
              />
              <RemoveButton
                label={`Remove variant ${index + 1}`}
                onClick={() => variants.remove(variant.key)}
              />
            </div>
          ))}
          <AddButton onClick={() => variants.add({ key: nextKey++, name: '', sku: '' })}>
            Add variant
          </AddButton>
        </fieldset>

        <FormActions cancelTo="/studio">
          <SubmitButton busy={form.busy} busyLabel="Creating…">
            Create product
          </SubmitButton>
        </FormActions>
      </Form>
    </div>
  )
}
