// Read-write inputs: mounted writable only when the provider can write back, committed after the run.
import { describe, expect, it } from 'vitest'
import { StorageError, type InputSource, type SpecConfig } from '@shoal/models'
import {
  memoryTree,
  readTreeIntoMemory,
  silentLogger,
  systemClock,
  type EngineRunResult,
  type FileTreeNode,
  type ReadableTree,
  type StorageContext,
  type StorageProvider,
  type Volume,
} from '@shoal/interface'
import { ExecutionLogStore, MemoryVolumeSpace, runExecution, type ExecutionOutcome } from '../src/index.ts'
import { RecordingPublisher, TestEngine, makeExecution, makeJob, untilAborted, type TestBehaviour } from './fake-requester.ts'

const encode = (value: string): Uint8Array => new TextEncoder().encode(value)
const file = (value: string): FileTreeNode => ({ kind: 'file', data: encode(value) })

/** A provider whose inputs hold "original" and which records every commit. */
class WritableStorage implements StorageProvider {
  readonly type: string
  readonly commits: { input: InputSource; contents: FileTreeNode; options: StorageContext }[] = []
  failWith?: Error
  constructor(type = 'writable') {
    this.type = type
  }
  async prepare(): Promise<Volume> {
    return { kind: 'memory', node: file('original') }
  }
  async commit(input: InputSource, tree: ReadableTree, options: StorageContext): Promise<void> {
    if (this.failWith) throw this.failWith
    const contents = await readTreeIntoMemory(tree, { maxBytes: 1 << 20, tooLarge: () => new Error('too large') })
    this.commits.push({ input, contents, options })
  }
}

/** A provider without commit. */
const readOnlyStorage: StorageProvider = { type: 'plain', prepare: async () => ({ kind: 'memory', node: file('plain') }) }

/** An engine that "writes" `changed` into every input it was given writable, and exits `exitCode`. */
const writer =
  (exitCode = 0): TestBehaviour =>
  async (request) => {
    const inputs = new Map<string, ReadableTree>()
    for (const input of request.inputs) if (input.readWrite) inputs.set(input.input.Target, memoryTree(file(`changed ${input.input.Target}`)))
    const result: EngineRunResult = { exitCode, stdout: new Uint8Array(), stderr: new Uint8Array(), stdoutTruncated: false, stderrTruncated: false, outputs: new Map() }
    return inputs.size > 0 ? { ...result, inputs } : result
  }

const source = (type: string, readWrite: boolean): SpecConfig => ({ Type: type, Params: { ReadWrite: readWrite } })

async function run(options: { engine: TestEngine; storage: WritableStorage; inputSources: InputSource[]; publisher?: RecordingPublisher; signal?: AbortSignal }): Promise<ExecutionOutcome> {
  const publisher = options.publisher ?? new RecordingPublisher()
  const job = makeJob({ InputSources: options.inputSources, Publisher: { Type: publisher.type, Params: {} } })
  return runExecution(
    {
      nodeId: 'node-1',
      execution: makeExecution(job),
      job,
      task: job.Tasks[0]!,
      resources: { CPU: 1, Memory: 100_000_000, Disk: 0, GPU: 0 },
      limits: { outputBytes: 1024, previewBytes: 1024 },
      onState: () => {},
      signal: options.signal ?? new AbortController().signal,
    },
    {
      engines: new Map([[options.engine.type, options.engine]]),
      storages: new Map<string, StorageProvider>([
        [options.storage.type, options.storage],
        [readOnlyStorage.type, readOnlyStorage],
      ]),
      publishers: new Map([[publisher.type, publisher]]),
      logs: new ExecutionLogStore({ maxCharsPerExecution: 10_000, maxExecutions: 10 }),
      space: new MemoryVolumeSpace(),
      clock: systemClock,
      logger: silentLogger,
    },
  )
}

describe('read-write inputs', () => {
  it('mounts writable only what asks for ReadWrite from a provider that can commit, and commits only those', async () => {
    const engine = new TestEngine('test', writer())
    const storage = new WritableStorage()
    const outcome = await run({
      engine,
      storage,
      inputSources: [
        { Source: source('writable', true), Alias: '', Target: '/rw' },
        { Source: source('writable', false), Alias: '', Target: '/ro' },
        { Source: source('plain', true), Alias: '', Target: '/plain' },
      ],
    })
    expect(outcome.kind).toBe('completed')
    expect(engine.runs[0]!.inputs.map((i) => [i.input.Target, i.readWrite])).toEqual([
      ['/rw', true],
      ['/ro', false],
      ['/plain', false],
    ])
    expect(storage.commits).toHaveLength(1)
    expect(storage.commits[0]!.input.Target).toBe('/rw')
    expect(storage.commits[0]!.contents).toEqual(file('changed /rw'))
    expect(storage.commits[0]!.options.jobId).toMatch(/^j-test-/)
  })

  it('commits before publishing, also after a non-zero exit code (the job ran to its end)', async () => {
    const order: string[] = []
    const storage = new WritableStorage()
    const commit = storage.commit.bind(storage)
    storage.commit = async (...args) => {
      order.push('commit')
      await commit(...args)
    }
    const publisher = new RecordingPublisher()
    const publish = publisher.publish.bind(publisher)
    publisher.publish = async (request) => {
      order.push('publish')
      return publish(request)
    }
    const outcome = await run({ engine: new TestEngine('test', writer(2)), storage, publisher, inputSources: [{ Source: source('writable', true), Alias: '', Target: '/rw' }] })
    expect(outcome).toMatchObject({ kind: 'completed', runOutput: { ExitCode: 2 } })
    expect(order).toEqual(['commit', 'publish'])
  })

  it('does not commit when the engine fails or the execution is cancelled', async () => {
    const inputSources = [{ Source: source('writable', true), Alias: '', Target: '/rw' }]
    const storage = new WritableStorage()
    const failing = await run({ engine: new TestEngine('test', async () => Promise.reject(new StorageError('boom'))), storage, inputSources })
    expect(failing.kind).toBe('failed')

    const controller = new AbortController()
    const hanging = run({ engine: new TestEngine('test', (_request, signal) => untilAborted(signal)), storage, inputSources, signal: controller.signal })
    controller.abort(new Error('stop'))
    expect((await hanging).kind).toBe('cancelled')
    expect(storage.commits).toEqual([])
  })

  it('fails the execution with a clear message when the write-back fails, and publishes nothing', async () => {
    const storage = new WritableStorage()
    storage.failWith = new StorageError('disk full', { hint: 'free space on the compute node' })
    const publisher = new RecordingPublisher()
    const outcome = await run({ engine: new TestEngine('test', writer()), storage, publisher, inputSources: [{ Source: source('writable', true), Alias: '', Target: '/rw' }] })
    const expected =
      'the job ran, but its changes to read-write InputSources[0] (writable, at /rw) could not be written back: disk full (free space on the compute node)'
    expect(outcome).toMatchObject({ kind: 'failed', errorCode: 'StorageError', message: expected, runOutput: { ExitCode: 0, ErrorMsg: expected } })
    expect(publisher.requests).toEqual([])
  })
})
