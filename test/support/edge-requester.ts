/**
 * The edge requester as an operator runs it: `npm run dev -w edge` (wrangler dev, workerd) on
 * 127.0.0.1 with its Durable Object state persisted to a directory, so a test can kill workerd
 * and start it again on the same state. Offline: wrangler's metrics and its `Request.cf` fetch
 * are turned off.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createClient, type ShoalClient } from '@shoal/client'
import { freePort } from './free-port.ts'
import { NODE_BIN_DIR, REPO_ROOT } from './paths.ts'
import { tempDir } from './temp-dir.ts'
import { waitUntil } from './wait-until.ts'

/** Options of {@link startEdgeRequester}. */
export interface StartEdgeRequesterOptions {
  /** API port (default: a free one). */
  port?: number
  /** Where workerd keeps the Durable Objects' state (default: a new temp dir). */
  persistDir?: string
  /** Worker vars (`--var KEY:VALUE`), e.g. SHOAL_API_TOKENS. */
  vars?: Record<string, string>
  /**
   * The path polled until it answers 200 (default the API's /api/v1/agent/alive, which starts
   * the requester object); `/` is served from the static assets without waking the object.
   */
  readyPath?: string
  /** How long to wait for it to answer (default 120 s: wrangler bundles on start). */
  timeoutMs?: number
}

/** A running `npm run dev -w edge`. */
export interface EdgeRequesterProcess {
  readonly apiUrl: string
  readonly port: number
  readonly persistDir: string
  /** Environment pointing the `shoal` CLI at it. */
  readonly env: Record<string, string>
  readonly client: ShoalClient
  /** Everything wrangler and workerd printed so far. */
  output(): string
  /** Kills wrangler and workerd (the whole process group) with `signal`, and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>
}

const live = new Set<ChildProcess>()

/** Starts the edge requester and waits until its API answers. */
export async function startEdgeRequester(options: StartEdgeRequesterOptions = {}): Promise<EdgeRequesterProcess> {
  const port = options.port ?? (await freePort())
  const inspectorPort = await freePort()
  const persistDir = options.persistDir ?? (await tempDir('shoal-edge-'))
  // The suites built on this test a requester without compute nodes: no edge compute node unless asked.
  const vars = Object.entries({ SHOAL_EDGE_COMPUTE: 'false', ...options.vars }).flatMap(([key, value]) => ['--var', `${key}:${value}`])
  const args = ['run', 'dev', '-w', 'edge', '--', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspectorPort), '--persist-to', persistDir, ...vars]
  // Its own process group: wrangler starts workerd as a child, and a kill must reach both.
  const child = spawn('npm', args, {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATH: `${NODE_BIN_DIR}:${process.env.PATH ?? ''}`, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1', FORCE_COLOR: '0' },
  })
  live.add(child)
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const exitedEarly = new AbortController()
  child.once('exit', (code, signal) => exitedEarly.abort(new Error(`npm run dev -w edge exited (${code ?? signal}) before its API answered`)))
  const apiUrl = `http://127.0.0.1:${port}`
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, signal)
      } catch {}
      await exited
    }
    // wrangler's children (workerd) may outlive it briefly: make sure the group is gone.
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {}
    live.delete(child)
  }
  try {
    await waitUntil(
      async () => {
        const res = await fetch(`${apiUrl}${options.readyPath ?? '/api/v1/agent/alive'}`, { signal: AbortSignal.timeout(5000) })
        return res.status === 200
      },
      { what: `the edge requester on ${apiUrl}`, timeoutMs: options.timeoutMs ?? 120_000, intervalMs: 250, signal: exitedEarly.signal },
    )
  } catch (error) {
    await stop('SIGKILL')
    throw new Error(`${(error as Error).message}\n--- npm run dev -w edge printed ---\n${output}`, { cause: error })
  }
  return { apiUrl, port, persistDir, env: { SHOAL_API_URL: apiUrl }, client: createClient({ baseUrl: apiUrl }), output: () => output, stop }
}

/** Kills every edge requester still running (for afterAll). */
export async function killAllEdgeRequesters(): Promise<void> {
  for (const child of [...live]) {
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {}
    live.delete(child)
  }
}
