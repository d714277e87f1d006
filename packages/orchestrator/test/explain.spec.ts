import { describe, expect, it } from 'vitest'
import {
  explainBidRejected,
  explainExecutionFailed,
  explainQueued,
  explainQueueTimeout,
  explainRejections,
  explainRetriesExhausted,
  formatResource,
  formatSeconds,
} from '../src/explain.ts'

describe('explanations', () => {
  it('counts nodes per reason, largest group first, with the numbers', () => {
    expect(
      explainQueued({
        waiting: 1,
        count: 1,
        nodes: 3,
        eligible: 0,
        rejections: [
          { nodeId: 'n-1', reason: { kind: 'engine', missing: 'docker' } },
          { nodeId: 'n-2', reason: { kind: 'resources', resource: 'Memory', free: 256e6, required: 2e9 } },
          { nodeId: 'n-3', reason: { kind: 'engine', missing: 'docker' } },
        ],
      }),
    ).toBe('queued: 0 of 3 nodes can run it — 2 lack engine docker, 1 has 256 MB free of the 2.0 GB required')
  })

  it('mentions partitions, the queue timeout and an empty network', () => {
    expect(explainQueued({ waiting: 1, count: 3, nodes: 2, eligible: 2, rejections: [], queueTimeoutS: 600 })).toBe(
      'queued: 2 of 2 nodes can run it; 1 of 3 partitions wait for a node; waiting up to 10 min (QueueTimeout) for nodes to join or free up',
    )
    expect(explainQueued({ waiting: 1, count: 1, nodes: 0, eligible: 0, rejections: [] })).toBe('queued: no compute node has joined yet')
  })

  it('names every kind of rejection in words', () => {
    const text = explainRejections([
      { nodeId: 'a', reason: { kind: 'membership', membership: 'PENDING' } },
      { nodeId: 'b', reason: { kind: 'disconnected' } },
      { nodeId: 'c', reason: { kind: 'constraint', constraint: 'region=eu' } },
      { nodeId: 'd', reason: { kind: 'publisher', missing: 's3' } },
      { nodeId: 'e', reason: { kind: 'storage', missing: 'ipfs' } },
      { nodeId: 'f', reason: { kind: 'already-running', partition: 0, completed: false } },
      { nodeId: 'g', reason: { kind: 'declined', reason: 'busy' } },
      { nodeId: 'h', reason: { kind: 'failed-before', times: 1 } },
      { nodeId: 'i', reason: { kind: 'resources', resource: 'CPU', free: 0.25, required: 1 } },
    ])
    expect(text).toBe(
      "1 awaits approval (shoal node approve <id>), 1 is disconnected, 1 doesn't match constraint region=eu, 1 lacks publisher s3, " +
        '1 lacks input storage ipfs, 1 already runs a partition of this job, 1 declined it (busy), 1 already failed it 1 time, ' +
        '1 has 0.25 CPU free of the 1 CPU required',
    )
  })

  it('says what happens after a failure', () => {
    expect(explainExecutionFailed('e-12345678-aaaa', 'n-abcdefgh-bbbb', 'out of memory', { kind: 'retry', attempt: 2, maxAttempts: 3, where: 'on another node' })).toBe(
      'execution e-12345678 on node n-abcdefgh failed: out of memory; retrying on another node (attempt 2 of 3)',
    )
    expect(explainExecutionFailed('e-1', 'n-1', '', { kind: 'exhausted', attempts: 3 })).toBe('execution e-1 on node n-1 failed: no reason given; giving up after 3 attempts')
    expect(explainRetriesExhausted(2, 4, 3, 'trap')).toBe('partition 2 failed 3 times, the most allowed (last error: trap); fix the cause and run the job again (job rerun)')
    expect(explainBidRejected('e-1', 'n-1', 'too busy')).toBe('node n-1 declined execution e-1: too busy; trying another node')
  })

  it('turns a queue explanation into the failure message at QueueTimeout', () => {
    const queued = explainQueued({ waiting: 1, count: 1, nodes: 1, eligible: 0, rejections: [{ nodeId: 'a', reason: { kind: 'engine', missing: 'wasm' } }], queueTimeoutS: 30 })
    expect(explainQueueTimeout(30, queued)).toBe('no node could take the job within its QueueTimeout of 30 s: 0 of 1 node can run it — 1 lacks engine wasm')
  })

  it('without a QueueTimeout says "not enough nodes to run job", as Bacalhau, and how to let it wait', () => {
    const queued = explainQueued({ waiting: 1, count: 1, nodes: 1, eligible: 0, rejections: [{ nodeId: 'a', reason: { kind: 'engine', missing: 'wasm' } }], queueTimeoutS: 0 })
    expect(explainQueueTimeout(0, queued)).toBe(
      'not enough nodes to run job: 0 of 1 node can run it — 1 lacks engine wasm; set Timeouts.QueueTimeout (--queue-timeout) to let it wait for nodes',
    )
  })

  it('names what the nodes lacking a plug-in offer instead', () => {
    const rejections = [
      { nodeId: 'a', reason: { kind: 'engine', missing: 'docker' } },
      { nodeId: 'b', reason: { kind: 'engine', missing: 'docker' } },
      { nodeId: 'c', reason: { kind: 'publisher', missing: 's3' } },
      { nodeId: 'd', reason: { kind: 'storage', missing: 'ipfs' } },
    ] as const
    expect(explainRejections(rejections, { engine: ['noop', 'wasm'], publisher: ['local'], storage: [] })).toBe(
      '2 lack engine docker (they offer noop, wasm), 1 lacks publisher s3 (it offers local), 1 lacks input storage ipfs (it offers no input storage)',
    )
  })

  it('formats amounts and durations', () => {
    expect(formatResource('Memory', 512e6)).toBe('512 MB')
    expect(formatResource('GPU', 1)).toBe('1 GPU')
    expect(formatSeconds(90)).toBe('90 s')
    expect(formatSeconds(5400)).toBe('90 min')
    expect(formatSeconds(3 * 3600 + 600)).toBe('3 h 10 min')
  })
})
