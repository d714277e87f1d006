// Issue 12's done-when: a 2 GiB S3 input and a 2 GiB result published to S3 with the compute
// node's RSS under 300 MB. Real processes (`shoal serve` requester and compute node) and a real S3
// server that checks SigV4 (Ceph's radosgw on loopback, objects in a BlueStore on a sparse temp
// file: a memstore would hold the 4+ GiB in RAM). A WASM job copies the 2 GiB `s3` input to its
// output, the `s3` publisher uploads the result archive (multipart), and `shoal job get` fetches
// it back through the URL the requester presigns; the copy's hash is checked. The data is random
// (incompressible, so the archive published is itself over 2 GiB, unlike seeded data that gzip
// shrinks to megabytes), written to a temp file, never stored in the repository. Slow (minutes):
// gated like large-data.spec.ts by SHOAL_E2E_LARGE_DATA=1.
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { join } from 'node:path'
import { CreateBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  killAllShoals,
  readTreeMemory,
  removeTempDirs,
  resetPeakRss,
  runShoal,
  sha256File,
  startCompute,
  startRadosgw,
  startRequester,
  tempDir,
  waitForComputeNodes,
  waitForJobState,
  wasmFixture,
  type ComputeProcess,
  type Radosgw,
  type RequesterProcess,
} from '../support/index.ts'

const GIB = 1024 ** 3
const INPUT_BYTES = 2 * GIB
const RSS_LIMIT_BYTES = 300 * 1024 ** 2
/** Bound of each step (the run, then `job get`): 2 GiB down from S3, copied, archived, up to S3, and fetched. */
const JOB_TIMEOUT_MS = 900_000
const BUCKET = 'shoal-large'
const enabled = process.env.SHOAL_E2E_LARGE_DATA === '1'

let gw: Radosgw
let s3: S3Client
let requester: RequesterProcess
let compute: ComputeProcess
let inputSha256: string

/** Writes `size` random bytes to `path` (1 MiB at a time) and returns their SHA-256 (hex). */
async function writeRandomFile(path: string, size: number): Promise<string> {
  const hash = createHash('sha256')
  const chunks = function* () {
    for (let offset = 0; offset < size; offset += 1024 ** 2) {
      const chunk = randomBytes(Math.min(1024 ** 2, size - offset))
      hash.update(chunk)
      yield chunk
    }
  }
  await pipeline(Readable.from(chunks()), createWriteStream(path))
  return hash.digest('hex')
}

beforeAll(async () => {
  if (!enabled) return
  // The input and the result archive (as large: random bytes do not compress), with BlueStore's overhead.
  gw = await startRadosgw({ bluestoreBytes: 3 * INPUT_BYTES, timeoutMs: 120_000 })
  s3 = new S3Client({
    region: gw.region,
    endpoint: gw.endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: gw.accessKeyId, secretAccessKey: gw.secretAccessKey },
  })
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }))
  const local = join(await tempDir('shoal-s3-large-'), 'data.bin')
  inputSha256 = await writeRandomFile(local, INPUT_BYTES)
  await new Upload({ client: s3, params: { Bucket: BUCKET, Key: 'inputs/data.bin', Body: createReadStream(local) } }).done()
  await rm(local)
  const env = {
    AWS_ACCESS_KEY_ID: gw.accessKeyId,
    AWS_SECRET_ACCESS_KEY: gw.secretAccessKey,
    AWS_ENDPOINT_URL_S3: gw.endpoint,
    AWS_REGION: gw.region,
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    AWS_CONFIG_FILE: '/nonexistent',
  }
  // With credentials the requester presigns the s3 result for `job get`.
  requester = await startRequester({ env, timeoutMs: 60_000 })
  compute = await startCompute(requester.wsMultiaddr, { env, timeoutMs: 60_000 })
  await waitForComputeNodes(requester.client, 1, { nodeIds: [compute.nodeId], timeoutMs: 60_000 })
}, 1_200_000)

afterAll(async () => {
  await compute?.process.stop()
  await requester?.process.stop()
  s3?.destroy()
  await killAllShoals()
  await gw?.stop()
  await removeTempDirs()
})

const mib = (bytes: number): string => `${(bytes / 1024 ** 2).toFixed(0)} MiB`

describe.skipIf(!enabled)(`a 2 GiB S3 job on a Node compute node (${enabled ? 'enabled' : 'skipped: slow; SHOAL_E2E_LARGE_DATA=1 runs it'})`, () => {
  it('copies a 2 GiB s3 input to a 2 GiB result published to s3, fetched intact by job get, with compute RSS under 300 MB', { timeout: 2 * JOB_TIMEOUT_MS }, async () => {
    const pid = compute.process.pid!
    // Peak RSS from here on: start-up (module loading, libp2p) is not what this measures.
    await resetPeakRss(pid)
    const before = await readTreeMemory(pid)
    const run = await runShoal(
      [
        'wasm', 'run', wasmFixture('copy-file'), '--id-only',
        // As upstream, an object lands below its Target under its key's last segment: /inputs/data.bin.
        '-i', `s3://${BUCKET}/inputs/data.bin,dst=/inputs`,
        '-o', 'outputs:/outputs',
        '-p', `s3://${BUCKET}/results/{jobID}`,
        '--disk', '5Gb', '--timeout', '1800', '--queue-timeout', '120',
        '--', '/inputs/data.bin', '/outputs/data.bin',
      ],
      { env: requester.env, timeoutMs: JOB_TIMEOUT_MS },
    )
    expect(run.code, run.stderr).toBe(0)
    const jobId = run.stdout.trim()
    const job = await waitForJobState(requester.client, jobId, { timeoutMs: JOB_TIMEOUT_MS })
    expect(job.State.StateType, JSON.stringify(job.State)).toBe('Completed')
    const memory = await readTreeMemory(pid)
    const { Items: executions } = await requester.client.jobExecutions(jobId)
    const published = executions.find((execution) => execution.PublishedResult?.Type)?.PublishedResult
    expect(published).toMatchObject({ Type: 's3', Params: { Bucket: BUCKET, Key: `results/${jobId}.tar.gz` } })
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `results/${jobId}.tar.gz` }))
    // A 2 GiB result: random bytes do not compress.
    expect(head.ContentLength).toBeGreaterThan(INPUT_BYTES)
    expect(executions.find((execution) => execution.RunOutput)?.RunOutput?.ExitCode, JSON.stringify(executions.map((execution) => execution.RunOutput))).toBe(0)

    const cwd = await tempDir('shoal-s3-large-get-')
    try {
      const get = await runShoal(['job', 'get', jobId, '--output-dir', 'result'], { cwd, env: requester.env, timeoutMs: JOB_TIMEOUT_MS })
      expect(get.code, get.stderr).toBe(0)
      expect((await readFile(join(cwd, 'result', 'exitCode'), 'utf8')).trim()).toBe('0')
      const copy = await sha256File(join(cwd, 'result', 'outputs', 'data.bin'))
      expect(copy.bytes).toBe(INPUT_BYTES)
      expect(copy.sha256).toBe(inputSha256)
    } finally {
      await rm(cwd, { recursive: true, force: true })
    }

    expect(compute.process.running).toBe(true)
    process.stderr.write(`s3-large-data: compute node peak RSS ${mib(memory.peakRssBytes)} (${mib(before.rssBytes)} before the job)\n`)
    expect(memory.peakRssBytes, `compute node peak RSS ${mib(memory.peakRssBytes)} (${mib(before.rssBytes)} before the job; pids ${memory.pids.join(', ')})`).toBeLessThan(RSS_LIMIT_BYTES)
  })
})
