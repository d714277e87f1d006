/**
 * The dashboard in real headless Chromium against a real requester (manual approval) and a real
 * Node compute node, all in this process's loopback-only namespace:
 * - every route is a real URL (deep links load on their own), unknown paths get a 404 page,
 *   `/?label=…` bookmarks reach /contribute;
 * - /nodes shows the pending compute node; Approve on the page approves it;
 * - a contribute tab opened in another tab appears on /nodes without a reload;
 * - a job submitted by the CLI appears on /jobs without a reload;
 * - /submit: a WASM file picked becomes an inline input, validation names field paths,
 *   dry run, submit, then /jobs/<id> reaches Completed with its logs;
 * - Stop on a long job's page stops it.
 * Prints one JSON line of findings.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { startRequesterServer } from '../../../node-runner/src/serve/requester-server.ts'
import { startComputeServer } from '../../../node-runner/src/serve/compute-server.ts'
import { preferredDialOrder, serverLogger } from '../../../node-runner/src/serve/run-serve.ts'
import { WEB_DIST_DIR } from '../../../node-runner/src/serve/web-root.ts'
import { openHeadlessTabs } from '../../../node-runner/src/browsers/index.ts'
import { ensureWebBuilt, fail, FIXTURES, log, report, shoalOk, watchTab } from './scenario-kit.ts'

/** Marks a page so a later check can tell it was not reloaded. */
const mark = (page: Page) => page.evaluate(() => ((window as unknown as { __mark: number }).__mark = 42))
const stillMarked = (page: Page) => page.evaluate(() => (window as unknown as { __mark?: number }).__mark === 42)

