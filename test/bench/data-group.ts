/**
 * Issue 11: input-size scaling on a Node compute node. One `shoal serve --orchestrator` and one
 * `shoal serve --compute` as processes; for 16 MiB, 256 MiB and 2 GiB of seeded data in an
 * allow-listed `local` file, a WASM job (copy-file.wasm) copies the input to /outputs and the
 * `local` publisher archives it. Per size: submit→Completed time and the compute process's peak
 * RSS during the job (VmHWM reset before each). The goal: memory flat (under 300 MB, and no
 * more at 2 GiB than at 16 MiB), time linear (seconds per GiB at 2 GiB about those at 256 MiB).
 * A size the node cannot run (today's tree stages inputs in memory) is reported as a note, and
 * the sizes before it still give their figures.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import type { ShoalClient } from '@shoal/client'
import { TERMINAL_JOB_STATES, type Job } from '@shoal/models'
import {
  killAllShoals,
  readTreeMemory,
  removeTempDirs,
  resetPeakRss,
  runShoal,
  startCompute,
  startRequester,
  tempDir,
  waitForComputeNodes,
  wasmFixture,
  writeSeededFile,
} from '../support/index.ts'
import type { BenchContext, BenchGroup } from './bench-group.ts'
import { baselineOf, type BenchFigure } from './report.ts'

const MIB = 1024 ** 2
const MB = 1e6
const RSS_GOAL_MB = 300
/** A job still running after this long is a failure of that size, not a slow sample. */
const JOB_DEADLINE_MS = 10 * 60_000

const label = (bytes: number): string => (bytes >= 1024 * MIB ? `${bytes / (1024 * MIB)} GiB` : `${bytes / MIB} MiB`)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** One size's measurement, or why it has none. */
interface SizeResult {
  bytes: number
  seconds?: number
  peakRssBytes?: number
  failure?: string
}

/**
 * The job `shoal wasm run copy-file.wasm -i file://PATH,dst=/inputs/data.bin -o outputs:/outputs
 * -p local` submits; a queue timeout lets it wait for a node that a busy machine made miss a
 * heartbeat instead of failing at once.
 */
async function copyJob(env: Record<string, string>, inputPath: string, diskBytes: number | undefined): Promise<Job> {
  const disk = diskBytes === undefined ? [] : ['--disk', String(diskBytes)]
  const dry = await runShoal(
    ['wasm', 'run', wasmFixture('copy-file'), '--dry-run', '-i', `file://${inputPath},dst=/inputs/data.bin`, '-o', 'outputs:/outputs', '-p', 'local', ...disk, '--timeout', '1800', '--queue-timeout', '300', '--', '/inputs/data.bin', '/outputs/data.bin'],
    { env },
  )
  if (dry.code !== 0) throw new Error(`shoal wasm run --dry-run failed: ${dry.stderr.trim()}`)
  return parseYaml(dry.stdout) as Job
}

/** Submits `job` and polls it until terminal; resolves with the job and the seconds from submit. */
async function runJob(client: ShoalClient, job: Job, signal: AbortSignal): Promise<{ job: Job; seconds: number }> {
  const started = performance.now()
  const { JobID } = await client.putJob(job, { signal })
  while (performance.now() - started < JOB_DEADLINE_MS) {
    await sleep(50)
    const { Job: current } = await client.getJob(JobID, { signal })
    if ((TERMINAL_JOB_STATES as readonly string[]).includes(current.State.StateType)) return { job: current, seconds: (performance.now() - started) / 1000 }
  }
  throw new Error(`job ${JobID} did not finish within ${JOB_DEADLINE_MS / 60_000} minutes`)
}

