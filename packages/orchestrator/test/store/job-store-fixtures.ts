/** Builders of well-formed jobs, executions, evaluations and nodes for JobStore tests. */
import { ExecutionDesiredState, ExecutionState } from '@shoal/models'
import type { Evaluation, Execution, Job, NodeState } from '@shoal/models'
import type { Clock } from '@shoal/interface'

/** A clock that only moves when told to. */
export class ManualClock implements Pick<Clock, 'now'> {
  ms: number
  constructor(startMs = 1_700_000_000_000) {
    this.ms = startMs
  }
  now(): number {
    return this.ms
  }
  advance(ms: number): void {
    this.ms += ms
  }
}

let counter = 0
const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0')

/** A fresh UUID-shaped string, unique within the test run and sortable by creation. */
export function testUuid(): string {
  counter++
  return `${hex(counter, 8)}-0000-4000-8000-${hex(counter, 12)}`
}

/** A pending wasm job with a unique ID and Name (Version/Revision/times left for the store). */
export function makeJob(overrides: Partial<Job> = {}): Job {
  const id = overrides.ID ?? `j-${testUuid()}`
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
    Tasks: [
      {
        Name: 'main',
        Engine: { Type: 'wasm', Params: { EntryModule: '/app/main.wasm', Entrypoint: '_start', Parameters: [] } },
        Publisher: { Type: 'noop', Params: {} },
        Env: {},
        Meta: {},
        InputSources: [],
        ResultPaths: [],
        Resources: { CPU: '100m', Memory: '64Mb' },
        Network: { Type: 'None' },
        Timeouts: { ExecutionTimeout: 60 },
      },
    ],
    State: { StateType: 'Pending', Message: '' },
    Version: 0,
    Revision: 0,
    CreateTime: 0,
    ModifyTime: 0,
    ...overrides,
  }
}

/** A new execution of `jobId` on `nodeId`. */
export function makeExecution(jobId: string, overrides: Partial<Execution> = {}): Execution {
  return {
    ID: `e-${testUuid()}`,
    Namespace: 'default',
    EvalID: `v-${testUuid()}`,
    Name: 'main',
    NodeID: 'n-node-a',
    JobID: jobId,
    JobVersion: 1,
    PartitionIndex: 0,
    AllocatedResources: { Tasks: {} },
    DesiredState: { StateType: ExecutionDesiredState.Pending },
    ComputeState: { StateType: ExecutionState.New },
    PublishedResult: null,
    RunOutput: null,
    Revision: 0,
    CreateTime: 0,
    ModifyTime: 0,
    ...overrides,
  }
}

/** A pending evaluation of `jobId`. */
export function makeEvaluation(jobId: string, overrides: Partial<Evaluation> = {}): Evaluation {
  return {
    ID: `v-${testUuid()}`,
    Namespace: 'default',
    JobID: jobId,
    TriggeredBy: 'job-register',
    Priority: 0,
    Type: 'batch',
    Status: 'pending',
    CreateTime: 0,
    ModifyTime: 0,
    ...overrides,
  }
}

/** An approved, connected compute node. */
export function makeNode(nodeId: string, overrides: Partial<NodeState> = {}): NodeState {
  return {
    Info: { NodeID: nodeId, NodeType: 'Compute', Labels: { region: 'local' } },
    Membership: 'APPROVED',
    ConnectionState: { Status: 'CONNECTED' },
    ...overrides,
  }
}

/** A promise and the function that resolves it, to hold a transaction open in a test. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { promise, open }
}
