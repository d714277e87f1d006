import { describe, expect, it } from 'vitest'
import type { ExecutionQuery, Page } from '@shoal/interface'
import type { Execution } from '@shoal/models'
import { createNodeSqliteDatabase } from '../../../../node-runner/src/sqlite/node-sqlite-database.ts'
import { SqlJobStore } from '../../src/store/index.ts'
import { RequesterHarness } from '../helpers/requester-harness.ts'
import { ManualClock, settle } from '../helpers/manual-clock.ts'

/** A store whose per-node execution lists (the Handshake's reconcile) wait while `gate` is closed, as a busy store after a restart. */
class SlowReconcileStore extends SqlJobStore {
  gate?: Promise<void>
  override async listExecutions(query: ExecutionQuery = {}): Promise<Page<Execution>> {
    if (query.nodeId !== undefined && this.gate) await this.gate
    return super.listExecutions(query)
  }
}

describe('a node reconnecting to a busy requester', () => {
  it('is not declared lost while its Handshake waits for the store: heartbeats count on arrival', async () => {
    // The store's clock only stamps documents; the requester runs on the harness's clock.
    const store = new SlowReconcileStore({ db: createNodeSqliteDatabase(':memory:'), clock: new ManualClock() })
    const h = new RequesterHarness({ heartbeatIntervalMs: 1000, missedHeartbeats: 3 }, store)
    await h.start()
    let open!: () => void
    store.gate = new Promise<void>((resolve) => (open = resolve))
    const node = await h.addNode('n-a', { clock: h.clock })
    expect(node.handshake?.Accepted).toBe(true)
    // The reconcile is still waiting; the node's heartbeats keep arriving.
    await h.clock.advance(10_000)
    const [state] = await h.requester.listNodes()
    expect(state.ConnectionState.Status).toBe('CONNECTED')
    expect(state.ConnectionState.LastError).toBeUndefined()
    open()
    await settle()
    await h.stop()
  })
})
