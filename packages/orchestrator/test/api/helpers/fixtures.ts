/** Job, execution and node fixtures for the API tests. */
import { ExecutionDesiredState, ExecutionState } from '@shoal/models'
import type { Execution, Job, NodeState } from '@shoal/models'

/** A job spec as a user submits it (no ID, no state). */
export function jobSpec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Name: 'hello',
    Type: 'batch',
    Count: 1,
    Labels: { env: 'test' },
    Tasks: [
      {
        Name: 'main',
        Engine: { Type: 'wasm', Params: { EntryModule: '/app/main.wasm' } },
        Publisher: { Type: 'noop', Params: {} },
        InputSources: [{ Source: { Type: 'inline', Params: { URL: 'data:application/wasm;base64,AGFzbQEAAAA=' } }, Target: '/app/main.wasm' }],
      },
    ],
    ...overrides,
  }
}

/** An execution of `job` on `nodeId`. */
export function execution(job: Job, id: string, nodeId: string, overrides: Partial<Execution> = {}): Execution {
  return {
    ID: id,
    Namespace: job.Namespace,
    EvalID: 'v-1',
    Name: job.Name,
    NodeID: nodeId,
    JobID: job.ID,
    JobVersion: job.Version,
    PartitionIndex: 0,
    AllocatedResources: { Tasks: {} },
    DesiredState: { StateType: ExecutionDesiredState.Running },
    ComputeState: { StateType: ExecutionState.Running },
    PublishedResult: null,
    RunOutput: null,
    Revision: 1,
    CreateTime: 0,
    ModifyTime: 0,
    ...overrides,
  }
}

/** A compute node as the requester tracks it. */
export function computeNode(id: string, overrides: Partial<NodeState> & { labels?: Record<string, string>; cpu?: number } = {}): NodeState {
  const capacity = { CPU: overrides.cpu ?? 2, Memory: 1 << 30, Disk: 1 << 30, GPU: 0 }
  return {
    Info: {
      NodeID: id,
      NodeType: 'Compute',
      Labels: overrides.labels ?? {},
      ComputeNodeInfo: {
        ExecutionEngines: ['wasm'],
        Publishers: ['noop'],
        StorageSources: ['inline'],
        MaxCapacity: capacity,
        QueueUsedCapacity: { CPU: 0, Memory: 0, Disk: 0, GPU: 0 },
        AvailableCapacity: capacity,
        MaxJobRequirements: capacity,
        RunningExecutions: 0,
        EnqueuedExecutions: 0,
      },
    },
    Membership: overrides.Membership ?? 'APPROVED',
    ConnectionState: overrides.ConnectionState ?? { Status: 'CONNECTED' },
  }
}
