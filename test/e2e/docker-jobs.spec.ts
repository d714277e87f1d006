// Docker jobs end to end: a real requester and a real `shoal serve --compute` process running
// containers on the machine's dockerd (.ci/run starts one), driven by the real `shoal` CLI over
// loopback. The image is the locally imported busybox of test/support/docker-image.ts: nothing
// is pulled (the node runs with --docker-pull never).
import { readFile, writeFile } from 'node:fs/promises'
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

beforeAll(async () => {
  image = await ensureTestImage()
  requester = await startRequester()
  compute = await startCompute(requester.wsMultiaddr, { args: ['--docker-pull', 'never'] })
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

  it('kills a container that runs past its ExecutionTimeout, fails the job as timed out and leaves no container behind', async () => {
    const cwd = await tempDir('shoal-docker-timeout-')
    const spec = {
      Name: 'docker-timeout',
      Type: 'batch',
      Count: 1,
      Tasks: [{ Name: 'main', Engine: { Type: 'docker', Params: { Image: image, Parameters: ['sleep', '600'] } }, Timeouts: { ExecutionTimeout: 3 } }],
    }
    await writeFile(join(cwd, 'timeout.json'), JSON.stringify(spec))
    const run = await shoal(['job', 'run', 'timeout.json'], { cwd })
    expect(run.code).not.toBe(0)
    const jobId = /Job ID: (j-[0-9a-f-]+)/.exec(run.stderr)![1]
    const described = await shoalJson<{ Job: Job; Executions: { Items: Execution[] } }>(['job', 'describe', jobId], { env: requester.env })
    expect(described.Job.State.StateType).toBe('Failed')
    expect(described.Executions.Items[0].ComputeState.Message).toMatch(/timed out after 3 ?s/)
    // The engine removes the container after the kill; bounded wait for dockerd to finish it.
    await waitUntil(async () => (await containersLabelled(`shoal.node=${compute.nodeId}`)).length === 0, { timeoutMs: 30_000, intervalMs: 500, what: 'the node\'s containers to be removed' })
  })
})