try {
  ensureWebBuilt()
  const logger = serverLogger({ ...process.env, SHOAL_LOG_LEVEL: 'warn' })
  const dataDir = await mkdtemp(join(tmpdir(), 'shoal-dashboard-'))
  const requester = await startRequesterServer({ dataDir: join(dataDir, 'requester'), host: '127.0.0.1', port: 0, webRoot: WEB_DIST_DIR, manualApproval: true, logger })
  const api = requester.url
  const compute = await startComputeServer({
    dataDir: join(dataDir, 'compute'),
    requesterAddresses: preferredDialOrder(requester.multiaddrs),
    host: '127.0.0.1',
    labels: { name: 'compute-0' },
    capacityCpu: '2',
    capacityMemory: '2Gi',
    workers: 2,
    docker: 'false',
    logger,
  })
  const computeId = compute.nodeId
  const tabs = await openHeadlessTabs({ url: `${api}/`, count: 0, namespaceOk: false })
  try {
    // 1. Routes as real URLs.
    const statusOf = async (path: string) => {
      const res = await fetch(`${api}${path}`, { redirect: 'manual' })
      const body = await res.text()
      return { path, status: res.status, location: res.headers.get('location'), dashboard: body.includes('id="app"'), contribute: body.includes('data-bind="slider"') }
    }
    const routes = await Promise.all(['/', '/jobs', '/jobs/j-does-not-exist', '/nodes', `/nodes/${computeId}`, '/submit', '/contribute', '/nope', '/jobs/a/b', '/?label=tab=a'].map(statusOf))
    const page = await tabs.context.newPage()
    watchTab(page, 'dashboard')
    // A deep link loads on its own and shows the route, not the landing page.
    await page.goto(`${api}/nodes/${computeId}`)
    await page.waitForSelector('dd .badge')
    await page.locator('[data-bind="inspect"] summary').click()
    const inspected = JSON.parse((await page.locator('[data-bind="inspect"] pre').textContent()) ?? '{}') as { Info?: { NodeID?: string } }
    const deepLink = { heading: await page.locator('h1').textContent(), title: await page.title(), inspectedId: inspected.Info?.NodeID, text: await page.locator('main').textContent() }
    await page.goto(`${api}/nope`)
    const notFound = { heading: await page.locator('h1').textContent() }
    await page.goto(`${api}/`)
    await page.waitForSelector('[data-bind="nodes-online"]')
    await page.waitForSelector('[data-bind="live"][data-status="live"]')
    const landing = { live: await page.locator('[data-bind="live"]').textContent(), text: await page.locator('main').textContent(), contributeHref: await page.locator('a', { hasText: 'Contribute this tab' }).getAttribute('href'), charts: await page.locator('svg.chart').count() }
    log('routes checked')

    // 2. /nodes: the pending compute node; Approve on the page.
    await page.click('nav a[href="/nodes"]')
    const row = page.locator(`tr[data-node-id="${computeId}"]`)
    await row.waitFor()
    const pendingBefore = await row.locator('td').nth(4).textContent()
    await mark(page)
    await row.locator('[data-action="approve"]').click()
    await page.waitForFunction((id) => document.querySelector(`tr[data-node-id="${id}"] td:nth-child(5)`)?.textContent === 'APPROVED', computeId, { timeout: 20_000 })
    const listed = await requester.requester.listNodes()
    const approved = { before: pendingBefore, api: listed.find((n) => n.Info.NodeID === computeId)?.Membership, noReload: await stillMarked(page) }
    log('compute node approved from the page')

    // 3. A contribute tab opened in another tab appears on /nodes without a reload.
    const browsersBefore = await page.locator('tr[data-runtime="browser"]').count()
    const tab = await tabs.context.newPage()
    watchTab(tab, 'contribute')
    await tab.goto(`${api}/contribute`)
    await page.locator('tr[data-runtime="browser"]').first().waitFor({ timeout: 30_000 })
    const tabAppears = { before: browsersBefore, after: await page.locator('tr[data-runtime="browser"]').count(), noReload: await stillMarked(page), url: tab.url() }
    await tab.close()
    log('contribute tab appeared on /nodes')

    // 4. A job submitted by the CLI appears on /jobs without a reload.
    await page.click('nav a[href="/jobs"]')
    await page.waitForSelector('[role="status"]:has-text("job")')
    await mark(page)
    const cliJob = (await shoalOk(api, ['wasm', 'run', join(FIXTURES, 'hello.wasm'), '--id-only', '--no-wait'])).trim().split('\n').at(-1)!.trim()
    await page.locator(`tr[data-job-id="${cliJob}"]`).waitFor({ timeout: 20_000 })
    const cliAppears = { jobId: cliJob, noReload: await stillMarked(page), url: page.url() }
    log(`CLI job ${cliJob} appeared on /jobs`)

    // 5. /submit: template, a wasm file that becomes an inline input, validation, dry run, submit.
    await page.click('nav a[href="/submit"]')
    const editor = page.locator('[data-bind="editor"]')
    await editor.waitFor()
    const templateIssues = await page.locator('[data-bind="issues"] li').allTextContents()
    await page.setInputFiles('[data-bind="wasm-file"]', join(FIXTURES, 'hello.wasm'))
    await page.waitForFunction(() => document.querySelector('[data-bind="editor"]')?.matches('textarea') && (document.querySelector('[data-bind="editor"]') as HTMLTextAreaElement).value.includes('data:application/wasm;base64,'))
    await page.waitForSelector('[data-bind="issues"] li.ok')
    // A mistake is named by its field path as it is typed, then fixed.
    const spec = await editor.inputValue()
    await editor.fill(spec.replace('"Count": 1', '"Count": -3'))
    await page.waitForSelector('[data-bind="issues"] li.error')
    const typedIssues = await page.locator('[data-bind="issues"] li.error').allTextContents()
    const issuePaths = await page.locator('[data-bind="issues"] li.error').evaluateAll((items) => items.map((i) => i.getAttribute('data-path')))
    await editor.fill(spec)
    await page.waitForSelector('[data-bind="issues"] li.ok')
    await page.click('[data-action="dry-run"]')
    await page.waitForFunction(() => /Dry run/.test(document.querySelector('[data-bind="outcome"]')?.textContent ?? ''))
    const dryRun = await page.locator('[data-bind="outcome"]').textContent()
    const countJobs = async () => ((await (await fetch(`${api}/api/v1/orchestrator/jobs?namespace=*&limit=100`)).json()) as { Items: unknown[] }).Items.length
    const jobsBeforeSubmit = await countJobs()
    await page.click('[data-action="submit"]')
    await page.waitForURL(/\/jobs\/j-/)
    const submittedId = decodeURIComponent(page.url().split('/jobs/')[1])
    await page.waitForSelector('h1 [data-state="Completed"]', { timeout: 60_000 })
    await page.waitForFunction(() => (document.querySelector('[data-bind="logs"]')?.textContent ?? '').includes('hello from wasm'), undefined, { timeout: 20_000 })
    const submitted = {
      jobId: submittedId,
      jobsBefore: jobsBeforeSubmit,
      jobsAfter: await countJobs(),
      logs: await page.locator('[data-bind="logs"]').textContent(),
      executions: await page.locator('[data-bind="executions"] tr').allTextContents(),
      history: await page.locator('[data-bind="history"] li').count(),
      timeline: await page.locator('.timeline-step:not(.pending) .timeline-label').allTextContents(),
      results: await page.locator('[data-bind="results"] li').allTextContents(),
      apiState: (await requester.requester.store.getJob(submittedId)).State.StateType,
    }
    // Reloading the job's own URL shows the same job.
    await page.reload()
    await page.waitForSelector('h1 [data-state="Completed"]')
    const completedActions = { stop: await page.locator('[data-action="stop"]').isVisible(), rerun: await page.locator('[data-action="rerun"]').isVisible() }
    const reloaded = await page.locator('[data-bind="spec"]').textContent()
    log(`job ${submittedId} completed on its page`)

    // 6. Stop a long job from its page.
    const loopJob = (await shoalOk(api, ['wasm', 'run', join(FIXTURES, 'loop.wasm'), '--timeout', '600', '--id-only', '--no-wait'])).trim().split('\n').at(-1)!.trim()
    await page.goto(`${api}/jobs/${loopJob}`)
    await page.waitForSelector('h1 [data-state="Running"]', { timeout: 30_000 })
    const runningActions = { stop: await page.locator('[data-action="stop"]').isVisible(), rerun: await page.locator('[data-action="rerun"]').isVisible() }
    await page.click('[data-action="stop"]')
    await page.waitForSelector('h1 [data-state="Stopped"]', { timeout: 30_000 })
    const stopped = { runningActions, jobId: loopJob, apiState: (await requester.requester.store.getJob(loopJob)).State.StateType, rerunShown: await page.locator('[data-action="rerun"]').isVisible() }
    log(`job ${loopJob} stopped from its page`)

    // 7. On a phone-sized screen, every route fits the width, labels its controls, starts with
    // a skip link for the keyboard, and follows the system's dark mode.
    const phone = await tabs.context.newPage()
    watchTab(phone, 'phone')
    await phone.setViewportSize({ width: 390, height: 844 })
    const accessibility = []
    // Each route with what shows it has rendered its data (the event stream keeps the network busy).
    const rendered: Array<[string, string]> = [
      ['/', '[data-bind="nodes-online"]'],
      ['/jobs', 'tr[data-job-id]'],
      [`/jobs/${submittedId}`, 'h1 [data-state]'],
      ['/nodes', 'tr[data-node-id]'],
      [`/nodes/${computeId}`, 'dd .badge'],
      ['/submit', '[data-bind="issues"] li'],
      ['/nope', 'main h1'],
    ]
    for (const [path, selector] of rendered) {
      await phone.goto(`${api}${path}`)
      await phone.locator(selector).first().waitFor()
      const seen = await phone.evaluate(() => {
        const controls = [...document.querySelectorAll<HTMLElement>('input, select, textarea, button')]
        const unlabeled = controls
          .filter((el) => {
            const labels = (el as HTMLInputElement).labels
            return !((labels && labels.length > 0) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' && el.textContent?.trim()))
          })
          .map((el) => el.outerHTML.slice(0, 120))
        return { unlabeled, overflow: document.documentElement.scrollWidth - window.innerWidth, headings: document.querySelectorAll('main h1').length }
      })
      await phone.keyboard.press('Tab')
      const firstFocus = await phone.evaluate(() => document.activeElement?.textContent ?? '')
      accessibility.push({ path, ...seen, firstFocus })
    }
    const background = () => phone.evaluate(() => getComputedStyle(document.body).backgroundColor || getComputedStyle(document.documentElement).backgroundColor)
    await phone.emulateMedia({ colorScheme: 'light' })
    const light = await phone.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--bg').trim())
    await phone.emulateMedia({ colorScheme: 'dark' })
    const dark = await phone.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--bg').trim())
    await phone.screenshot({ path: join(dataDir, 'phone-dark.png') })
    const theme = { light, dark, body: await background() }
    await phone.close()
    log('phone-sized routes checked')

    // 8. A requester that needs tokens: the dashboard asks for one, keeps it for the session,
    // and says what a read-only token cannot do.
    const secured = await startRequesterServer({
      dataDir: join(dataDir, 'secured'),
      host: '127.0.0.1',
      port: 0,
      webRoot: WEB_DIST_DIR,
      apiTokens: [
        { token: 'reader-token', scopes: ['read'] },
        { token: 'admin-token', scopes: ['read', 'write', 'admin'] },
      ],
      logger,
    })
    let auth
    try {
      const authPage = await tabs.context.newPage()
      watchTab(authPage, 'auth')
      await authPage.goto(`${secured.url}/jobs`)
      await authPage.locator('[data-bind="token"]').waitFor()
      const asked = await authPage.locator('label[for="token"]').textContent()
      await authPage.fill('[data-bind="token"]', 'reader-token')
      await authPage.press('[data-bind="token"]', 'Enter')
      await authPage.locator('[data-bind="read-only"]').waitFor()
      const readOnly = await authPage.locator('[data-bind="read-only"]').textContent()
      await authPage.waitForSelector('[role="status"]:has-text("No jobs yet")')
      await authPage.click('nav a[href="/submit"]')
      await authPage.locator('[data-bind="issues"] li').first().waitFor()
      await authPage.setInputFiles('[data-bind="wasm-file"]', join(FIXTURES, 'hello.wasm'))
      await authPage.waitForSelector('[data-bind="issues"] li.ok')
      await authPage.click('[data-action="submit"]')
      await authPage.waitForFunction(() => /read-only/.test(document.querySelector('[data-bind="outcome"]')?.textContent ?? ''))
      const refused = await authPage.locator('[data-bind="outcome"]').textContent()
      // Kept for the session: a reload does not ask again.
      await authPage.reload()
      await authPage.locator('[data-bind="read-only"]').waitFor()
      const askedAfterReload = await authPage.locator('[data-bind="token"]').count()
      auth = { asked, readOnly, refused, askedAfterReload, jobsOnServer: (await secured.requester.store.listJobs({})).Items.length }
    } finally {
      await secured.stop()
    }
    log('token prompt and read-only limits shown')

    report({
      accessibility,
      theme,
      auth,
      routes,
      deepLink,
      notFound,
      landing,
      approved,
      tabAppears,
      cliAppears,
      editor: { templateIssues, typedIssues, issuePaths, dryRun },
      submitted: { ...submitted, reloadedHasId: reloaded?.includes(submittedId) ?? false, completedActions },
      stopped,
    })
  } finally {
    await tabs.close()
    await compute.stop({ goodbye: true }).catch(() => {})
    await requester.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
} catch (err) {
  fail(err)
}
