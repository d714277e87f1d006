// S3 against a real S3 implementation that checks SigV4 (Ceph's radosgw, one mon and one
// memstore OSD on loopback): `s3` inputs (a key, a filtered prefix, ChecksumSHA256), an
// `s3PreSigned` input, the `s3` publisher and `shoal job get` of its result, and a node with a
// wrong secret failing the job with the reason. Credentials reach the compute nodes through the
// AWS SDK's default chain (AWS_* environment variables, AWS_ENDPOINT_URL_S3).
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fileNode, memoryTree } from '@shoal/interface'
import type { Job } from '@shoal/models'
import { S3Publisher } from '../../node-runner/src/publisher/s3-publisher.ts'
import { S3ClientProvider } from '../../node-runner/src/storage/s3-client-provider.ts'
import {
  inlineWasmJob,
  killAllShoals,
  removeTempDirs,
  runShoal,
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

const INPUTS = 'shoal-inputs'
const RESULTS = 'shoal-results'
const SINGLE = 'single/hello.txt'
const SINGLE_TEXT = 'hello from s3\n'

let gw: Radosgw
let s3: S3Client
let requester: RequesterProcess
let good: ComputeProcess
let wrong: ComputeProcess

/** The AWS SDK default-chain environment of a compute node. */
const awsEnv = (secret: string) => ({
  AWS_ACCESS_KEY_ID: gw.accessKeyId,
  AWS_SECRET_ACCESS_KEY: secret,
  AWS_ENDPOINT_URL_S3: gw.endpoint,
  AWS_REGION: gw.region,
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  AWS_CONFIG_FILE: '/nonexistent',
})

/** A `cat` WASM job over `args` with extra inputs, sent to the node labelled `creds`. */
function catJob(args: string[], inputs: unknown[], creds: 'good' | 'wrong' = 'good', publisher?: unknown): Record<string, unknown> {
  const job = inlineWasmJob(wasmFixture('cat'), { args }) as { Tasks: { InputSources: unknown[]; Publisher: unknown }[]; Constraints?: unknown[] }
  job.Tasks[0].InputSources.push(...inputs)
  if (publisher) job.Tasks[0].Publisher = publisher
  job.Constraints = [{ Key: 'creds', Operator: '=', Values: [creds] }]
  return job
}

/** Runs a job to its end and returns it. */
async function run(job: Record<string, unknown>) {
  const { JobID } = await requester.client.putJob(job)
  const done = await waitForJobState(requester.client, JobID, { timeoutMs: 90_000 })
  const { Items } = await requester.client.jobExecutions(JobID)
  return { JobID, done, executions: Items }
}

beforeAll(async () => {
  gw = await startRadosgw()
  s3 = new S3Client({
    region: gw.region,
    endpoint: gw.endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: gw.accessKeyId, secretAccessKey: gw.secretAccessKey },
  })
  await s3.send(new CreateBucketCommand({ Bucket: INPUTS }))
  await s3.send(new CreateBucketCommand({ Bucket: RESULTS }))
  const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: INPUTS, Key, Body }))
  await put(SINGLE, SINGLE_TEXT)
  await put('set/a.txt', 'A\n')
  await put('set/b.txt', 'B\n')
  await put('set/skip.log', 'not wanted\n')
  await put('set/sub/c.txt', 'C\n')
  // With credentials the requester presigns s3 results for `job get`, as upstream's does.
  requester = await startRequester({ env: awsEnv(gw.secretAccessKey), timeoutMs: 60_000 })
  ;[good, wrong] = await Promise.all([
    startCompute(requester.wsMultiaddr, { labels: { creds: 'good' }, env: awsEnv(gw.secretAccessKey), args: ['--allow-url-hosts', '127.0.0.1'], timeoutMs: 60_000 }),
    startCompute(requester.wsMultiaddr, { labels: { creds: 'wrong' }, env: awsEnv('0'.repeat(40)), timeoutMs: 60_000 }),
  ])
  await waitForComputeNodes(requester.client, 2, { nodeIds: [good.nodeId, wrong.nodeId], timeoutMs: 60_000 })
}, 240_000)

afterAll(async () => {
  await good?.process.stop()
  await wrong?.process.stop()
  await requester?.process.stop()
  s3?.destroy()
  await killAllShoals()
  await gw?.stop()
  await removeTempDirs()
})

/** The stdout of a completed job, via `shoal job get`. */
async function stdoutOf(jobId: string): Promise<string> {
  const out = join(await tempDir('shoal-s3-get-'), 'r')
  const get = await runShoal(['job', 'get', jobId, '--output-dir', out], { env: requester.env })
  expect(get.code, get.stderr).toBe(0)
  return readFile(join(out, 'stdout'), 'utf8')
}