async function run(context: BenchContext): Promise<BenchFigure[]> {
  const sizes = context.quick ? [16 * MIB, 64 * MIB] : [16 * MIB, 256 * MIB, 2048 * MIB]
  const dir = await tempDir('shoal-bench-data-')
  const results: SizeResult[] = []
  try {
    const requester = await startRequester({ timeoutMs: 60_000, env: { SHOAL_LOG_LEVEL: 'warn' } })
    const compute = await startCompute(requester.wsMultiaddr, { allowListedLocalPaths: [`${dir}:ro`], timeoutMs: 60_000, env: { SHOAL_LOG_LEVEL: 'warn' } })
    await waitForComputeNodes(requester.client, 1, { nodeIds: [compute.nodeId], timeoutMs: 60_000 })
    const pid = compute.process.pid!
    const { Nodes } = await requester.client.listNodes()
    const offeredDisk = Nodes.find((n) => n.Info.NodeID === compute.nodeId)?.Info.ComputeNodeInfo?.MaxCapacity.Disk ?? 0
    context.note(
      offeredDisk > 0
        ? `data: the compute node offers ${(offeredDisk / MIB).toFixed(0)} MiB of disk; each job asks for its output's size + 64 MiB (Resources.Disk)`
        : 'data: the compute node offers no disk (Resources.Disk): jobs ask for none, so their outputs count against the engine\'s in-memory default',
    )
    context.note(`data: compute node RSS when idle, before the first job: ${((await readTreeMemory(pid)).rssBytes / MIB).toFixed(0)} MiB`)
    for (const bytes of sizes) {
      if (context.signal.aborted) break
      const input = join(dir, 'data.bin')
      context.progress(`data: writing ${label(bytes)} of seeded data`)
      await writeSeededFile(input, bytes)
      const job = await copyJob(requester.env, input, offeredDisk > 0 ? bytes + 64 * MIB : undefined)
      await waitForComputeNodes(requester.client, 1, { nodeIds: [compute.nodeId], timeoutMs: 60_000 })
      if (!(await resetPeakRss(pid))) context.note('data: /proc/<pid>/clear_refs refused: peak RSS counts from the node\'s start-up')
      context.progress(`data: copying ${label(bytes)} on the compute node`)
      try {
        const { job: done, seconds } = await runJob(requester.client, job, context.signal)
        const memory = await readTreeMemory(pid)
        if (done.State.StateType !== 'Completed') {
          results.push({ bytes, failure: `${done.State.StateType}: ${done.State.Message ?? ''}`.trim() })
        } else {
          results.push({ bytes, seconds, peakRssBytes: memory.peakRssBytes })
          context.progress(`data: ${label(bytes)} in ${seconds.toFixed(1)} s, peak RSS ${(memory.peakRssBytes / MIB).toFixed(0)} MiB`)
        }
      } catch (error) {
        results.push({ bytes, failure: (error as Error).message })
      }
      await rm(input, { force: true })
      if (!compute.process.running) {
        results.at(-1)!.failure ??= 'the compute node exited'
        context.note(`data: the compute node exited during the ${label(bytes)} job: ${compute.process.stderr.slice(-500)}`)
        break
      }
    }
  } finally {
    await killAllShoals()
    await removeTempDirs()
  }
  return figures(results, context)
}

/** The figures of the sizes that ran, and notes on those that did not. */
function figures(results: SizeResult[], context: BenchContext): BenchFigure[] {
  const out: BenchFigure[] = []
  const ok = results.filter((r) => r.failure === undefined)
  for (const result of results) {
    if (result.failure !== undefined) context.note(`data: the ${label(result.bytes)} job did not complete: ${result.failure}`)
  }
  const smallest = ok[0]
  ok.forEach((result, index) => {
    const id = `D${index + 1}`
    const previous = ok[index - 1]
    const perGib = (r: SizeResult) => r.seconds! / (r.bytes / (1024 * MIB))
    out.push({
      id: `${id}-time`,
      name: `copy ${label(result.bytes)} (local input → local publisher): submit→Completed`,
      value: result.seconds!,
      unit: 's',
      ...(previous ? { goal: { value: 1.25, better: 'lower' as const, on: 'ratio' as const }, baseline: baselineOf(`s/GiB at ${label(previous.bytes)}`, perGib(previous), perGib(result)) } : {}),
      notes: previous ? `ratio = seconds per GiB here / at ${label(previous.bytes)} (linear: about 1)` : `${perGib(result).toFixed(1)} s/GiB`,
    })
    out.push({
      id: `${id}-rss`,
      name: `copy ${label(result.bytes)}: compute node peak RSS`,
      value: result.peakRssBytes! / MB,
      unit: 'MB',
      goal: { value: RSS_GOAL_MB, better: 'lower' },
      ...(index > 0 ? { baseline: baselineOf(`peak RSS at ${label(smallest.bytes)} (MB)`, smallest.peakRssBytes! / MB, result.peakRssBytes! / MB) } : {}),
      notes: 'VmHWM of the `shoal serve --compute` process (and any children), reset before the job; goal 300 MB; flat: ratio about 1',
    })
  })
  return out
}

/** The `data` group. */
export const dataGroup: BenchGroup = {
  name: 'data',
  summary: 'issue 11: WASM job over 16 MiB → 2 GiB local inputs on a compute node process (peak RSS, time)',
  run,
}
