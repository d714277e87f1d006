import { createClient, type ShoalClient } from '@shoal/client'
import { TERMINAL_JOB_STATES, type Job } from '@shoal/models'
import { freePort } from './free-port.ts'
import { spawnShoal, type ShoalProcess } from './shoal-process.ts'
import { tempDir } from './temp-dir.ts'
import { waitUntil } from './wait-until.ts'

/** A requester (`shoal serve --orchestrator` or `shoal devstack`) running as a child process. */
export interface RequesterProcess {
  readonly process: ShoalProcess
  /** REST API base URL, e.g. http://127.0.0.1:40123 */
  readonly apiUrl: string
  /** REST API port (libp2p listens on port + 1). */
  readonly port: number
  readonly dataDir: string
  /** Every printed multiaddr. */
  readonly multiaddrs: string[]
  /** The WebSockets multiaddr: stable across restarts with the same port and data dir ('' without the libp2p transport). */
  readonly wsMultiaddr: string
  /** The ws:// URL of its compute WebSocket, when it offers the websocket transport. */
  readonly computeSocketUrl?: string
  /** A client of the API. */
  readonly client: ShoalClient
  /** `SHOAL_API_URL` for CLI commands. */
  readonly env: Record<string, string>
}

/** Options of {@link startRequester}. */
export interface StartRequesterOptions {
  /** API port (default: a free one whose next port is free too, for libp2p). */
  port?: number
  /** Data dir (default: a fresh temp dir). */
  dataDir?: string
  /** More flags for `shoal serve`. */
  args?: string[]
  env?: Record<string, string | undefined>
  /** How long to wait for the ready lines (default 20 s). */
  timeoutMs?: number
}

const MULTIADDR_LINE = /^\s+(?:Multiaddrs:\s+)?(\/ip[46]\/\S+)$/gm

/** The last ready line of `shoal serve`; devstack prints none, so its WebSockets multiaddr stands in. */
const SERVE_READY = /^\s+Transports:\s+\S.*$/m
const DEVSTACK_READY = /^\s+(?:Multiaddrs:\s+)?\/ip4\/\S+\/ws\/p2p\/\S+$/m

async function readyRequester(proc: ShoalProcess, port: number, dataDir: string, timeoutMs: number, ready: RegExp): Promise<RequesterProcess> {
  const api = await proc.waitForLine(/^\s+API:\s+(\S+)$/m, timeoutMs)
  await proc.waitForLine(ready, timeoutMs)
  const multiaddrs = [...proc.stdout.matchAll(MULTIADDR_LINE)].map((m) => m[1])
  const wsMultiaddr = multiaddrs.find((m) => m.includes('/ws/')) ?? ''
  const computeSocketUrl = /^\s+WebSocket:\s+(\S+)$/m.exec(proc.stdout)?.[1]
  const apiUrl = api[1]
  return { process: proc, apiUrl, port, dataDir, multiaddrs, wsMultiaddr, computeSocketUrl, client: createClient({ baseUrl: apiUrl }), env: { SHOAL_API_URL: apiUrl } }
}

/** Starts `shoal serve --orchestrator` on 127.0.0.1 and waits until it prints its addresses. */
export async function startRequester(options: StartRequesterOptions = {}): Promise<RequesterProcess> {
  const port = options.port ?? (await freePort({ span: 2, udp: true }))
  const dataDir = options.dataDir ?? (await tempDir('shoal-requester-'))
  const proc = spawnShoal(['serve', '--orchestrator', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, ...(options.args ?? [])], { env: options.env })
  return readyRequester(proc, port, dataDir, options.timeoutMs ?? 20_000, SERVE_READY)
}

/** A compute node (`shoal serve --compute`) running as a child process. */
export interface ComputeProcess {
  readonly process: ShoalProcess
  /** Its node ID, as printed at start-up. */
  readonly nodeId: string
  readonly dataDir: string
}

