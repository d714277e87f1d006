/**
 * The real requester (scheduler, SQL job store) and a real ComputeNode speaking the compute
 * protocol over a MemoryNetwork: what a user sees after `job run`, `job stop` and `job logs`.
 */
import { readFile } from 'node:fs/promises'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ExecutionError, ExecutionState, type Execution, type JobStateType } from '@shoal/models'
import { createConsoleLogger, type Engine, type EngineRunRequest, type EngineRunResult, type Publisher, type StorageProvider } from '@shoal/interface'
import { MemoryNetwork } from '@shoal/protocol'
import { Requester, SqlJobStore, type RequesterConfig } from '@shoal/orchestrator'
import { createWasmEngine } from '@shoal/wasm'
// Node-only adapters, used by this test only (packages stay runtime-neutral).
import { createNodeSqliteDatabase } from '../../../node-runner/src/sqlite/node-sqlite-database.ts'
import { createNodeWorkerFactory } from '../../../node-runner/src/worker/index.ts'
import { ComputeNode, InlineStorage, NoopEngine, NoopPublisher, UrlDownloadStorage, UrlHostPolicy } from '../src/index.ts'
import { TestEngine, untilAborted } from './fake-requester.ts'

const ADDRESS = 'requester'
const stops: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
})

/**
 * A "docker"-typed test engine (validation only knows wasm, docker and noop) driven by
 * Parameters: ["echo", text...] prints, ["exit", n] exits with n, ["fail", message] is an
 * engine error, ["hang"] runs until cancelled.
 */
function scriptEngine(): TestEngine {
  return new TestEngine('docker', async (request: EngineRunRequest, signal): Promise<EngineRunResult> => {
    const [command, ...args] = (request.task.Engine.Params.Parameters as string[] | undefined) ?? []
    const result = (stdout: string, exitCode = 0): EngineRunResult => ({
      exitCode,
      stdout: new TextEncoder().encode(stdout),
      stderr: new Uint8Array(),
      stdoutTruncated: false,
      stderrTruncated: false,
      outputs: new Map(),
    })
    switch (command) {
      case 'echo':
        return result(args.join(' ') + '\n')
      case 'exit':
        return result('', Number(args[0]))
      case 'fail':
        throw new ExecutionError(args.join(' '))
      case 'hang':
        request.onLog?.({ stream: 1, data: new TextEncoder().encode('started\n') })
        return untilAborted(signal)
      default:
        throw new ExecutionError(`unknown script command ${command}`)
    }
  })
}

async function cluster(
  engines: Engine[] = [scriptEngine(), new NoopEngine()],
  options: { executionSlots?: number; requester?: RequesterConfig; storages?: StorageProvider[]; publishers?: Publisher[] } = {},
) {
  const network = new MemoryNetwork()
  const store = new SqlJobStore({ db: createNodeSqliteDatabase(':memory:') })
  const requester = new Requester({
    store,
    listeners: [network.listener(ADDRESS)],
    config: { nodeId: 'n-requester', heartbeatIntervalMs: 200, maxRetries: 0, ...options.requester },
    logger: process.env.DEBUG_TEST ? createConsoleLogger({ level: 'debug' }) : undefined,
  })
  await requester.start()
  stops.push(() => requester.stop())
  const node = new ComputeNode({
    nodeId: 'n-compute-1',
    engines,
    storages: options.storages ?? [new InlineStorage()],
    publishers: options.publishers ?? [new NoopPublisher()],
    capacity: { CPU: 2, Memory: 2_000_000_000, Disk: 0, GPU: 0 },
    executionSlots: options.executionSlots,
    dialer: network.dialer('n-compute-1'),
    requesterAddresses: [ADDRESS],
    reconnect: { initialDelayMs: 5, maxDelayMs: 50 },
    logger: process.env.DEBUG_TEST ? createConsoleLogger({ level: 'debug' }) : undefined,
  })
  const connected = new Promise<void>((resolve) =>
    node.addEventListener('status', (e) => {
      if (e.detail.status === 'connected') resolve()
    }),
  )
  await node.start()
  stops.push(() => node.stop())
  await connected
  // The requester has registered the node once it lists it as connected.
  await until(async () => (await requester.listNodes()).some((n) => n.Info.NodeID === 'n-compute-1' && n.ConnectionState.Status === 'CONNECTED'))

  const waitForJob = async (jobId: string, states: JobStateType[]): Promise<JobStateType> => {
    await until(async () => states.includes((await store.getJob(jobId)).State.StateType))
    return (await store.getJob(jobId)).State.StateType
  }
  const executions = async (jobId: string): Promise<Execution[]> => (await store.listExecutions({ jobId })).Items
  return { requester, store, node, waitForJob, executions }
}

