import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { client, register } from '../support/client.js'
import { shapes, startApp, type TestApp } from '../support/engines.js'
import {
  CHROMIUM,
  ensureWebBuild,
  fixtures,
  largestContentfulPaint,
  launchChromium,
  PASSWORD,
  screenshot,
  shopperJsSize,
} from './support.js'

const haveChromium = existsSync(CHROMIUM)
if (!haveChromium) {
  if (process.env.CI) throw new Error(`Chromium is required for the browser tests: ${CHROMIUM} is missing`)
  console.log(`\n[e2e] browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)\n`)
}

const SHOPPER_JS_BUDGET = 200 * 1024
const LCP_BUDGET_MS = 1_000

/** Where the chrome and the hero are on the page, to the pixel. */
const layoutOf = (page: Page) =>
  page.evaluate(() =>
    ['.site-header', '.brand', '.header-search input', '.site-nav a', '.hero h1', '.hero p'].map(
      (selector) => {
        const box = document.querySelector(selector)?.getBoundingClientRect()
        return (
          box && [
            selector,
            Math.round(box.x),
            Math.round(box.y),
            Math.round(box.width),
            Math.round(box.height),
          ]
        )
      },
    ),
  )

describe.skipIf(!haveChromium)('web app in Chromium [embedded]', () => {
  let server: TestApp
  let browser: Browser
  const api = () => client(server.url)
  const shop = fixtures(api)
  const contexts: BrowserContext[] = []

  async function newPage(viewport = { width: 1280, height: 860 }): Promise<Page> {
    const context = await browser.newContext({ viewport })
    contexts.push(context)
    const page = await context.newPage()
    page.on('pageerror', (error) => console.log(`[e2e] page error: ${error.message}`))
    return page
  }

  async function signUp(page: Page, username: string) {
    await page.goto(`${server.url}/signup`)
    await page.getByLabel('Email').fill(`${username}@example.test`)
    await page.getByLabel('Username').fill(username)
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByRole('button', { name: 'Sign out' }).waitFor()
  }

  async function signIn(page: Page, email: string) {
    await page.goto(`${server.url}/signin`)
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('button', { name: 'Sign out' }).waitFor()
  }

  /** The stock bar of the item whose name contains `name`, once it shows `available`. */
  const stockOf = (page: Page, name: string, available: number) =>
    page.locator('article.item', { hasText: name }).locator(`.stock[data-available="${available}"]`)

  beforeAll(async () => {
    ensureWebBuild()
    server = await startApp(shapes()[0]!)
    browser = await launchChromium()
  })

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {})
    await browser?.close()
    await server?.close()
  })

  it('keeps the shopper JavaScript under 200 KB gzipped', () => {
    const size = shopperJsSize()
    console.log(
      `[e2e] shopper JS ${(size.shopperGzip / 1024).toFixed(1)} KB gzipped (${size.files.join(', ')}); ` +
        `all JS incl. creator studio ${(size.allGzip / 1024).toFixed(1)} KB`,
    )
    expect(size.shopperGzip).toBeLessThanOrEqual(SHOPPER_JS_BUDGET)
  })

  it('serves the app at / with client routes, caching headers and API 404s intact', async () => {
    const home = await fetch(`${server.url}/`)
    expect(home.status).toBe(200)
    expect(home.headers.get('cache-control')).toBe('no-cache')
    const page = await home.text()
    expect(page).toContain('class="hero"')
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(page)?.[1]
    expect(asset).toBeDefined()
    const script = await fetch(`${server.url}${asset}`, { headers: { 'accept-encoding': 'gzip' } })
    expect(script.status).toBe(200)
    expect(script.headers.get('cache-control')).toContain('immutable')
    const html = { accept: 'text/html,application/xhtml+xml' }
    const deep = await fetch(`${server.url}/drops/${randomUUID()}`, { headers: html })
    expect(deep.status).toBe(200)
    expect(deep.headers.get('content-type')).toContain('text/html')
    expect(deep.headers.get('cache-control')).toBe('no-cache')
    expect(await deep.text()).not.toContain('class="hero"')
    for (const path of ['/api/v1/nothing-here', '/assets/missing.js', '/ws/nothing', '/docs/nothing']) {
      const reply = await fetch(`${server.url}${path}`, { headers: html })
      expect(reply.status, path).toBe(404)
      expect(reply.headers.get('content-type'), path).toContain('application/problem+json')
    }
    // A client that does not ask for a page gets the API's answer for an unknown route.
    const notPage = await fetch(`${server.url}/somewhere`)
    expect(notPage.status).toBe(404)
    expect((await notPage.json()).code).toBe('not_found')
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    expect((await fetch(`${server.url}/docs/json`)).status).toBe(200)
  })

  it('shopper: follows a creator, hears the drop start, buys, and sees stock move in another tab', async () => {
    const maker = await shop.creator(`Studio ${randomUUID().slice(0, 5)}`)
    const tee = await shop.product(maker.token, 'Starlight Tee')
    const username = `shopper_${randomUUID().slice(0, 8).replace(/-/g, '')}`

    const page = await newPage()
    await signUp(page, username)

    await page.goto(`${server.url}/creators/${maker.creatorId}`)
    await page.getByRole('heading', { name: maker.name }).waitFor()
    await page.getByRole('button', { name: 'Follow' }).click()
    await page.getByRole('button', { name: 'Following', pressed: true }).waitFor()
    await page.getByTestId('follower-count').getByText('1', { exact: true }).waitFor()
    await screenshot(page, 'creator')

    // The drop is scheduled after the follow, to start a few seconds later: the toast must come by itself.
    const dropName = `Midnight Capsule ${randomUUID().slice(0, 4)}`
    const drop = await shop.drop(maker.token, dropName, [{ product_id: tee.product_id, initial_stock: 10 }], {
      startsInMs: 4_000,
    })
    expect(drop.status).toBe('scheduled')
    const scheduledAt = Date.now()
    const toast = page.getByRole('article', { name: `Live now: ${dropName}` })
    await toast.waitFor({ timeout: 15_000 })
    console.log(
      `[e2e] drop.started toast ${Date.now() - scheduledAt} ms after scheduling (start was +4000 ms)`,
    )
    await screenshot(page, 'toast')

    // A second tab on the same drop, with its own socket.
    const watcher = await page.context().newPage()
    await watcher.goto(`${server.url}/drops/${drop.drop_id}`)
    await stockOf(watcher, 'Starlight Tee', 10).waitFor()

    await toast.getByRole('link', { name: 'Shop the drop' }).click()
    await page.waitForURL(`**/drops/${drop.drop_id}`)
    await stockOf(page, 'Starlight Tee', 10).waitFor()
    await screenshot(page, 'drop')
    await page.getByRole('button', { name: /Buy now/ }).click()
    await page.locator('.item__result').getByText('Order confirmed').waitFor()
    const boughtAt = Date.now()
    await stockOf(watcher, 'Starlight Tee', 9).waitFor({ timeout: 5_000 })
    console.log(`[e2e] the other tab's stock bar moved ${Date.now() - boughtAt} ms after the purchase`)
    await stockOf(page, 'Starlight Tee', 9).waitFor({ timeout: 5_000 })
    await screenshot(page, 'drop-bought')

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My orders' }).click()
    const order = page.locator('li.order', { hasText: dropName })
    await order.waitFor()
    await order.getByText('Confirmed').waitFor()
    await order.getByText('1 × Starlight Tee').waitFor()
    await screenshot(page, 'orders')
  })

  it('creator: creates a product and a drop, and the dashboard counts a sale', async () => {
    const page = await newPage()
    const username = `maker_${randomUUID().slice(0, 8).replace(/-/g, '')}`
    await signUp(page, username)

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Studio' }).click()
    await page.getByLabel('Creator name').fill('Atelier Test')
    await page.getByRole('button', { name: 'Become a creator' }).click()
    await page.getByRole('heading', { name: 'Atelier Test' }).waitFor()

    await page.getByRole('link', { name: 'New product' }).click()
    await page.getByLabel('Name', { exact: true }).fill('Field Jacket')
    await page.getByLabel('Description').fill('Waxed cotton, made to order.')
    await page.getByLabel('Price').fill('120.00')
    await page.getByLabel('Image URL 1').fill(`${server.url}/favicon.svg`)
    await page.getByRole('button', { name: 'Add variant' }).click()
    await page.getByLabel('Variant 1 name').fill('S')
    await page.getByRole('button', { name: 'Add variant' }).click()
    await page.getByLabel('Variant 2 name').fill('M')
    await screenshot(page, 'new-product')
    await page.getByRole('button', { name: 'Create product' }).click()
    await page.getByText('Product created').waitFor()

    await page.getByRole('link', { name: 'Schedule a drop' }).click()
    await page.getByLabel('Drop name').fill('Jacket Launch')
    await page.getByLabel('Start now').check()
    await page.getByLabel('Limit per person').fill('2')
    await page.getByLabel('Item 1 product').selectOption({ label: 'Field Jacket' })
    await page.getByLabel('Item 1 Variant').selectOption({ label: 'M' })
    await page.getByLabel('Item 1 Drop price').fill('99.00')
    await page.getByLabel('Item 1 Stock').fill('5')
    await screenshot(page, 'new-drop')
    await page.getByRole('button', { name: 'Start drop now' }).click()
    // The form itself is at /studio/drops/new: wait for the new drop's own page.
    await page.waitForURL(/\/studio\/drops\/[0-9a-f-]{36}$/)
    const dropId = page.url().split('/').pop()!

    const unitsSold = (n: number) =>
      page
        .locator('.stat', { hasText: 'Units sold' })
        .locator('.stat__value')
        .getByText(String(n), { exact: true })
    await unitsSold(0).waitFor()
    await page.getByText('No orders yet').waitFor()

    // A shopper buys over the API; the dashboard hears it live.
    const buyer = await register(api())
    const items = await api().get(`/api/v1/drops/${dropId}/items`)
    const bought = await shop.buy(buyer.access_token, dropId, items.body.items[0].product_id)
    expect(bought.status, JSON.stringify(bought.body)).toBe(201)
    await unitsSold(1).waitFor({ timeout: 5_000 })
    const row = page.locator(`tr[data-order-id="${bought.body.order_id}"]`)
    await row.waitFor({ timeout: 15_000 })
    await row.getByText('Confirmed').waitFor()
    await screenshot(page, 'dashboard')

    await row.getByRole('button', { name: 'Mark shipped' }).click()
    await row.getByText('Shipped').waitFor()
  })

  it('sold out, payment declined and limit reached each say so in words', async () => {
    const maker = await shop.creator()
    const last = await shop.product(maker.token, 'Last One Tee')
    const cap = await shop.product(maker.token, 'Plenty Cap')
    const drop = await shop.drop(
      maker.token,
      'Tiny Drop',
      [
        { product_id: last.product_id, initial_stock: 1 },
        { product_id: cap.product_id, initial_stock: 5 },
      ],
      { perUserLimit: 1 },
    )
    const shopper = await register(api())
    const rival = await register(api())

    // A tab whose live feed is cut: it still shows the last unit when someone else takes it.
    const stale = await newPage()
    await stale.routeWebSocket(/\/ws/, () => {})
    await signIn(stale, shopper.user.email)
    await stale.goto(`${server.url}/drops/${drop.drop_id}`)
    await stockOf(stale, 'Last One Tee', 1).waitFor()
    expect((await shop.buy(rival.access_token, drop.drop_id, last.product_id)).status).toBe(201)
    await stale
      .locator('article.item', { hasText: 'Last One Tee' })
      .getByRole('button', { name: /Buy now/ })
      .click()
    await stale
      .locator('article.item', { hasText: 'Last One Tee' })
      .getByRole('alert')
      .getByText('Sold out')
      .waitFor()
    await screenshot(stale, 'sold-out-answer')

    // A live tab shows it sold out without asking.
    const page = await stale.context().newPage()
    await page.goto(`${server.url}/drops/${drop.drop_id}`)
    const lastItem = page.locator('article.item', { hasText: 'Last One Tee' })
    await lastItem.getByRole('button', { name: 'Sold out' }).waitFor()
    expect(await lastItem.getByRole('button', { name: 'Sold out' }).isDisabled()).toBe(true)

    const capItem = page.locator('article.item', { hasText: 'Plenty Cap' })
    await page.getByLabel('Pay with').selectOption('tok_declined')
    await capItem.getByRole('button', { name: /Buy now/ }).click()
    await capItem.getByRole('alert').getByText('Payment declined').waitFor()
    await capItem.getByText('Nothing was charged').waitFor()
    await stockOf(page, 'Plenty Cap', 5).waitFor()
    await screenshot(page, 'declined')

    // The first answer is lost on the way back (the order was placed): the app retries with the same
    // Idempotency-Key and shows the one order. Keyboard only: focus the buy button and press Enter.
    const keys: string[] = []
    await page.route('**/api/v1/orders', async (route) => {
      keys.push(route.request().headers()['idempotency-key'] ?? '')
      if (keys.length === 1) {
        await route.fetch()
        return route.abort('connectionreset')
      }
      return route.continue()
    })
    await page.getByLabel('Pay with').selectOption('tok_visa')
    await capItem.getByRole('button', { name: /Buy now/ }).focus()
    await page.keyboard.press('Enter')
    await capItem.getByText('Order confirmed').waitFor()
    await page.unroute('**/api/v1/orders')
    expect(keys.length).toBeGreaterThanOrEqual(2)
    expect(new Set(keys).size).toBe(1)
    const mine = await api().get(`/api/v1/users/${shopper.user.user_id}/orders`, shopper.access_token)
    expect(mine.body.items.filter((o: { status: string }) => o.status === 'confirmed')).toHaveLength(1)
    await stockOf(page, 'Plenty Cap', 4).waitFor()
    await capItem.getByRole('button', { name: /Buy now/ }).click()
    await capItem.getByRole('alert').getByText('Limit reached').waitFor()
    await screenshot(page, 'limit-reached')
  })

  it('home page: live and upcoming drops, LCP under a second, phone layout', async () => {
    const maker = await shop.creator('Harbor Goods')
    const mug = await shop.product(maker.token, 'Harbor Mug')
    await shop.drop(maker.token, 'Harbor Morning Drop', [{ product_id: mug.product_id, initial_stock: 40 }])
    await shop.drop(maker.token, 'Harbor Evening Drop', [{ product_id: mug.product_id, initial_stock: 20 }], {
      startsInMs: 90 * 60_000,
    })

    // The static first paint (before any script) and the app must put the page in the same place.
    for (const viewport of [
      { width: 1280, height: 860 },
      { width: 390, height: 844 },
    ]) {
      const noScript = await newPage(viewport)
      await noScript.route('**/assets/*.js', (route) => route.abort())
      await noScript.goto(`${server.url}/`)
      const app = await newPage(viewport)
      await app.goto(`${server.url}/`)
      await app.locator('.drop-card').first().waitFor()
      expect(await layoutOf(app), `${viewport.width} px wide`).toEqual(await layoutOf(noScript))
      if (viewport.width < 500) await screenshot(noScript, 'first-paint-phone')
      await noScript.context().close()
      await app.context().close()
    }

    const samples: number[] = []
    let element = ''
    // One visit first (not counted) warms the server; each counted visit is a first visit for the browser.
    for (let run = -1; run < 5; run++) {
      // A fresh context each time: nothing cached, as for a first visit.
      const page = await newPage()
      await page.goto(`${server.url}/`, { waitUntil: 'load' })
      await page.locator('.drop-card', { hasText: 'Harbor Morning Drop' }).waitFor()
      const lcp = await largestContentfulPaint(page)
      if (run >= 0) samples.push(lcp.ms)
      element = lcp.element
      if (run === 0) {
        await page.locator('.drop-card', { hasText: 'Harbor Evening Drop' }).locator('.countdown').waitFor()
        await screenshot(page, 'home')
      }
      await page.context().close()
    }
    const median = [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!
    console.log(
      `[e2e] home page LCP on localhost: median ${median.toFixed(0)} ms ` +
        `(runs ${samples.map((s) => s.toFixed(0)).join(', ')} ms; element ${element})`,
    )
    expect(median).toBeLessThanOrEqual(LCP_BUDGET_MS)

    const phone = await newPage({ width: 390, height: 844 })
    await phone.goto(`${server.url}/`)
    await phone.locator('.drop-card', { hasText: 'Harbor Morning Drop' }).waitFor()
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(0)
    await screenshot(phone, 'home-phone')

    await phone.goto(`${server.url}/search`)
    await phone
      .getByLabel('Search products', { exact: true })
      .last()
      .pressSequentially('harbor', { delay: 40 })
    await phone.locator('.product-card', { hasText: 'Harbor Mug' }).waitFor()
    await screenshot(phone, 'search-phone')
  })
})
