// Job files in the shapes of upstream Bacalhau's testdata/jobs/docker*.{yaml,json} (our own
// files, in test/e2e/fixtures/docker-jobs; each names the upstream file it mirrors) run
// unchanged with `shoal job run <file>` on a real `shoal devstack --docker true` process using
// the machine's dockerd. The images they name (busybox:1.37.0, ubuntu:latest) are the tests'
// busybox imported under those names (no registry is reachable; an image already present under
// such a name is used as it is). The S3 job reads a prefix from a real S3 server that checks
// signatures (Ceph's radosgw on loopback); the devstack's compute node gets its endpoint and
// credentials through the AWS SDK's default chain. Upstream's own test (cmd/cli/job/run_test.go)
// waits for each to complete; these also check what each printed or published.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Execution, Job } from '@shoal/models'
import { REPO_ROOT, killAllShoals, removeTempDirs, runShoal, shoalJson, startDevstack, startRadosgw, tempDir, type Radosgw, type RequesterProcess } from '../support/index.ts'
import { containersLabelled, ensureBusyboxImage } from '../support/docker-image.ts'

const FIXTURES = join(REPO_ROOT, 'test', 'e2e', 'fixtures', 'docker-jobs')
const BUCKET = 'shoal-test-datasets'

let gw: Radosgw
let devstack: RequesterProcess
let dataDir: string

beforeAll(async () => {
  await ensureBusyboxImage('busybox:1.37.0')
  await ensureBusyboxImage('ubuntu:latest', { bash: true })
  gw = await startRadosgw()
  const s3 = new S3Client({
    region: gw.region,
    endpoint: gw.endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: gw.accessKeyId, secretAccessKey: gw.secretAccessKey },
  })
  try {
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }))
    const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }))
    await put('integration/set1/first.txt', 'one\n')
    await put('integration/set1/second.csv', 'a,b\n')
    await put('integration/set2/elsewhere.txt', 'not in set1\n')
  } finally {
    s3.destroy()
  }
  dataDir = await tempDir('shoal-upstream-docker-')
  devstack = await startDevstack({
    computes: 1,
    dataDir,
    args: ['--docker', 'true'],
    env: {
      AWS_ACCESS_KEY_ID: gw.accessKeyId,
      AWS_SECRET_ACCESS_KEY: gw.secretAccessKey,
      AWS_ENDPOINT_URL_S3: gw.endpoint,
      AWS_REGION: gw.region,
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      AWS_CONFIG_FILE: '/nonexistent',
    },
    timeoutMs: 60_000,
  })
}, 180_000)

afterAll(async () => {
  await devstack?.process.stop()
  await killAllShoals()
  await gw?.stop()
  await removeTempDirs()
})

/**
 * `shoal job run <fixture>` to its end: the job, the stdout its execution reported, and (when it
 * publishes) the directory `shoal job get` downloaded its result to.
 */
async function runFixture(file: string, options: { get?: boolean } = {}): Promise<{ job: Job; stdout: string; results: string }> {
  const cwd = await tempDir('shoal-upstream-docker-run-')
  const run = await runShoal(['job', 'run', '--id-only', join(FIXTURES, file)], { cwd, env: devstack.env, timeoutMs: 120_000 })
  expect(run.code, run.stderr).toBe(0)
  const jobId = run.stdout.trim()
  const { Job: job } = await shoalJson<{ Job: Job }>(['job', 'describe', jobId], { env: devstack.env })
  const executions = await shoalJson<Execution[]>(['job', 'executions', jobId], { env: devstack.env })
  expect(executions.length).toBe(1)
  if (options.get) {
    const get = await runShoal(['job', 'get', jobId, '--output-dir', 'results'], { cwd, env: devstack.env, timeoutMs: 60_000 })
    expect(get.code, get.stderr).toBe(0)
  }
  return { job, stdout: executions[0].RunOutput?.Stdout ?? '', results: join(cwd, 'results') }
}

const text = (path: string) => readFile(path, 'utf8')

describe("upstream's docker job files on a devstack with docker", { timeout: 180_000 }, () => {
  it('docker.yaml (upstream testdata/jobs/docker.yaml): completes, with the script\'s stdout', async () => {
    const { job, stdout } = await runFixture('docker.yaml')
    expect(job.State.StateType).toBe('Completed')
    expect(stdout).toBe('42\n')
  })

  it('docker-hello.yaml (upstream testdata/jobs/docker-hello.yaml): its lower-case keys parse and the greeting is printed', async () => {
    const { job, stdout } = await runFixture('docker-hello.yaml')
    expect(job.State.StateType).toBe('Completed')
    expect(job.Name).toBe('Shoal says hello')
    expect(job.Tasks[0].Name).toBe('The hello task')
    expect(stdout).toBe('Hello from a Shoal container!\n')
  })

  it('docker-output.yaml (upstream testdata/jobs/docker-output.yaml): the file written to the ResultPath is published and fetched', async () => {
    const { job, results } = await runFixture('docker-output.yaml', { get: true })
    expect(job.State.StateType).toBe('Completed')
    expect(await readdir(join(results, 'results_here'))).toEqual(['answer.txt'])
    expect(await text(join(results, 'results_here', 'answer.txt'))).toBe('42\n')
    expect((await text(join(results, 'exitCode'))).trim()).toBe('0')
  })

  it('docker-output.json (upstream testdata/jobs/docker-output.json): the JSON form, ubuntu:latest with /bin/bash, publishes the same', async () => {
    const { job, results } = await runFixture('docker-output.json', { get: true })
    expect(job.State.StateType).toBe('Completed')
    expect(await text(join(results, 'results_here', 'answer.txt'))).toBe('42\n')
  })

  it('docker-s3.yaml (upstream testdata/jobs/docker-s3.yaml): the objects under the s3 prefix are mounted at the Target, and only they', async () => {
    const { job, stdout } = await runFixture('docker-s3.yaml')
    expect(job.State.StateType).toBe('Completed')
    expect(stdout).toBe('first.txt\nsecond.csv\n')
  })

  it('leaves no container of the devstack behind', async () => {
    const nodes = await shoalJson<Array<{ Info: { NodeID: string; NodeType: string } }>>(['node', 'list'], { env: devstack.env })
    const computes = nodes.filter((node) => node.Info.NodeType === 'Compute').map((node) => node.Info.NodeID)
    expect(computes.length).toBe(1)
    expect(await containersLabelled(`shoal.node=${computes[0]}`)).toEqual([])
  })
})