/** Waits (bounded) until `check` holds. */
async function until(check: () => Promise<boolean>, turns = 2000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error('condition not reached')
}

const job = (engine: Record<string, unknown>, task: Record<string, unknown> = {}) => ({
  Name: `job-${crypto.randomUUID().slice(0, 8)}`,
  Type: 'batch',
  Count: 1,
  Tasks: [{ Name: 'main', Engine: engine, Publisher: { Type: 'noop' }, ...task }],
})

describe('ComputeNode with the real Requester', () => {
  it('a submitted job completes with the stdout, exit code and published result of the run', async () => {
    const { requester, waitForJob, executions } = await cluster()
    const { JobID } = await requester.submitJob(job({ Type: 'docker', Params: { Image: 'test/script', Parameters: ['echo', 'hello', 'shoal'] } }))
    expect(await waitForJob(JobID, ['Completed', 'Failed'])).toBe('Completed')
    const [execution] = await executions(JobID)
    expect(execution.ComputeState.StateType).toBe(ExecutionState.Completed)
    expect(execution.NodeID).toBe('n-compute-1')
    expect(execution.RunOutput).toMatchObject({ Stdout: 'hello shoal\n', ExitCode: 0, ErrorMsg: '' })
    expect(execution.PublishedResult).toEqual({ Type: 'noop', Params: {} })
  })

  it('a non-zero exit code completes the job with the exit code recorded', async () => {
    const { requester, waitForJob, executions } = await cluster()
    const { JobID } = await requester.submitJob(job({ Type: 'docker', Params: { Image: 'test/script', Parameters: ['exit', '7'] } }))
    expect(await waitForJob(JobID, ['Completed', 'Failed'])).toBe('Completed')
    expect((await executions(JobID))[0].RunOutput?.ExitCode).toBe(7)
  })

  it('the noop engine completes a job', async () => {
    const { requester, waitForJob } = await cluster()
    const { JobID } = await requester.submitJob(job({ Type: 'noop' }))
    expect(await waitForJob(JobID, ['Completed', 'Failed'])).toBe('Completed')
  })

  it('a failing engine fails the execution with its error message', async () => {
    const { requester, waitForJob, executions } = await cluster()
    const { JobID } = await requester.submitJob(job({ Type: 'docker', Params: { Image: 'test/script', Parameters: ['fail', 'image', 'exploded'] } }))
    expect(await waitForJob(JobID, ['Completed', 'Failed'])).toBe('Failed')
    const [execution] = await executions(JobID)
    expect(execution.ComputeState.StateType).toBe(ExecutionState.Failed)
    expect(execution.RunOutput?.ErrorMsg).toBe('docker engine failed: image exploded')
  })

  it('stopJob cancels a running job on the node', async () => {
    const engine = scriptEngine()
    const { requester, node, waitForJob, executions } = await cluster([engine])
    const { JobID } = await requester.submitJob(job({ Type: 'docker', Params: { Image: 'test/script', Parameters: ['hang'] } }))
    await waitForJob(JobID, ['Running'])
    await until(async () => (await executions(JobID))[0]?.ComputeState.StateType === ExecutionState.Running)

    const lines: string[] = []
    for await (const line of requester.logs(JobID, { follow: false })) lines.push(line.Line)
    expect(lines).toEqual(['started\n'])

    await requester.stopJob(JobID, 'user asked')
    expect(await waitForJob(JobID, ['Stopped'])).toBe('Stopped')
    await until(async () => engine.signals[0]?.aborted === true && node.executions().length === 0)
    expect((await executions(JobID))[0].ComputeState.StateType).not.toBe(ExecutionState.Completed)
  })

  it('two endless WASM jobs on a 2-worker node: no room is advertised, a third waits queued on the node (not Running), and the default ExecutionTimeout ends them', async () => {
    // The node's CPU (2) admits four default 0.5-CPU jobs, but only 2 workers can run them.
    const wasm = createWasmEngine({ workerFactory: createNodeWorkerFactory(), poolSize: 2 })
    stops.push(async () => void (await wasm.stop?.()))
    // Jobs set no ExecutionTimeout: the requester's default (shortened here from 10 min) applies.
    const { requester, node, waitForJob, executions } = await cluster([wasm], { executionSlots: 2, requester: { defaultExecutionTimeoutS: 3 } })
    const inline = async (fixture: string) => {
      const bytes = new Uint8Array(await readFile(new URL(`../../wasm/test/fixtures/${fixture}`, import.meta.url)))
      return { InputSources: [{ Source: { Type: 'inline', Params: { URL: `data:application/wasm;base64,${btoa(String.fromCharCode(...bytes))}` } }, Target: '/app/main.wasm' }] }
    }
    const wasmJob = async (fixture: string) => job({ Type: 'wasm', Params: { EntryModule: '/app/main.wasm' } }, await inline(fixture))
    const endless = [(await requester.submitJob(await wasmJob('loop.wasm'))).JobID, (await requester.submitJob(await wasmJob('loop.wasm'))).JobID]
    await until(async () => node.executions().filter((e) => e.phase === 'running').length === 2)
    const zero = { CPU: 0, Memory: 0, Disk: 0, GPU: 0 }
    expect(node.nodeInfo().ComputeNodeInfo!.AvailableCapacity).toEqual(zero)
    // The requester hears it in the next heartbeat.
    await until(async () => (await requester.listNodes())[0].Info.ComputeNodeInfo?.AvailableCapacity.CPU === 0)

    // The third waits in the node's queue, not on a worker: it is not reported Running.
    const third = (await requester.submitJob(await wasmJob('hello.wasm'))).JobID
    await until(async () => node.executions().some((e) => e.phase === 'queued'))
    expect(node.executions().filter((e) => e.phase === 'running')).toHaveLength(2)
    expect((await executions(third)).map((e) => e.ComputeState.StateType)).not.toContain(ExecutionState.Running)

    // The default ExecutionTimeout ends the endless jobs, with the reason; the third then runs.
    for (const id of endless) {
      expect(await waitForJob(id, ['Completed', 'Failed'])).toBe('Failed')
      const [execution] = await executions(id)
      expect(execution.ComputeState.StateType).toBe(ExecutionState.Failed)
      expect(execution.RunOutput?.ErrorMsg).toContain('timed out after 3 s (Timeouts.ExecutionTimeout)')
    }
    expect(await waitForJob(third, ['Completed', 'Failed'])).toBe('Completed')
    expect((await executions(third)).find((e) => e.ComputeState.StateType === ExecutionState.Completed)?.RunOutput).toMatchObject({ Stdout: 'hello from wasm\n' })
  })

  it('runs a WASM module through the real wasm engine', async () => {
    const wasm = createWasmEngine({ workerFactory: createNodeWorkerFactory(), poolSize: 1 })
    stops.push(async () => void (await wasm.stop?.()))
    const { requester, waitForJob, executions } = await cluster([wasm])
    const bytes = new Uint8Array(await readFile(new URL('../../wasm/test/fixtures/hello.wasm', import.meta.url)))
    const { JobID } = await requester.submitJob(
      job(
        { Type: 'wasm', Params: { EntryModule: '/app/main.wasm' } },
        { InputSources: [{ Source: { Type: 'inline', Params: { URL: `data:application/wasm;base64,${btoa(String.fromCharCode(...bytes))}` } }, Target: '/app/main.wasm' }] },
      ),
    )
    expect(await waitForJob(JobID, ['Completed', 'Failed'])).toBe('Completed')
    expect((await executions(JobID))[0].RunOutput).toMatchObject({ Stdout: 'hello from wasm\n', ExitCode: 0 })
  })

  describe('progress of inputs and publishing', () => {
    /** Resolves the returned `release` once called; a gate the test opens, never a timer. */
    const gate = () => {
      let release!: () => void
      const opened = new Promise<void>((resolve) => (release = resolve))
      return { opened, release }
    }

    it('a URL input that downloads slowly shows its bytes done and total as the execution message, then the run; the job history keeps no figures', { timeout: 30_000 }, async () => {
      const MiB = 1024 * 1024
      const rest = gate()
      // A loopback server that sends 1 MiB of a 4 MiB file, then holds the rest until the test has seen the figure.
      const server = createServer((request, response: ServerResponse) => {
        response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(4 * MiB) })
        response.write(new Uint8Array(MiB))
        void rest.opened.then(() => response.end(new Uint8Array(3 * MiB)))
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      stops.push(async () => {
        rest.release()
        server.closeAllConnections()
        await new Promise((resolve) => server.close(resolve))
      })
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/data.bin`
      const storages = [new InlineStorage(), new UrlDownloadStorage({ policy: new UrlHostPolicy({ allowHosts: ['127.0.0.1'] }) })]
      const { requester, store, waitForJob, executions } = await cluster([scriptEngine()], { storages })
      const { JobID } = await requester.submitJob(
        job({ Type: 'docker', Params: { Image: 'test/script', Parameters: ['hang'] } }, { InputSources: [{ Target: '/inputs', Source: { Type: 'urlDownload', Params: { URL: url } } }] }),
      )
      const message = async () => (await executions(JobID))[0]?.ComputeState
      // The figure after the first megabyte: the last one the node reports while the server holds the rest.
      await until(async () => (await message())?.Message === `downloading InputSources[0] (urlDownload ${url}): 1.0 MiB of 4.0 MiB (25%)`)
      expect((await message())?.StateType).toBe(ExecutionState.Running)

      rest.release()
      await until(async () => (await message())?.Message === 'running on n-compute-1')
      await requester.stopJob(JobID, 'seen enough')
      await waitForJob(JobID, ['Stopped'])
      const history = (await store.getHistory(JobID)).Items.map((item) => item.Event?.Message ?? '')
      expect(history.filter((text) => text.includes('MiB'))).toEqual([])
    })

    it('a publisher that reports bytes shows them while the execution is Publishing', { timeout: 30_000 }, async () => {
      const finish = gate()
      const publisher: Publisher = {
        type: 'local',
        async publish(request) {
          request.onProgress?.({ type: 'bytes', detail: { label: `publishing ${request.executionId}.tar.gz`, done: 3 * 1024 * 1024, total: 12 * 1024 * 1024 } })
          await finish.opened
          return { Type: 'local', Params: { URL: 'http://127.0.0.1/results/x.tar.gz' } }
        },
      }
      stops.push(async () => finish.release())
      const { requester, waitForJob, executions } = await cluster([scriptEngine()], { publishers: [publisher] })
      const { JobID } = await requester.submitJob({
        ...job({ Type: 'docker', Params: { Image: 'test/script', Parameters: ['echo', 'hi'] } }),
        Tasks: [{ Name: 'main', Engine: { Type: 'docker', Params: { Image: 'test/script', Parameters: ['echo', 'hi'] } }, Publisher: { Type: 'local' } }],
      })
      await until(async () => /^publishing e-[^ ]+\.tar\.gz: 3\.0 MiB of 12\.0 MiB \(25%\)$/.test((await executions(JobID))[0]?.ComputeState.Message ?? ''))
      expect((await executions(JobID))[0].ComputeState.StateType).toBe(ExecutionState.Publishing)
      finish.release()
      expect(await waitForJob(JobID, ['Completed', 'Failed'])).toBe('Completed')
    })
  })
})
