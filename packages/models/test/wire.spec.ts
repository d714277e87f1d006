import { describe, expect, it } from 'vitest'
import { evaluationFromWire, jobFromWire, nodeInfoFromWire, nodeInfoToWire, nodeStateFromWire, nodeStateToWire, ValidationError } from '../src/index.ts'
import type { NodeState } from '../src/index.ts'

describe('jobFromWire', () => {
  it('decodes a Bacalhau API job, filling what Go omits', () => {
    const job = jobFromWire({
      ID: 'j-1',
      Name: 'hello',
      Namespace: 'default',
      Type: 'batch',
      Count: 2,
      Tasks: [{ Name: 'main', Engine: { Type: 'docker', Params: { Image: 'ubuntu' } }, Publisher: null }],
      State: { StateType: 'Completed' },
      Version: 1,
      Revision: 4,
      CreateTime: 1_700_000_000_000_000_000,
      ModifyTime: 1_700_000_000_000_000_000,
      SomethingNew: true,
    })
    expect(job.Count).toBe(2)
    expect(job.Tasks[0].Publisher).toEqual({ Type: '', Params: {} })
    expect(job.Tasks[0].InputSources).toEqual([])
    expect(job.Tasks[0].Network.Type).toBe('Default')
    expect(job.State.StateType).toBe('Completed')
    expect(job.CreateTime).toBe(1_700_000_000_000_000_000)
  })

  it('rejects a malformed job, naming the field', () => {
    expect(() => jobFromWire({ Type: 'batch', Count: 'two' })).toThrow(ValidationError)
    try {
      jobFromWire({ Type: 'batch', Tasks: [{ Name: 3 }] })
      expect.unreachable()
    } catch (error) {
      expect((error as ValidationError).issues[0].path).toBe('Tasks[0].Name')
    }
  })
})

describe('nodes', () => {
  it('reads Bacalhau node state, including its QueueCapacity key', () => {
    const node = nodeStateFromWire({
      Info: {
        NodeID: 'n-1',
        NodeType: 'Compute',
        Labels: { region: 'eu' },
        ComputeNodeInfo: {
          ExecutionEngines: ['wasm'],
          Publishers: ['local'],
          StorageSources: ['inline'],
          MaxCapacity: { CPU: 4, Memory: 8e9 },
          QueueCapacity: { CPU: 1 },
          AvailableCapacity: { CPU: 2, Memory: 4e9, Disk: 1e9 },
          MaxJobRequirements: { CPU: 4 },
          RunningExecutions: 1,
          EnqueuedExecutions: 0,
        },
      },
      Membership: 'APPROVED',
      ConnectionState: { Status: 'CONNECTED', LastHeartbeat: '2024-01-01T00:00:00Z' },
    })
    expect(node.Info.ComputeNodeInfo?.QueueUsedCapacity).toEqual({ CPU: 1, Memory: 0, Disk: 0, GPU: 0 })
    expect(node.Info.ComputeNodeInfo?.MaxCapacity.Disk).toBe(0)
    expect(node.ConnectionState.Status).toBe('CONNECTED')
  })

  it("keeps a Shoal node's PluginsOff, and drops a malformed one rather than failing the whole node", () => {
    const read = (PluginsOff: unknown) =>
      nodeStateFromWire({
        Info: { NodeID: 'n-1', NodeType: 'Compute', ComputeNodeInfo: { ExecutionEngines: ['wasm'], PluginsOff } },
        Membership: 'APPROVED',
        ConnectionState: { Status: 'CONNECTED' },
      }).Info.ComputeNodeInfo
    const off = [{ Kind: 'engine', Type: 'docker', Reason: 'dockerd does not answer at /var/run/docker.sock: connect ENOENT' }]
    expect(read(off)?.PluginsOff).toEqual(off)
    const malformed = read('docker is off')
    expect(malformed?.ExecutionEngines).toEqual(['wasm'])
    expect(malformed?.PluginsOff).toBeUndefined()
  })

  it('reads the legacy top-level Connection field', () => {
    const node = nodeStateFromWire({ Info: { NodeID: 'n-1', NodeType: 'requester' }, Membership: 'approved', Connection: 'DISCONNECTED' })
    expect(node.ConnectionState.Status).toBe('DISCONNECTED')
    expect(node.Membership).toBe('APPROVED')
    expect(node.Info.NodeType).toBe('Requester')
  })

  it('writes Bacalhau\'s shape: QueueCapacity, the deprecated Connection, and every field Go always writes', () => {
    const capacity = { CPU: 2, Memory: 1024, Disk: 4096, GPU: 0 }
    const node: NodeState = {
      Info: {
        NodeID: 'n-1',
        NodeType: 'Compute',
        Labels: {},
        ComputeNodeInfo: {
          ExecutionEngines: ['wasm'],
          Publishers: ['local'],
          StorageSources: ['inline'],
          MaxCapacity: capacity,
          QueueUsedCapacity: { CPU: 1, Memory: 0, Disk: 0, GPU: 0 },
          AvailableCapacity: capacity,
          MaxJobRequirements: capacity,
          RunningExecutions: 1,
          EnqueuedExecutions: 0,
        },
      },
      Membership: 'APPROVED',
      ConnectionState: { Status: 'CONNECTED' },
    }
    const json = JSON.parse(JSON.stringify(nodeStateToWire(node)))
    expect(json.Connection).toBe('CONNECTED')
    expect(json.Info.ComputeNodeInfo.QueueCapacity).toEqual({ CPU: 1, Memory: 0, Disk: 0, GPU: 0 })
    expect(json.Info.ComputeNodeInfo).not.toHaveProperty('QueueUsedCapacity')
    expect(json.Info.SupportedProtocols).toEqual([])
    expect(json.Info.BacalhauVersion).toEqual({ GitVersion: '', GitCommit: '', BuildDate: '0001-01-01T00:00:00Z', GOOS: '', GOARCH: '' })
    // What is written reads back as the same node.
    expect(nodeStateFromWire(json)).toMatchObject(node)
    expect(nodeStateFromWire(json).Info.ComputeNodeInfo?.QueueUsedCapacity).toEqual({ CPU: 1, Memory: 0, Disk: 0, GPU: 0 })
  })

  it('gives a node without compute info the zero ComputeNodeInfo Go writes, and keeps a known version', () => {
    const info = nodeInfoToWire({ NodeID: 'n-r', NodeType: 'Requester', Labels: {}, BacalhauVersion: { GitVersion: 'v1.2.3' } })
    expect(info.ComputeNodeInfo).toMatchObject({ ExecutionEngines: [], QueueCapacity: { CPU: 0, Memory: 0, Disk: 0, GPU: 0 }, RunningExecutions: 0 })
    expect(info.BacalhauVersion.GitVersion).toBe('v1.2.3')
    expect(nodeInfoFromWire(info).ComputeNodeInfo?.QueueUsedCapacity).toEqual({ CPU: 0, Memory: 0, Disk: 0, GPU: 0 })
  })

  it('requires a node ID', () => {
    expect(() => nodeInfoFromWire({ NodeType: 'Compute' })).toThrow(/NodeID/)
  })
})

describe('evaluationFromWire', () => {
  it('turns an RFC 3339 WaitUntil into nanoseconds and Go zero time into nothing', () => {
    expect(evaluationFromWire({ ID: 'v-1', WaitUntil: '2024-01-01T00:00:00Z' }).WaitUntil).toBe(Date.UTC(2024, 0, 1) * 1e6)
    expect(evaluationFromWire({ ID: 'v-1', WaitUntil: '0001-01-01T00:00:00Z' }).WaitUntil).toBeUndefined()
  })
})
