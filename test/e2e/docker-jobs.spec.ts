// Docker jobs end to end: a real requester and a real `shoal serve --compute` process running
// containers on the machine's dockerd (.ci/run starts one), driven by the real `shoal` CLI over
// loopback. The image is the locally imported busybox of test/support/docker-image.ts: nothing
// is pulled (the node runs with --docker-pull never).
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Execution, Job, NodeState } from '@shoal/models'
import {
  killAllShoals,
  removeTempDirs,
  runShoal,
  shoalJson,
  startCompute,
  startRequester,
  tempDir,
  waitForComputeNodes,
  waitUntil,
  type ComputeProcess,
  type RequesterProcess,
} from '../support/index.ts'
import { containersLabelled, ensureTestImage } from '../support/docker-image.ts'

let requester: RequesterProcess
let compute: ComputeProcess
let image: string

const shoal = (args: string[], options: { cwd?: string } = {}) => runShoal(args, { ...options, env: requester.env, timeoutMs: 90_000 })

/** `shoal job run` of a one-task job that is meant to fail: its message, once its containers are gone. */
async function runFailingJob(name: string, task: Record<string, unknown>): Promise<string> {
  const cwd = await tempDir(`shoal-${name}-`)
  await writeFile(join(cwd, 'job.json'), JSON.stringify({ Name: name, Type: 'batch', Count: 1, Tasks: [{ Name: 'main', ...task }] }))
  const run = await shoal(['job', 'run', 'job.json'], { cwd })
  expect(run.code).not.toBe(0)
  const jobId = /Job ID: (j-[0-9a-f-]+)/.exec(run.stderr)![1]
  const described = await shoalJson<{ Job: Job; Executions: { Items: Execution[] } }>(['job', 'describe', jobId], { env: requester.env })
  expect(described.Job.State.StateType).toBe('Failed')
  // The engine removes the container after the kill; bounded wait for dockerd to finish it.
  await waitUntil(async () => (await containersLabelled(`shoal.node=${compute.nodeId}`)).length === 0, { timeoutMs: 30_000, intervalMs: 500, what: "the node's containers to be removed" })
  return described.Executions.Items[0].ComputeState.Message ?? ''
}

beforeAll(async () => {
  image = await ensureTestImage()
  // Generous start-up bounds: this file runs beside dockerd's own work on small CI machines.
  requester = await startRequester({ timeoutMs: 60_000 })
  compute = await startCompute(requester.wsMultiaddr, { args: ['--docker-pull', 'never'], timeoutMs: 60_000 })
  await waitForComputeNodes(requester.client, 1, { nodeIds: [compute.nodeId] })
}, 180_000)

afterAll(async () => {
  await compute?.process.stop()
  await requester?.process.stop()
  await killAllShoals()
  await removeTempDirs()
})

describe('docker jobs on a Node compute node', () => {
  it('offers the docker engine when dockerd answers', async () => {
    const nodes = await shoalJson<NodeState[]>(['node', 'list'], { env: requester.env })
    const node = nodes.find((n) => n.Info.NodeID === compute.nodeId)
    expect(node?.Info.ComputeNodeInfo?.ExecutionEngines).toContain('docker')
  })

  it("runs upstream's docker-output.yaml (its image swapped for the local one) and `job get` fetches the output the container wrote", async () => {
    const cwd = await tempDir('shoal-docker-output-')
    // testdata/jobs/docker-output.yaml of upstream, with the image this machine has.
    const spec = `Name: Docker Job with Output
Type: batch
Namespace: default
Count: 1
Tasks:
  - Name: main
    Engine:
      Type: docker
      Params:
        Image: ${image}
        Entrypoint:
          - /bin/sh
        Parameters:
          - -c
          - echo 15 > /output_custom/output.txt
    Publisher:
      Type: local
    ResultPaths:
      - Name: output_custom
        Path: /output_custom
`
    await writeFile(join(cwd, 'docker-output.yaml'), spec)
    const run = await shoal(['job', 'run', '--id-only', 'docker-output.yaml'], { cwd })
    expect(run.code, run.stderr).toBe(0)
    const jobId = run.stdout.trim()
    const job = await shoalJson<{ Job: Job }>(['job', 'describe', jobId], { env: requester.env })
    expect(job.Job.State.StateType).toBe('Completed')
    const get = await shoal(['job', 'get', jobId, '--output-dir', 'results'], { cwd })
    expect(get.code, get.stderr).toBe(0)
    expect(await readFile(join(cwd, 'results', 'output_custom', 'output.txt'), 'utf8')).toBe('15\n')
    expect((await readFile(join(cwd, 'results', 'exitCode'), 'utf8')).trim()).toBe('0')
  })

  it('`shoal docker run` runs a command in the image and prints its output, env and working directory included', async () => {
    const run = await shoal(['docker', 'run', '-e', 'GREETING=hello', '-w', '/tmp', image, '--', 'sh', '-c', 'echo "$GREETING from $(pwd) in $BACALHAU_JOB_ID"'])
    expect(run.code, run.stderr).toBe(0)
    const jobId = /Job ID: (j-[0-9a-f-]+)/.exec(run.stderr)?.[1]
    expect(run.stdout).toBe(`hello from /tmp in ${jobId}\n`)
  })

  it('kills a container that writes more than Resources.Disk to its ResultPaths: the job fails with the reason, nothing is left behind and the node runs the next job', async () => {
    const message = await runFailingJob('docker-disk', {
      // After writing it would sleep until its timeout: only the disk limit can end it sooner.
      Engine: { Type: 'docker', Params: { Image: image, Parameters: ['sh', '-c', 'dd if=/dev/zero of=/outputs/fill bs=1M count=64 2>/dev/null; sleep 600'] } },
      Resources: { Disk: '16Mi' },
      Publisher: { Type: 'local' },
      ResultPaths: [{ Name: 'outputs', Path: '/outputs' }],
      Timeouts: { ExecutionTimeout: 600 },
    })
    expect(message).toMatch(/disk limit exceeded: the container wrote more than Resources\.Disk \(16(\.0)? MiB\) to its ResultPaths \(at least .* found\) and was killed/)
    // Its output directory went with the execution.
    await waitUntil(async () => (await readdir(join(compute.dataDir, 'compute', 'volumes'))).length === 0, { timeoutMs: 30_000, intervalMs: 200, what: "the node's volumes to be released" })
    const next = await shoal(['docker', 'run', image, '--', 'echo', 'still serving'])
    expect(next.code, next.stderr).toBe(0)
    expect(next.stdout).toBe('still serving\n')
  })

  it('kills a container that runs past its ExecutionTimeout, fails the job as timed out and leaves no container behind', async () => {
    const message = await runFailingJob('docker-timeout', { Engine: { Type: 'docker', Params: { Image: image, Parameters: ['sleep', '600'] } }, Timeouts: { ExecutionTimeout: 3 } })
    expect(message).toMatch(/timed out after 3 ?s/)
  })
})
