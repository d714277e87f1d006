// The jobs upstream's `bacalhau wasm run main.wasm` builds (module inline at the relative Target
// main.wasm, EntryModule main.wasm; a tar.gz of the module when it is over 512 bytes) run
// unchanged on a real `shoal serve --compute` node, submitted over the REST API as the Go client
// sends them and with `shoal job run`; a ".." path is refused at submission with its field path.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Execution } from '@shoal/models'
import {
  killAllShoals,
  removeTempDirs,
  runShoal,
  shoalJson,
  startCompute,
  startRequester,
  tempDir,
  upstreamWasmRunJob,
  waitForComputeNodes,
  waitForJobState,
  wasmFixture,
  type RequesterProcess,
} from '../support/index.ts'

let requester: RequesterProcess
let work: string

/** PUT /api/v1/orchestrator/jobs with the body upstream's Go client sends. */
async function putJob(job: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${requester.apiUrl}/api/v1/orchestrator/jobs`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ Job: job, Force: false }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

async function runOutputs(jobId: string): Promise<Execution['RunOutput'][]> {
  const executions = await shoalJson<Execution[]>(['job', 'executions', jobId], { env: requester.env })
  return executions.map((execution) => execution.RunOutput)
}

beforeAll(async () => {
  work = await tempDir('shoal-upstream-wasm-')
  requester = await startRequester()
  const compute = await startCompute(requester.wsMultiaddr)
  await waitForComputeNodes(requester.client, 1, { nodeIds: [compute.nodeId] })
})

afterAll(async () => {
  await requester?.process.stop()
  await killAllShoals()
  await removeTempDirs()
})

describe("upstream's `bacalhau wasm run` job shapes on a Node compute node", () => {
  it('runs a module over 512 bytes sent as a tar.gz at Target main.wasm, submitted over the REST API', async () => {
    const job = upstreamWasmRunJob(wasmFixture('hello'))
    expect(JSON.stringify(job)).toContain('"URL":"data:application/gzip;base64,')
    const put = await putJob(job)
    expect(put.status, JSON.stringify(put.body)).toBe(200)
    const jobId = put.body.JobID as string
    expect((await waitForJobState(requester.client, jobId)).State.StateType).toBe('Completed')
    expect(await runOutputs(jobId)).toMatchObject([{ Stdout: 'hello from wasm\n', ExitCode: 0 }])
    // The spec is kept as submitted: the relative paths are resolved against / only when mounted.
    const { Job: stored } = await requester.client.getJob(jobId)
    expect(stored.Tasks[0].InputSources[0].Target).toBe('main.wasm')
    expect(stored.Tasks[0].Engine.Params.EntryModule).toBe('main.wasm')
  })

  it('runs a small plain inline module with an import module at the relative Target lib.wasm', async () => {
    const job = upstreamWasmRunJob(wasmFixture('uses-lib'), { importModules: [{ path: wasmFixture('lib'), target: 'lib.wasm' }] })
    expect(JSON.stringify(job)).toContain('"URL":"data:application/wasm;base64,')
    const put = await putJob(job)
    expect(put.status, JSON.stringify(put.body)).toBe(200)
    const jobId = put.body.JobID as string
    expect((await waitForJobState(requester.client, jobId)).State.StateType).toBe('Completed')
    // uses-lib exits with lib.wasm's add(40, 2).
    expect(await runOutputs(jobId)).toMatchObject([{ ExitCode: 42 }])
  })

  it('runs the same job spec file with `shoal job run`', async () => {
    const path = join(work, 'hello-upstream.json')
    await writeFile(path, JSON.stringify(upstreamWasmRunJob(wasmFixture('hello'))))
    const run = await runShoal(['job', 'run', path], { env: requester.env })
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain('hello from wasm\n')
  })
})

describe('paths with ".." are refused at submission, naming the field', () => {
  const climbing = (edit: (task: Record<string, any>) => void): Record<string, unknown> => {
    const job = upstreamWasmRunJob(wasmFixture('hello'))
    edit((job.Tasks as Record<string, any>[])[0])
    return job
  }
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['an input Target', climbing((task) => (task.InputSources[0].Target = '../main.wasm')), 'Tasks[0].InputSources[0].Target: must not contain ".." (have: ../main.wasm)'],
    ['a ResultPath Name', climbing((task) => ((task.Publisher = { Type: 'local' }), (task.ResultPaths = [{ Name: 'out/../..', Path: '/outputs' }]))), 'Tasks[0].ResultPaths[0].Name: must not contain ".." (have: out/../..)'],
    ['a ResultPath Path', climbing((task) => ((task.Publisher = { Type: 'local' }), (task.ResultPaths = [{ Name: 'outputs', Path: '/outputs/../..' }]))), 'Tasks[0].ResultPaths[0].Path: must not contain ".." (have: /outputs/../..)'],
    ['the EntryModule', climbing((task) => (task.Engine.Params.EntryModule = 'main.wasm/../../main.wasm')), 'Tasks[0].Engine.Params.EntryModule: must not contain ".." (have: main.wasm/../../main.wasm)'],
  ]

  it.each(cases)('%s: the REST API answers 400 and runs nothing', async (_what, job, message) => {
    const put = await putJob(job)
    expect(put.status).toBe(400)
    expect(put.body.Message).toContain(message)
  })

  it('`shoal job run` exits 1 with the field path, and no job was created', async () => {
    const path = join(work, 'climbing.json')
    await writeFile(path, JSON.stringify(cases[0][1]))
    const before = (await requester.client.listJobs()).Items.length
    const run = await runShoal(['job', 'run', path], { env: requester.env })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(cases[0][2])
    expect((await requester.client.listJobs()).Items).toHaveLength(before)
  })
})