describe('s3 inputs on a Node compute node', () => {
  it('mounts an object (checksum verified) and a filtered prefix, below the prefix directory, for a WASM job', async () => {
    const sha256 = createHash('sha256').update(SINGLE_TEXT).digest('hex')
    const job = catJob(
      ['/single/hello.txt', '/set/a.txt', '/set/b.txt', '/set/sub/c.txt'],
      [
        { Target: '/single', Source: { Type: 's3', Params: { Bucket: INPUTS, Key: SINGLE, ChecksumSHA256: sha256 } } },
        { Target: '/set', Source: { Type: 's3', Params: { Bucket: INPUTS, Key: 'set/', Filter: '^(?!skip)' } } },
      ],
    )
    const { JobID, done } = await run(job)
    expect(done.State?.StateType, JSON.stringify(done.State)).toBe('Completed')
    expect(await stdoutOf(JobID)).toBe(`${SINGLE_TEXT}A\nB\nC\n`)
  })

  it('leaves out what the Filter does not match', async () => {
    const job = catJob(['/set/skip.log'], [{ Target: '/set', Source: { Type: 's3', Params: { Bucket: INPUTS, Key: 'set/', Filter: '\\.txt$' } } }])
    const { done, executions } = await run(job)
    // cat exits non-zero on a missing file: the filtered object is not there.
    const exitCode = executions.map((execution) => execution.RunOutput?.ExitCode)
    expect(done.State?.StateType === 'Failed' || exitCode.some((code) => code !== 0), JSON.stringify({ state: done.State, exitCode })).toBe(true)
  })

  it('fails the job with the reason when ChecksumSHA256 does not match', async () => {
    const job = catJob(['/single/hello.txt'], [{ Target: '/single', Source: { Type: 's3', Params: { Bucket: INPUTS, Key: SINGLE, ChecksumSHA256: 'f'.repeat(64) } } }])
    const { done, executions } = await run(job)
    expect(done.State?.StateType).toBe('Failed')
    const reasons = JSON.stringify([done.State, executions.map((execution) => execution.ComputeState)])
    expect(reasons).toContain('checksum mismatch for s3://shoal-inputs/single/hello.txt')
  })

  it('fails the job with a reason naming the bucket and endpoint when the secret is wrong', async () => {
    const job = catJob(['/single/hello.txt'], [{ Target: '/single', Source: { Type: 's3', Params: { Bucket: INPUTS, Key: SINGLE } } }], 'wrong')
    const { done, executions } = await run(job)
    expect(done.State?.StateType).toBe('Failed')
    const reasons = JSON.stringify([done.State, executions.map((execution) => execution.ComputeState)])
    expect(reasons).toContain(`s3://${INPUTS}/${SINGLE} at ${gw.endpoint} failed: the credentials were refused`)
  })

  it('downloads an s3PreSigned input through its URL', async () => {
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: INPUTS, Key: SINGLE }), { expiresIn: 600 })
    const job = catJob(['/signed/hello.txt'], [{ Target: '/signed', Source: { Type: 's3PreSigned', Params: { Bucket: INPUTS, Key: SINGLE, PreSignedURL: url } } }])
    const { JobID, done } = await run(job)
    expect(done.State?.StateType, JSON.stringify(done.State)).toBe('Completed')
    expect(await stdoutOf(JobID)).toBe(SINGLE_TEXT)
  })
})

describe('the s3 publisher', () => {
  it('uploads the result archive under the templated key and `shoal job get` downloads it through the URL the requester presigns', async () => {
    const job = catJob(['/single/hello.txt'], [{ Target: '/single', Source: { Type: 's3', Params: { Bucket: INPUTS, Key: SINGLE } } }], 'good', {
      Type: 's3',
      Params: { Bucket: RESULTS, Key: 'results/{jobID}/{executionID}' },
    })
    const { JobID, done, executions } = await run(job)
    expect(done.State?.StateType, JSON.stringify(done.State)).toBe('Completed')
    const published = executions.find((execution) => execution.PublishedResult?.Type)?.PublishedResult
    const key = `results/${JobID}/${executions[0]!.ID}.tar.gz`
    expect(published).toMatchObject({ Type: 's3', Params: { Bucket: RESULTS, Key: key } })
    const head = await s3.send(new HeadObjectCommand({ Bucket: RESULTS, Key: key }))
    expect(head.ContentLength).toBeGreaterThan(0)

    // The requester hands out a presigned URL: the CLI has no AWS credentials of its own.
    const { Items: results } = await requester.client.jobResults(JobID)
    expect(results).toMatchObject([{ Type: 's3PreSigned', Params: { Bucket: RESULTS, Key: key, Managed: false } }])
    expect(String(results[0]!.Params.PreSignedURL)).toContain('X-Amz-Signature=')
    const out = join(await tempDir('shoal-s3-get-'), 'r')
    const get = await runShoal(['job', 'get', JobID, '--output-dir', out], { env: requester.env })
    expect(get.code, get.stderr).toBe(0)
    expect(await readFile(join(out, 'stdout'), 'utf8')).toBe(SINGLE_TEXT)
  })

  it('uploads each file as its own object with Encoding "plain"', async () => {
    const job = catJob(['/single/hello.txt'], [{ Target: '/single', Source: { Type: 's3', Params: { Bucket: INPUTS, Key: SINGLE } } }], 'good', {
      Type: 's3',
      Params: { Bucket: RESULTS, Key: 'plain/{jobID}', Encoding: 'plain' },
    })
    const { JobID, done } = await run(job)
    expect(done.State?.StateType, JSON.stringify(done.State)).toBe('Completed')
    const object = await s3.send(new GetObjectCommand({ Bucket: RESULTS, Key: `plain/${JobID}/stdout` }))
    expect(await object.Body!.transformToString()).toBe(SINGLE_TEXT)
  })
})

