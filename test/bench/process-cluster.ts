/**
 * A local Shoal network of real processes for the devstack benchmarks: one
 * `shoal serve --orchestrator` and N `shoal serve --compute` dialing it over libp2p WebSockets.
 * The requester runs alone in its process, so its memory (VmRSS) is its own.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient, type ShoalClient } from '@shoal/client'

const SHOAL_BIN = fileURLToPath(new URL('../../node-runner/bin/shoal.js', import.meta.url))
// Start-up on a busy 2-core machine (other work running) has taken over 30 s.
const READY_TIMEOUT_MS = 90_000
/** Set to a directory to get a V8 CPU profile of every cluster process (<dir>/<name>/*.cpuprofile). */
const PROFILE_DIR = process.env.SHOAL_BENCH_CPU_PROF_DIR

/** Options of startProcessCluster. */
export interface ProcessClusterOptions {
  computes: number
  /** Extra flags of every compute node, e.g. ['--capacity-cpu', '4']. */
  computeFlags?: string[]
  signal?: AbortSignal
}

/** A running cluster. */
export interface ProcessCluster {
  /** The requester's API, e.g. http://127.0.0.1:40123 */
  readonly url: string
  readonly client: ShoalClient
  readonly requesterPid: number
  /** Memory of the requester process now (VmRSS and VmHWM, bytes). */
  requesterMemory(): Promise<ProcessMemory>
  /** CPU time used so far by each process (user+system seconds): the requester, then each compute node. */
  cpuSeconds(): Promise<{ requester: number; computes: number[] }>
  stop(): Promise<void>
}

/** Resident memory of a process, from /proc/<pid>/status. */
export interface ProcessMemory {
  /** Resident set size now. */
  rssBytes: number
  /** Peak resident set size. */
  peakRssBytes: number
}

/** User+system CPU seconds `pid` has used (Linux /proc/<pid>/stat; clock ticks of 10 ms). */
export async function readCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces) start at state: utime and stime are 12 and 13 of those.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Busy and total CPU time of the whole machine so far (all cores, seconds; Linux /proc/stat). */
export async function readMachineCpuSeconds(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]
  const ticks = line.trim().split(/\s+/).slice(1).map(Number)
  const idle = ticks[3] + (ticks[4] ?? 0)
  const total = ticks.reduce((a, b) => a + b, 0)
  return { busy: (total - idle) / 100, total: total / 100 }
}

/** Reads VmRSS and VmHWM of `pid` (Linux). */
export async function readProcessMemory(pid: number): Promise<ProcessMemory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
    if (!match) throw new Error(`/proc/${pid}/status has no ${field}`)
    return Number(match[1]) * 1024
  }
  return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') }
}

interface Child {
  process: ChildProcess
  stdout: string
  stderr: string
  exited: Promise<number | null>
}

function spawnShoal(args: string[], name: string): Child {
  const child = spawn(process.execPath, [SHOAL_BIN, ...args], {
    env: {
      ...process.env,
      SHOAL_LOG_LEVEL: 'warn',
      NO_COLOR: '1',
      ...(PROFILE_DIR ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${join(PROFILE_DIR, name)}`.trim() } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const record: Child = {
    process: child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  }
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (record.stdout += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    // Keep the tail only: a long run must not grow this without bound.
    record.stderr = (record.stderr + chunk).slice(-8192)
  })
  child.once('error', (error) => (record.stderr += `\n${name}: ${error.message}`))
  return record
}

/** Resolves with the first match of `pattern` in the child's stdout; rejects if it exits first. */
async function waitForOutput(child: Child, pattern: RegExp, name: string): Promise<RegExpExecArray> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  let exitCode: number | null | undefined
  void child.exited.then((code) => (exitCode = code))
  while (Date.now() < deadline) {
    const match = pattern.exec(child.stdout)
    if (match) return match
    if (exitCode !== undefined) throw new Error(`${name} exited with ${exitCode} before it was ready:\n${child.stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`${name} was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${child.stdout}\n${child.stderr}`)
}

async function stopChild(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return
  child.process.kill('SIGTERM')
  const timer = setTimeout(() => child.process.kill('SIGKILL'), 5_000)
  await child.exited
  clearTimeout(timer)
}

/** Starts the requester, then the compute nodes, and waits until every node is connected. */
export async function startProcessCluster(options: ProcessClusterOptions): Promise<ProcessCluster> {
  const dataDir = await mkdtemp(join(tmpdir(), 'shoal-bench-cluster-'))
  const children: Child[] = []
  const stop = async () => {
    // Compute nodes first, so the requester sees goodbyes rather than lost connections.
    await Promise.all(children.slice(1).map(stopChild))
    if (children[0]) await stopChild(children[0])
    await rm(dataDir, { recursive: true, force: true })
  }
  const onAbort = () => void stop()
  options.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const requester = spawnShoal(['serve', '--orchestrator', '--host', '127.0.0.1', '--port', '0', '--data-dir', join(dataDir, 'requester')], 'requester')
    children.push(requester)
    const url = (await waitForOutput(requester, /API:\s+(http:\/\/\S+)/, 'requester'))[1]
    const ws = (await waitForOutput(requester, /(\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/\S+)/, 'requester'))[1]
    for (let i = 0; i < options.computes; i++) {
      const args = ['serve', '--compute', '--requester', ws, '--host', '127.0.0.1', '--data-dir', join(dataDir, `compute-${i}`), '-l', `name=bench-${i}`, ...(options.computeFlags ?? [])]
      children.push(spawnShoal(args, `compute-${i}`))
    }
    const client = createClient({ baseUrl: url })
    const deadline = Date.now() + READY_TIMEOUT_MS
    for (;;) {
      const { Nodes } = await client.listNodes()
      const connected = Nodes.filter((n) => n.Info.NodeType === 'Compute' && n.ConnectionState.Status === 'CONNECTED').length
      if (connected >= options.computes) break
      const dead = children.find((c) => c.process.exitCode !== null)
      if (dead) throw new Error(`a cluster process exited during start-up:\n${dead.stdout}\n${dead.stderr}`)
      if (Date.now() > deadline) throw new Error(`only ${connected} of ${options.computes} compute nodes connected within ${READY_TIMEOUT_MS / 1000} s`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const requesterPid = requester.process.pid!
    return {
      url,
      client,
      requesterPid,
      requesterMemory: () => readProcessMemory(requesterPid),
      cpuSeconds: async () => ({
        requester: await readCpuSeconds(requesterPid),
        computes: await Promise.all(children.slice(1).map((c) => readCpuSeconds(c.process.pid!))),
      }),
      stop: async () => {
        options.signal?.removeEventListener('abort', onAbort)
        await stop()
      },
    }
  } catch (error) {
    await stop()
    throw error
  }
}
