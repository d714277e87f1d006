import { describe, expect, it } from 'vitest'
import { silentLogger, type Clock } from '@shoal/interface'
import { MemoryNetwork } from '@shoal/protocol'
import { createNodeSqliteDatabase } from '../../../../node-runner/src/sqlite/node-sqlite-database.ts'
import { NodeRegistry } from '../../src/nodes/node-registry.ts'
import { SqlJobStore } from '../../src/store/index.ts'

/** A clock whose time and timers the test moves by hand, and which can jump as a stalled process does. */
class JumpingClock implements Clock {
  time = 1_000_000
  timers = new Map<number, { at: number; fn: () => void }>()
  private seq = 0
  now = (): number => this.time
  setTimeout = (fn: () => void, ms: number): unknown => {
    this.timers.set(++this.seq, { at: this.time + ms, fn })
    return this.seq
  }
  clearTimeout = (handle: unknown): void => void this.timers.delete(handle as number)
  /** Moves to `time` and fires every timer due by then, late if it was due earlier (a stall). */
  jumpTo(time: number): void {
    this.time = time
    for (const [id, timer] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) {
      if (timer.at > time || !this.timers.has(id)) continue
      this.timers.delete(id)
      timer.fn()
    }
  }
}

async function connectedNode() {
  const clock = new JumpingClock()
  const lost: string[] = []
  const store = new SqlJobStore({ db: createNodeSqliteDatabase(':memory:'), clock })
  const registry = new NodeRegistry({ store, clock, logger: silentLogger }, { heartbeatIntervalMs: 1000, missedHeartbeats: 3, onLost: (id, why) => lost.push(`${id}: ${why}`) })
  const network = new MemoryNetwork()
  let accepted: unknown
  await network.listener('r').start((connection) => (accepted = connection))
  await network.dialer('n-a').dial('r')
  await registry.connect({ NodeID: 'n-a', NodeType: 'Compute', Labels: {} }, accepted as never, 'APPROVED', 'key-a')
  return { clock, registry, lost, store }
}

describe('node registry heartbeats', () => {
  it('declares a node lost when its heartbeats stop', async () => {
    const { clock, lost } = await connectedNode()
    clock.jumpTo(clock.time + 3000)
    expect(lost).toEqual(['n-a: stopped sending heartbeats (none for 3 s, 3 missed)'])
  })

  it('does not declare a node lost because the requester itself stalled: its unread heartbeats get one interval', async () => {
    const { clock, registry, lost } = await connectedNode()
    // The process was stalled for 10 s: the timer fires 7 s late, with heartbeats still unread.
    clock.jumpTo(clock.time + 10_000)
    expect(lost).toEqual([])
    await registry.heartbeat('n-a', { CPU: 1, Memory: 1, Disk: 0, GPU: 0 }) // read right after
    clock.jumpTo(clock.time + 2999)
    expect(lost).toEqual([])
    // Truly silent afterwards: lost, once.
    clock.jumpTo(clock.time + 1)
    expect(lost).toHaveLength(1)
  })

  it('a node that stays silent after a stall is lost one interval later', async () => {
    const { clock, lost } = await connectedNode()
    clock.jumpTo(clock.time + 10_000)
    expect(lost).toEqual([])
    clock.jumpTo(clock.time + 1000)
    expect(lost).toEqual(['n-a: stopped sending heartbeats (none for 3 s, 3 missed)'])
  })
})
