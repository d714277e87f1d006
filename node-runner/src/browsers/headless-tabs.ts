import { existsSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { BadRequestError } from '@shoal/models'
import type { Browser, BrowserContext, Page } from 'playwright-core'

/** Debian's Chromium, the only browser used (never a downloaded one). */
export const CHROMIUM_PATH = '/usr/bin/chromium'

/** Flags every headless tab's Chromium starts with (see docs ENVIRONMENT.md). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--allow-loopback-in-peer-connection',
]

/** Options of openHeadlessTabs. */
export interface HeadlessTabsOptions {
  /** The contribute page, e.g. http://127.0.0.1:1234/, or the page of the i-th tab. */
  url: string | ((index: number) => string)
  count: number
  /**
   * Whether tabs may open WebRTC outside a loopback-only network namespace. Tests pass false,
   * so a run that forgot `unshare -n` fails instead of talking to real interfaces; `shoal
   * devstack --browsers N` passes true (it is the user's own machine).
   */
  namespaceOk: boolean
  /** Chromium binary; default /usr/bin/chromium. */
  executablePath?: string
  /** Wait until each tab reports this phase through `window.__shoal` (default 'contributing'); null to not wait. */
  waitFor?: string | null
  /** How long to wait for each tab to reach `waitFor` (default 20 s). */
  timeoutMs?: number
  signal?: AbortSignal
}

/** Headless Chromium tabs contributing compute; `close()` closes them and the browser. */
export interface HeadlessTabs {
  readonly browser: Browser
  readonly context: BrowserContext
  readonly pages: Page[]
  /** Opens one more tab on the page (or on `url`). */
  open(url?: string): Promise<Page>
  close(): Promise<void>
}

/** Whether every network address this process can use is loopback (a loopback-only namespace). */
export function inLoopbackOnlyNamespace(): boolean {
  return Object.values(networkInterfaces()).every((addresses) => (addresses ?? []).every((address) => address.internal))
}

/**
 * Opens `count` headless Chromium tabs on the contribute page, each becoming a compute node
 * (runtime=browser). Uses playwright-core with Debian's Chromium and grants camera and
 * microphone, without which Chromium gathers no ICE candidates on loopback.
 */
export async function openHeadlessTabs(options: HeadlessTabsOptions): Promise<HeadlessTabs> {
  const executablePath = options.executablePath ?? CHROMIUM_PATH
  if (!existsSync(executablePath)) {
    throw new BadRequestError(`no Chromium at ${executablePath}: install Debian's chromium: apt-get install -y chromium`, {
      hint: 'headless tabs use the system Chromium through playwright-core; `npx playwright install` is not needed',
    })
  }
  if (!options.namespaceOk && !inLoopbackOnlyNamespace()) {
    throw new BadRequestError('headless tabs open WebRTC: run inside a loopback-only network namespace', {
      hint: "wrap the command: unshare -n sh -c 'ip link set lo up; <command>'",
    })
  }
  let playwright: typeof import('playwright-core')
  try {
    playwright = await import('playwright-core')
  } catch (err) {
    throw new BadRequestError(`cannot load playwright-core (${(err as Error).message})`, {
      cause: err,
      hint: 'run `npm install` at the repository root; it installs playwright-core',
    })
  }
  const browser = await playwright.chromium.launch({ executablePath, args: [...CHROMIUM_ARGS], headless: true })
  try {
    const urlOf = (index: number) => (typeof options.url === 'string' ? options.url : options.url(index))
    const origin = new URL(urlOf(0)).origin
    const context = await browser.newContext({ viewport: { width: 1200, height: 860 } })
    await context.grantPermissions(['camera', 'microphone'], { origin })
    const pages: Page[] = []
    const open = async (url = urlOf(pages.length)): Promise<Page> => {
      options.signal?.throwIfAborted()
      const page = await context.newPage()
      await page.goto(url)
      if (options.waitFor !== null) {
        const phase = options.waitFor ?? 'contributing'
        await page
          .waitForFunction((wanted) => (window as unknown as { __shoal?: { status(): string } }).__shoal?.status() === wanted, phase, {
            timeout: options.timeoutMs ?? 20_000,
          })
          .catch(async (err: Error) => {
            const seen = await page.evaluate(() => document.querySelector('[data-bind="reason"]')?.textContent ?? '').catch(() => '')
            throw new Error(`the tab at ${url} did not reach "${phase}": ${err.message.split('\n')[0]}${seen ? ` (page says: ${seen})` : ''}`, { cause: err })
          })
      }
      pages.push(page)
      return page
    }
    for (let i = 0; i < options.count; i++) await open()
    return {
      browser,
      context,
      pages,
      open,
      async close() {
        await browser.close().catch(() => {})
      },
    }
  } catch (err) {
    await browser.close().catch(() => {})
    throw err
  }
}
