/**
 * Shared parts of the browser scenarios. A scenario runs as its own process inside a
 * loopback-only network namespace (WebRTC must not leave it): it starts a devstack with no
 * Node compute nodes, opens headless Chromium tabs on the contribute page, drives the real
 * `shoal` CLI, and prints one JSON line of findings that the spec asserts on.
 */
import { execFile, spawnSync } from 'node:child_process'
import { existsSync, statSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
/** WASM fixtures of @shoal/wasm. */
export const FIXTURES = join(ROOT, 'packages/wasm/test/fixtures')

/** What `window.__shoal` offers (web/src/test-hook.ts). */
export interface PageHook {
  status(): string
  transport(): string | undefined
  requester(): string | undefined
  nodeId(): string
  counts(): { completed: number; running: number; failed: number; queued: number }
  recent(): Array<{ executionId: string; jobId: string; state: string; durationMs?: number; message: string }>
}

/** Newest modification time under a directory (files only). */
function newest(dir: string): number {
  let latest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) latest = Math.max(latest, newest(path))
    else latest = Math.max(latest, statSync(path).mtimeMs)
  }
  return latest
}

/**
 * Builds web/ with Vite unless web/dist is newer than every source it is built from (web/ and
 * the packages the page bundles).
 */
export function ensureWebBuilt(): void {
  const built = join(ROOT, 'web/dist/index.html')
  const sources = [join(ROOT, 'web/src'), join(ROOT, 'web/index.html'), join(ROOT, 'web/dashboard.html'), ...['compute', 'wasm', 'transport-libp2p', 'protocol', 'models', 'interface', 'ipfs', 'client'].map((p) => join(ROOT, 'packages', p, 'src'))]
  const sourceTime = Math.max(...sources.map((s) => (statSync(s).isDirectory() ? newest(s) : statSync(s).mtimeMs)))
  if (existsSync(built) && statSync(built).mtimeMs > sourceTime) return
  const result = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error'], { cwd: join(ROOT, 'web'), encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`vite build failed:\n${result.stderr}${result.stdout}`)
}

/** Result of one CLI run. */
export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs `shoal ARGS…` (node-runner/bin/shoal.js) against the API at `apiUrl`. */
export function shoal(apiUrl: string, args: string[], options: { cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'node-runner/bin/shoal.js'), ...args],
      { cwd: options.cwd ?? ROOT, env: { ...process.env, SHOAL_API_URL: apiUrl, NO_COLOR: '1' }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
}

/** Like shoal(), but a non-zero exit is an error carrying the output. */
export async function shoalOk(apiUrl: string, args: string[], options: { cwd?: string } = {}): Promise<string> {
  const result = await shoal(apiUrl, args, options)
  if (result.code !== 0) throw new Error(`shoal ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`)
  return result.stdout
}

/** Reads the page hook of a tab. */
export function hook<T>(page: Page, read: (hook: PageHook) => T): Promise<T> {
  return page.evaluate(`(${read.toString()})(window.__shoal)`) as Promise<T>
}

/** Polls `check` every `everyMs` until it returns a value other than undefined, at most `timeoutMs`. */
export async function poll<T>(what: string, check: () => Promise<T | undefined>, options: { timeoutMs: number; everyMs?: number }): Promise<T> {
  const deadline = Date.now() + options.timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, options.everyMs ?? 50))
  }
}

/** Prints the scenario's findings as the last line of stdout and exits. */
export function report(findings: unknown): never {
  process.stdout.write(`\n${JSON.stringify(findings)}\n`)
  process.exit(0)
}

/** Prints a failure as JSON and exits 1 (the spec shows the message). */
export function fail(error: unknown): never {
  process.stdout.write(`\n${JSON.stringify({ error: (error as Error).stack ?? String(error) })}\n`)
  process.exit(1)
}

const scenarioStart = Date.now()

/** A progress line on stderr (the spec shows it when the scenario fails). */
export function log(message: string): void {
  process.stderr.write(`[${((Date.now() - scenarioStart) / 1000).toFixed(1)}s] ${message}\n`)
}

/** Logs what a tab reports about itself going wrong: crashes, page errors, console errors. */
export function watchTab(page: Page, name: string): void {
  page.on('crash', () => log(`tab ${name} crashed`))
  page.on('pageerror', (err) => log(`tab ${name} page error: ${err.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') log(`tab ${name} console ${message.type()}: ${message.text()}`)
  })
  page.on('close', () => log(`tab ${name} closed`))
}

/**
 * Resolves after the page painted twice more: the contribute page renders changes on its next
 * animation frame, so after this the DOM shows every change made before the call.
 */
export function renderedFrames(page: Page): Promise<void> {
  return page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))))
}
