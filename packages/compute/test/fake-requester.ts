/**
 * Test helpers: a scripted requester that speaks the compute protocol over a MemoryNetwork, a
 * scriptable Engine, a recording Publisher and job/execution factories.
 */
import { MemoryNetwork, type Connection, type Dialer, type Message, type MessageOf, type OutgoingMessage } from '@shoal/protocol'
import type { Clock, Engine, EngineRunRequest, EngineRunResult, AbortOptions, PublishRequest, Publisher, DirectoryNode, FileTreeNode } from '@shoal/interface'
import { memoryTree, readTreeIntoMemory, systemClock } from '@shoal/interface'
import type { Execution, Job, SpecConfig, Task } from '@shoal/models'
import { ComputeNode, NoopPublisher, type ComputeNodeInit } from '../src/index.ts'

type Type = Message['Type']

/** A requester double: accepts connections, answers handshakes, records and awaits messages. */
export class FakeRequester {
  readonly network: MemoryNetwork
  readonly address: string
  /** Every message received, in order, across connections. */
  readonly received: Message[] = []
  /** The current connection from the compute node. */
  connection?: Connection
  heartbeatIntervalMs = 20
  accept = true
  private readonly unread: Message[] = []
  private waiters: { match: (m: Message) => boolean; resolve: (m: Message) => void }[] = []
  private listener

  constructor(network = new MemoryNetwork(), address = 'requester') {
    this.network = network
    this.address = address
    this.listener = network.listener(address)
  }

  async start(): Promise<void> {
    this.listener = this.network.listener(this.address)
    await this.listener.start((connection) => {
      this.connection = connection
      void connection.send({ Type: 'Challenge', Nonce: 'fake-requester-nonce-0123456789', RequesterID: 'fake-requester' })
      connection.attach({
        onMessage: (message) => {
          this.received.push(message)
          if (message.Type === 'Handshake') {
            void connection.send({
              Type: 'HandshakeResponse',
              Accepted: this.accept,
              Reason: this.accept ? '' : 'not welcome',
              Membership: this.accept ? 'APPROVED' : 'REJECTED',
              HeartbeatIntervalMs: this.heartbeatIntervalMs,
              RequesterID: 'fake-requester',
            })
          }
          const index = this.waiters.findIndex((w) => w.match(message))
          if (index >= 0) this.waiters.splice(index, 1)[0].resolve(message)
          else this.unread.push(message)
        },
        onClose: () => {},
      })
    })
  }

  /** Stops listening and drops the current connection (the node sees the requester vanish). */
  async drop(): Promise<void> {
    await this.listener.stop()
    await this.connection?.close('requester went away')
  }

  async send(message: OutgoingMessage): Promise<void> {
    if (!this.connection) throw new Error('no compute node connected')
    await this.connection.send(message)
  }

  /** The next unread message of `type` matching `predicate` (consumed). */
  next<T extends Type>(type: T, predicate: (m: MessageOf<T>) => boolean = () => true): Promise<MessageOf<T>> {
    const match = (m: Message): boolean => m.Type === type && predicate(m as MessageOf<T>)
    const index = this.unread.findIndex(match)
    if (index >= 0) return Promise.resolve(this.unread.splice(index, 1)[0] as MessageOf<T>)
    return new Promise<MessageOf<T>>((resolve, reject) => {
      const waiter = { match, resolve: (m: Message) => { clearTimeout(timer); resolve(m as MessageOf<T>) } }
      // A failure bound, not a timing assertion: report what did arrive instead of hanging.
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter)
        reject(new Error(`no ${type} arrived; received: ${this.received.map((m) => m.Type).join(', ')}`))
      }, 3000)
      this.waiters.push(waiter)
    })
  }

  /** The next message about one execution. */
  nextFor<T extends Type>(type: T, executionId: string): Promise<MessageOf<T>> {
    return this.next(type, (m) => (m as { ExecutionID?: string }).ExecutionID === executionId)
  }

  /** Received messages about one execution, in order. */
  about(executionId: string): Message[] {
    return this.received.filter((m) => (m as { ExecutionID?: string }).ExecutionID === executionId)
  }

  /** Asks for a bid on `execution` and returns the BidResult. */
  async askForBid(execution: Execution, waitForApproval = false): Promise<MessageOf<'BidResult'>> {
    await this.send({ Type: 'AskForBid', ExecutionID: execution.ID, Execution: execution, WaitForApproval: waitForApproval })
    return this.nextFor('BidResult', execution.ID)
  }
}

/** A dialer that remembers the node's end of each connection (to inject raw frames). */
export function recordingDialer(network: MemoryNetwork): { dialer: Dialer; connections: Connection[] } {
  const inner = network.dialer('compute-node')
  const connections: Connection[] = []
  return {
    connections,
    dialer: {
      dial: async (address, options) => {
        const connection = await inner.dial(address, options)
        connections.push(connection)
        return connection
      },
    },
  }
}

/** A clock whose timers run `factor` times faster (so second-long timeouts take milliseconds). */
export function fastClock(factor = 0.01): Clock {
  return { ...systemClock, setTimeout: (fn, ms) => systemClock.setTimeout(fn, ms * factor) }
}

