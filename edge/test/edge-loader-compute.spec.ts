/**
 * The edge compute node: the requester Durable Object runs WASM jobs in workers it loads through
 * the Worker Loader binding. The Worker and its object run in workerd (miniflare, on 127.0.0.1,
 * offline); jobs are submitted through the REST API as a user would. A second requester without
 * the binding (as on the Workers Free plan) starts and has no edge compute node.
 */
import { fileURLToPath } from 'node:url'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '@shoal/client'
import { ExecutionState } from '@shoal/models'
import { inlineWasmJob, waitForJobState, wasmFixture } from '../../test/support/index.ts'
import { buildTestWorker } from './workerd/build-test-worker.ts'

let script: string
const started: Miniflare[] = []

async function startRequester(network: string, withLoader: boolean): Promise<string> {
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: '2026-07-30',
    host: '127.0.0.1',
    port: 0,
    durableObjects: { REQUESTER: { className: 'RequesterObject', useSQLite: true } },
    ...(withLoader ? { workerLoaders: { LOADER: {} } } : {}),
    bindings: { SHOAL_NETWORK: network, SHOAL_LOG_LEVEL: 'info' },
  })
  started.push(mf)
  return (await mf.ready).toString().replace(/\/$/, '')
}

beforeAll(async () => {
  script = await buildTestWorker(fileURLToPath(new URL('../src/worker.ts', import.meta.url)))
})

afterAll(async () => {
  for (const mf of started) await mf.dispose()
})

describe('edge compute through the Worker Loader', () => {
  it('runs a WASI job submitted through the REST API on the edge compute node, to Completed with its stdout', async () => {
    const client = createClient({ baseUrl: await startRequester('loader-test', true) })
    const job = await client.putJob(inlineWasmJob(wasmFixture('hello'), { name: 'hello-edge', publisher: 'noop' }))
    const done = await waitForJobState(client, job.JobID, { timeoutMs: 60_000 })
    expect(done.State.StateType).toBe('Completed')
    const { Items } = await client.jobExecutions(job.JobID)
    expect(Items.map((e) => [e.NodeID, e.ComputeState.StateType, e.RunOutput?.Stdout, e.RunOutput?.ExitCode])).toEqual([
      ['n-edge-compute-loader-test', ExecutionState.Completed, 'hello from wasm\n', 0],
    ])
    const node = (await client.listNodes()).Nodes.find((n) => n.Info.NodeID === 'n-edge-compute-loader-test')
    expect(node?.Info.Labels?.runtime).toBe('edge')
    expect(node?.ConnectionState.Status).toBe('CONNECTED')
  })

  it('passes arguments and reports a non-zero exit code with its stderr, as the engine does on other nodes', async () => {
    const client = createClient({ baseUrl: await startRequester('loader-exit', true) })
    const job = await client.putJob(inlineWasmJob(wasmFixture('exit-code'), { publisher: 'noop', args: ['3'] }))
    await waitForJobState(client, job.JobID, { timeoutMs: 60_000 })
    const { Items } = await client.jobExecutions(job.JobID)
    expect(Items.map((e) => [e.NodeID, e.RunOutput?.ExitCode, e.RunOutput?.stderr])).toEqual([['n-edge-compute-loader-exit', 3, 'exiting with 3\n']])
  })

  it('without a LOADER binding the requester starts, lists no edge compute node, and a job finds no node', async () => {
    const client = createClient({ baseUrl: await startRequester('no-loader-test', false) })
    expect((await client.listNodes()).Nodes).toEqual([])
    const job = await client.putJob(inlineWasmJob(wasmFixture('hello'), { publisher: 'noop' }))
    const done = await waitForJobState(client, job.JobID, { timeoutMs: 60_000 })
    expect(done.State.StateType).toBe('Failed')
    expect((await client.listNodes()).Nodes).toEqual([])
  })
})