describe('the s3 publisher in parts (in this process, against the same radosgw)', () => {
  const MIB = 1024 ** 2
  /** Publishes one file of `bytes` random bytes with 5 MiB parts (S3's smallest) and reads it back. */
  async function roundTrip(bytes: number): Promise<{ same: boolean; etag?: string; openUploads: number }> {
    const env = awsEnv(gw.secretAccessKey)
    const saved = { ...process.env }
    // The provider's credentials come from the SDK's default chain, which reads process.env.
    Object.assign(process.env, env)
    const clients = new S3ClientProvider({ env })
    try {
      const data = new Uint8Array(randomBytes(bytes))
      const publisher = new S3Publisher({ clients, partSize: 5 * MIB })
      const job = { ID: `j-parts-${bytes}` } as Job
      await publisher.publish({
        executionId: 'e-parts',
        nodeId: 'n-parts',
        job,
        spec: { Type: 's3', Params: { Bucket: RESULTS, Key: 'parts/{jobID}', Encoding: 'plain' } },
        result: memoryTree({ kind: 'dir', entries: new Map([['data.bin', fileNode(data)]]) }),
      })
      const object = await s3.send(new GetObjectCommand({ Bucket: RESULTS, Key: `parts/${job.ID}/data.bin` }))
      const back = await object.Body!.transformToByteArray()
      const open = await s3.send(new ListMultipartUploadsCommand({ Bucket: RESULTS, Prefix: `parts/${job.ID}/` }))
      return { same: Buffer.from(back).equals(Buffer.from(data)), etag: object.ETag, openUploads: open.Uploads?.length ?? 0 }
    } finally {
      clients.destroy()
      process.env = saved
    }
  }

  it('uploads a stream longer than a part as a multipart upload, byte for byte, and leaves no upload open', async () => {
    const result = await roundTrip(12 * MIB + 123)
    expect(result.same).toBe(true)
    // A multipart object's ETag ends in -<parts>.
    expect(result.etag).toMatch(/-3"?$/)
    expect(result.openUploads).toBe(0)
  })

  it('uploads a stream of exactly two parts', async () => {
    const result = await roundTrip(10 * MIB)
    expect(result.same).toBe(true)
    expect(result.etag).toMatch(/-2"?$/)
  })

  it('uploads a stream shorter than a part as one PutObject', async () => {
    const result = await roundTrip(MIB)
    expect(result.same).toBe(true)
    expect(result.etag).not.toMatch(/-\d+"?$/)
  })
})

describe("upstream's docker-s3.yaml", () => {
  it('validates unchanged (running it needs the docker engine)', async () => {
    const dir = await tempDir('shoal-s3-yaml-')
    // The shape of upstream's testdata/jobs/docker-s3.yaml: a docker task with an s3 prefix input.
    const yaml = [
      'Name: Docker Job with S3',
      'Type: batch',
      'Namespace: default',
      'Count: 1',
      'Tasks:',
      '  - Name: main',
      '    Engine:',
      '      Type: docker',
      '      Params:',
      '        Image: busybox:1.37.0',
      '        Entrypoint:',
      '          - /bin/sh',
      '        Parameters:',
      '          - -c',
      '          - ls /input_custom',
      '    InputSources:',
      '      - Alias: input_custom',
      '        Target: /input_custom',
      '        Source:',
      '          Type: s3',
      '          Params:',
      '            Bucket: bacalhau-test-datasets',
      '            Key: integration-tests-do-not-delete/set1/',
      '            Region: eu-west-1',
      '',
    ].join('\n')
    await writeFile(join(dir, 'docker-s3.yaml'), yaml)
    const validated = await runShoal(['job', 'validate', join(dir, 'docker-s3.yaml')], { env: requester.env })
    expect(validated.code, validated.stdout + validated.stderr).toBe(0)
  })
})