/** A promise with its resolver. */
export function deferred<T = unknown>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (err: unknown) => void } {
  let resolve!: (value: T) => void
  let reject!: (err: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** What a TestEngine run does, given the request and the signal. */
export type TestBehaviour = (request: EngineRunRequest, signal: AbortSignal | undefined) => Promise<EngineRunResult>

/**
 * An engine of type "test" implemented here: by default it echoes its inputs (file contents to
 * stdout, and the input tree into every ResultPath folder) and exits with Params.ExitCode.
 */
export class TestEngine implements Engine {
  readonly type: string
  readonly runs: EngineRunRequest[] = []
  readonly signals: (AbortSignal | undefined)[] = []
  behaviour: TestBehaviour

  constructor(type = 'test', behaviour: TestBehaviour = echo) {
    this.type = type
    this.behaviour = behaviour
  }

  run(request: EngineRunRequest, options: AbortOptions = {}): Promise<EngineRunResult> {
    this.runs.push(request)
    this.signals.push(options.signal)
    return this.behaviour(request, options.signal)
  }
}

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }
  return out
}

/** The echo behaviour of TestEngine. */
export const echo: TestBehaviour = async (request) => {
  const files: Uint8Array[] = []
  const tree: DirectoryNode = { kind: 'dir', entries: new Map() }
  for (const input of request.inputs) {
    if (input.volume.kind !== 'memory') throw new Error(`the echo engine mounts memory volumes, not ${input.volume.kind}`)
    const contents = input.volume.node
    const walk = (node: FileTreeNode): void => {
      if (node.kind === 'file') files.push(node.data)
      else for (const child of node.entries.values()) walk(child)
    }
    walk(contents)
    tree.entries.set(input.input.Target.split('/').filter(Boolean).join('_'), contents)
  }
  const outputs = new Map(request.task.ResultPaths.map((p) => [p.Name, memoryTree(tree)]))
  return {
    exitCode: Number(request.task.Engine.Params.ExitCode ?? 0),
    stdout: concat(files),
    stderr: new TextEncoder().encode(String(request.task.Engine.Params.Stderr ?? '')),
    stdoutTruncated: false,
    stderrTruncated: false,
    outputs,
  }
}

/** Waits until the signal aborts, then rejects with its reason (an engine honouring abort). */
export const untilAborted = (signal: AbortSignal | undefined): Promise<never> =>
  new Promise((_, reject) => {
    signal?.addEventListener('abort', () => reject(signal.reason), { once: true })
  })

/** A publisher that records what it was given. */
export class RecordingPublisher implements Publisher {
  readonly type: string
  /** What it was asked to publish, the result read into memory. */
  readonly requests: (Omit<PublishRequest, 'result'> & { result: DirectoryNode })[] = []
  failWith?: Error

  constructor(type = 'recording') {
    this.type = type
  }

  async publish(request: PublishRequest): Promise<SpecConfig> {
    const result = (await readTreeIntoMemory(request.result, { maxBytes: 1 << 30, tooLarge: () => new Error('test result too large') })) as DirectoryNode
    this.requests.push({ ...request, result })
    if (this.failWith) throw this.failWith
    return { Type: this.type, Params: { Key: `results/${request.executionId}` } }
  }
}

let counter = 0

/** A job with one task; `task` overrides task fields. */
export function makeJob(task: Partial<Task> = {}, job: Partial<Job> = {}): Job {
  const id = `j-test-${++counter}`
  return {
    ID: id,
    Name: id,
    Namespace: 'default',
    Type: 'batch',
    Priority: 0,
    Count: 1,
    Constraints: [],
    Meta: {},
    Labels: {},
    State: { StateType: 'Pending' },
    Version: 1,
    Revision: 1,
    CreateTime: 0,
    ModifyTime: 0,
    ...job,
    Tasks: [
      {
        Name: 'main',
        Engine: { Type: 'test', Params: {} },
        Publisher: { Type: 'noop', Params: {} },
        Env: {},
        Meta: {},
        InputSources: [],
        ResultPaths: [],
        Resources: { CPU: '1', Memory: '100Mb' },
        Network: { Type: 'None' },
        Timeouts: {},
        ...task,
      },
    ],
  }
}

/** An execution of `job` (carrying it, as AskForBid does). */
export function makeExecution(job: Job, partitionIndex = 0): Execution {
  return {
    ID: `e-test-${++counter}`,
    Namespace: job.Namespace,
    EvalID: 'v-test',
    Name: job.Name,
    NodeID: 'node-1',
    JobID: job.ID,
    Job: job,
    JobVersion: job.Version,
    PartitionIndex: partitionIndex,
    AllocatedResources: { Tasks: {} },
    DesiredState: { StateType: 1 },
    ComputeState: { StateType: 2 },
    PublishedResult: null,
    RunOutput: null,
    Revision: 1,
    CreateTime: 0,
    ModifyTime: 0,
  }
}

/** A connected node + requester pair; call `close()` at the end. */
export async function connectedNode(
  init: Partial<ComputeNodeInit> = {},
  requester = new FakeRequester(),
): Promise<{ node: ComputeNode; requester: FakeRequester; handshake: MessageOf<'Handshake'>; connections: Connection[]; close: () => Promise<void> }> {
  await requester.start()
  const { dialer, connections } = recordingDialer(requester.network)
  const node = new ComputeNode({
    nodeId: 'node-1',
    engines: [new TestEngine()],
    publishers: [new NoopPublisher()],
    capacity: { CPU: 2, Memory: 1_000_000_000, Disk: 10_000_000_000, GPU: 0 },
    dialer,
    requesterAddresses: [requester.address],
    reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
    ...init,
  })
  await node.start()
  const handshake = await requester.next('Handshake')
  // Messages sent by the node before it saw the HandshakeResponse would be lost: wait for it.
  await new Promise<void>((resolve) => {
    if (node.status === 'connected') return resolve()
    node.addEventListener('status', (event) => {
      if (event.detail.status === 'connected') resolve()
    })
  })
  return { node, requester, handshake, connections, close: () => node.stop() }
}