/** Options of {@link startCompute}. */
export interface StartComputeOptions {
  /** Data dir (default: a fresh temp dir). */
  dataDir?: string
  /** Node labels (`-l k=v`). */
  labels?: Record<string, string>
  /** `--allow-listed-local-paths` entries, e.g. `/tmp/x:ro`. */
  allowListedLocalPaths?: string[]
  /** `--capacity-cpu` (default 2). */
  capacityCpu?: string
  /** `--capacity-memory` (default 1Gb). */
  capacityMemory?: string
  args?: string[]
  env?: Record<string, string | undefined>
  timeoutMs?: number
}

/** Starts `shoal serve --compute --requester <multiaddr>` and waits until it reports its node ID. */
export async function startCompute(requesterMultiaddr: string, options: StartComputeOptions = {}): Promise<ComputeProcess> {
  const dataDir = options.dataDir ?? (await tempDir('shoal-compute-'))
  const args = ['serve', '--compute', '--host', '127.0.0.1', '--requester', requesterMultiaddr, '--data-dir', dataDir]
  args.push('--capacity-cpu', options.capacityCpu ?? '2', '--capacity-memory', options.capacityMemory ?? '1Gb')
  for (const [key, value] of Object.entries(options.labels ?? {})) args.push('-l', `${key}=${value}`)
  for (const path of options.allowListedLocalPaths ?? []) args.push('--allow-listed-local-paths', path)
  const proc = spawnShoal([...args, ...(options.args ?? [])], { env: options.env })
  const started = await proc.waitForLine(/Shoal compute node (n-\S+) started/, options.timeoutMs ?? 20_000)
  return { process: proc, nodeId: started[1], dataDir }
}

/** Options of {@link startDevstack}. */
export interface StartDevstackOptions {
  computes?: number
  port?: number
  dataDir?: string
  args?: string[]
  env?: Record<string, string | undefined>
  timeoutMs?: number
}

/** Starts `shoal devstack` (requester + N compute nodes in one process) and waits for "ready". */
export async function startDevstack(options: StartDevstackOptions = {}): Promise<RequesterProcess> {
  const port = options.port ?? (await freePort({ span: 2, udp: true }))
  const args = ['devstack', '--computes', String(options.computes ?? 3), '--host', '127.0.0.1', '--port', String(port)]
  if (options.dataDir) args.push('--data-dir', options.dataDir)
  const proc = spawnShoal([...args, ...(options.args ?? [])], { env: options.env })
  await proc.waitForLine(/Shoal devstack ready in/, options.timeoutMs ?? 30_000)
  return readyRequester(proc, port, options.dataDir ?? '', options.timeoutMs ?? 30_000, DEVSTACK_READY)
}

/** Waits until the requester lists `count` CONNECTED compute nodes (IDs in `nodeIds` if given). */
export async function waitForComputeNodes(client: ShoalClient, count: number, options: { nodeIds?: string[]; timeoutMs?: number } = {}): Promise<string[]> {
  return waitUntil(
    async () => {
      const { Nodes } = await client.listNodes()
      const connected = Nodes.filter((n) => n.Info.NodeType === 'Compute' && n.ConnectionState.Status === 'CONNECTED').map((n) => n.Info.NodeID)
      const wanted = options.nodeIds ?? connected
      return wanted.every((id) => connected.includes(id)) && connected.length >= count ? connected : undefined
    },
    { what: `${count} connected compute node(s)${options.nodeIds ? ` (${options.nodeIds.join(', ')})` : ''} at ${client.baseUrl}`, timeoutMs: options.timeoutMs ?? 20_000 },
  )
}

/** Waits until the job is in a terminal state (or `state`, if given) and resolves with it. */
export async function waitForJobState(client: ShoalClient, jobId: string, options: { state?: string; timeoutMs?: number } = {}): Promise<Job> {
  return waitUntil(
    async () => {
      const { Job: job } = await client.getJob(jobId)
      const state = job.State?.StateType ?? ''
      return (options.state ? state === options.state : (TERMINAL_JOB_STATES as readonly string[]).includes(state)) ? job : undefined
    },
    { what: `job ${jobId} to reach ${options.state ?? 'a terminal state'}`, timeoutMs: options.timeoutMs ?? 20_000 },
  )
}
