import { afterEach, describe, expect, it } from 'vitest'
import type { Job, NodeState, Resources } from '@shoal/models'
import { selectNodes, type NodeCandidate } from '../../src/scheduler/node-selector.ts'
import { RequesterHarness, noopJob } from '../helpers/requester-harness.ts'

const resources = (CPU: number, Memory: number): Resources => ({ CPU, Memory, Disk: 0, GPU: 0 })

function candidate(nodeId: string, max: Resources, used: Resources, lastPlacement = 0): NodeCandidate {
  const state: NodeState = {
    Info: {
      NodeID: nodeId,
      NodeType: 'Compute',
      Labels: {},
      ComputeNodeInfo: {
        ExecutionEngines: ['noop'],
        Publishers: [],
        StorageSources: [],
        MaxCapacity: max,
        AvailableCapacity: max,
        QueueUsedCapacity: resources(0, 0),
        MaxJobRequirements: max,
        RunningExecutions: 0,
        EnqueuedExecutions: 0,
      },
    },
    Membership: 'APPROVED',
    ConnectionState: { Status: 'CONNECTED' },
  }
  const free = { CPU: max.CPU - used.CPU, Memory: max.Memory - used.Memory, Disk: 0, GPU: 0 }
  return { state, connected: true, free, activeExecutions: used.CPU > 0 ? 1 : 0, lastPlacement }
}

const job = { ID: 'j-1', Constraints: [], Tasks: [{ Name: 'main', Engine: { Type: 'noop', Params: {} } }] } as unknown as Job
const ranked = (nodes: NodeCandidate[]) =>
  selectNodes({ job, required: resources(0.5, 512e6), executions: [], maxFailuresPerNode: 1 }, nodes).matching.map((n) => n.state.Info.NodeID)

describe('node ranking', () => {
  let h: RequesterHarness | undefined
  afterEach(async () => h?.stop())

  it('ranks an idle 1-CPU tab with idle 2-CPU servers, least recently used first', () => {
    const tab = (last: number) => candidate('tab', resources(1, 1e9), resources(0, 0), last)
    const server = (id: string, last: number) => candidate(id, resources(2, 8e9), resources(0, 0), last)
    // Never used: the tab is as fit as the servers; the bigger free CPU breaks the tie.
    expect(ranked([tab(0), server('s-a', 0), server('s-b', 0)])).toEqual(['s-a', 's-b', 'tab'])
    // After s-a and s-b each ran a job, the tab's turn comes.
    expect(ranked([tab(0), server('s-a', 1), server('s-b', 2)])).toEqual(['tab', 's-a', 's-b'])
    expect(ranked([tab(3), server('s-a', 1), server('s-b', 2)])).toEqual(['s-a', 's-b', 'tab'])
  })

  it('prefers the less loaded share of capacity over the turn order', () => {
    // s-a is next in turn and has the most free CPU, but already runs a quarter of its capacity:
    // the idle tab goes first.
    const busy = candidate('s-a', resources(4, 8e9), resources(1, 1e9), 1)
    const idleTab = candidate('tab', resources(1, 1e9), resources(0, 0), 5)
    expect(ranked([busy, idleTab])).toEqual(['tab', 's-a'])
  })

  it('spreads 20 jobs submitted one after another over every node, the small one included', async () => {
    h = await new RequesterHarness().start()
    await h.addNode('n-server-a', { capacity: { CPU: 2, Memory: 8e9 } })
    await h.addNode('n-server-b', { capacity: { CPU: 2, Memory: 8e9 } })
    await h.addNode('n-tab', { capacity: { CPU: 1, Memory: 2e9 } })
    const perNode = new Map<string, number>()
    for (let i = 0; i < 20; i++) {
      const jobId = await h.submit(noopJob())
      await h.waitForState(jobId, 'Completed')
      for (const e of await h.executions(jobId)) perNode.set(e.NodeID, (perNode.get(e.NodeID) ?? 0) + 1)
    }
    expect([...perNode.keys()].sort()).toEqual(['n-server-a', 'n-server-b', 'n-tab'])
    // Taking turns: no node runs more than its share rounded up.
    for (const count of perNode.values()) expect(count).toBeGreaterThanOrEqual(6)
  })
})
