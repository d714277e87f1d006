// Issue 11's headline: a compute node (`shoal serve --compute`, a real process) runs a WASM job
// over a 2 GiB input — an allow-listed `local` file, then a `urlDownload` from a loopback server —
// writes a 2 GiB output, publishes it with `local`, and `shoal job get` fetches it; the compute
// process's peak RSS stays under 300 MB throughout. The data is seeded (test/support/seeded-data.ts):
// written to a temp file or streamed by the server as it is read, never stored in the repository.
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  killAllShoals,
  readTreeMemory,
  removeTempDirs,
  resetPeakRss,
  runShoal,
  sha256File,
  startCompute,
  startRequester,
  startSeededDataServer,
  tempDir,
  waitForComputeNodes,
  waitForJobState,
  wasmFixture,
  writeSeededFile,
  type ComputeProcess,
  type RequesterProcess,
  type SeededDataServer,
} from '../support/index.ts'

const GIB = 1024 ** 3
const INPUT_BYTES = 2 * GIB
const RSS_LIMIT_BYTES = 300 * 1024 ** 2
/**
 * Bound of each step (the run, then `job get`): 2 GiB in (downloaded or read in place), copied,
 * archived, fetched. About a minute each on a quiet 2-core machine; several on a busy one.
 */
const JOB_TIMEOUT_MS = 600_000

/**
 * Gated (SHOAL_E2E_LARGE_DATA=1 runs it) for its cost, no longer for memory: the compute node
 * peaks at ~200 MiB (local) and ~240 MiB (URL) over a 2 GiB job, from 312-374 MiB. It runs
 * 3.5-7 minutes on a busy 2-core machine (2 GiB written three times), and there `job get` of the
 * archive has broken off mid-download in some runs (exit 3, "cannot reach the Shoal requester"
 * although the requester was up: the CLI reports any failed fetch that way).
 */
const WAITING_FOR = 'several minutes and ~8 GiB of disk writes; SHOAL_E2E_LARGE_DATA=1 runs it'
const enabled = process.env.SHOAL_E2E_LARGE_DATA === '1'

let requester: RequesterProcess
let compute: ComputeProcess
let server: SeededDataServer
let allowedDir: string
let inputSha256: string

beforeAll(async () => {
  if (!enabled) return
  allowedDir = await tempDir('shoal-large-input-')
  inputSha256 = await writeSeededFile(join(allowedDir, 'data.bin'), INPUT_BYTES)
  server = await startSeededDataServer()
  requester = await startRequester({ timeoutMs: 60_000 })
  compute = await startCompute(requester.wsMultiaddr, {
    allowListedLocalPaths: [`${allowedDir}:ro`],
    args: ['--allow-url-hosts', '127.0.0.1'],
    timeoutMs: 60_000,
  })
  await waitForComputeNodes(requester.client, 1, { nodeIds: [compute.nodeId], timeoutMs: 60_000 })
}, 180_000)

afterAll(async () => {
  await compute?.process.stop()
  await requester?.process.stop()
  await server?.close()
  await killAllShoals()
  await removeTempDirs()
})

const mib = (bytes: number): string => `${(bytes / 1024 ** 2).toFixed(0)} MiB`

/**
 * Runs copy-file over `input` (an `-i` flag value mounting the data at /inputs/data.bin), fetches
 * the result with `job get`, and checks the copy's size and hash and the compute node's peak RSS.
 */
async function copyAndFetch(input: string): Promise<void> {
  const pid = compute.process.pid!
  // Peak RSS from here on: start-up (module loading, libp2p) is not what this measures.
  await resetPeakRss(pid)
  const before = await readTreeMemory(pid)
  // --disk: what the job writes lives in the node's space within its disk budget (default 1 GiB).
  const run = await runShoal(
    ['wasm', 'run', wasmFixture('copy-file'), '--id-only', '-i', input, '-o', 'outputs:/outputs', '-p', 'local', '--disk', '3Gb', '--timeout', '1200', '--queue-timeout', '120', '--', '/inputs/data.bin', '/outputs/data.bin'],
    { env: requester.env, timeoutMs: JOB_TIMEOUT_MS },
  )
  expect(run.code, run.stderr).toBe(0)
  const jobId = run.stdout.trim()
  const job = await waitForJobState(requester.client, jobId, { timeoutMs: JOB_TIMEOUT_MS })
  expect(job.State.StateType, JSON.stringify(job.State)).toBe('Completed')

  const cwd = await tempDir('shoal-large-get-')
  try {
    const get = await runShoal(['job', 'get', jobId, '--output-dir', 'result'], { cwd, env: requester.env, timeoutMs: JOB_TIMEOUT_MS })
    expect(get.code, get.stderr).toBe(0)
    expect((await readFile(join(cwd, 'result', 'exitCode'), 'utf8')).trim()).toBe('0')
    const copy = await sha256File(join(cwd, 'result', 'outputs', 'data.bin'))
    expect(copy.bytes).toBe(INPUT_BYTES)
    expect(copy.sha256).toBe(inputSha256)
  } finally {
    // 2 GiB per run: free the disk before the next one.
    await rm(cwd, { recursive: true, force: true })
  }

  const memory = await readTreeMemory(pid)
  expect(compute.process.running).toBe(true)
  // The figure the issue tracks, in the run's output whether or not it passes.
  console.info(`${input.startsWith('file:') ? 'local' : 'URL'} 2 GiB job: compute node peak RSS ${mib(memory.peakRssBytes)} (${mib(before.rssBytes)} before the job)`)
  expect(memory.peakRssBytes, `compute node peak RSS ${mib(memory.peakRssBytes)} (${mib(before.rssBytes)} before the job; pids ${memory.pids.join(', ')})`).toBeLessThan(RSS_LIMIT_BYTES)
}

describe.skipIf(!enabled)(`a 2 GiB job on a Node compute node (${enabled ? 'enabled' : `skipped: ${WAITING_FOR}`})`, () => {
  it('copies an allow-listed 2 GiB local file to a 2 GiB output, fetched intact by job get, with compute RSS under 300 MB', { timeout: 2 * JOB_TIMEOUT_MS }, async () => {
    await copyAndFetch(`file://${join(allowedDir, 'data.bin')},dst=/inputs/data.bin`)
  })

  it('copies a 2 GiB URL download from a loopback server to a 2 GiB output, fetched intact by job get, with compute RSS under 300 MB', { timeout: 2 * JOB_TIMEOUT_MS }, async () => {
    await copyAndFetch(server.url('data.bin', INPUT_BYTES))
  })
})
