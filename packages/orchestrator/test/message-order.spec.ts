import { describe, expect, it } from 'vitest'
import { MessageOrder } from '../src/message-order.ts'

/** A task that records its start and end and finishes when the test says so. */
function controlled(log: string[], name: string) {
  let finish!: () => void
  const finished = new Promise<void>((resolve) => (finish = resolve))
  const task = async () => {
    log.push(`${name} start`)
    await finished
    log.push(`${name} end`)
  }
  return { task, finish }
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve()
}

describe('MessageOrder', () => {
  it('starts tasks in arrival order without waiting for earlier ones to finish', async () => {
    const order = new MessageOrder()
    const log: string[] = []
    const a = controlled(log, 'a')
    const b = controlled(log, 'b')
    order.next(a.task)
    order.next(b.task)
    await flush()
    expect(log).toEqual(['a start', 'b start'])
    b.finish()
    a.finish()
    await order.settled()
    expect(log).toEqual(['a start', 'b start', 'b end', 'a end'])
  })

  it('runs a barrier after everything before it and everything after it after the barrier', async () => {
    const order = new MessageOrder()
    const log: string[] = []
    const before = controlled(log, 'before')
    const barrier = controlled(log, 'barrier')
    const after1 = controlled(log, 'after1')
    const after2 = controlled(log, 'after2')
    order.next(before.task)
    order.barrier(barrier.task)
    order.next(after1.task)
    order.next(after2.task)
    await flush()
    expect(log).toEqual(['before start'])
    before.finish()
    await flush()
    expect(log).toEqual(['before start', 'before end', 'barrier start'])
    barrier.finish()
    await flush()
    expect(log).toEqual(['before start', 'before end', 'barrier start', 'barrier end', 'after1 start', 'after2 start'])
    after1.finish()
    after2.finish()
    await order.settled()
    // Once the barrier is done, a new task starts at once again.
    const later = controlled(log, 'later')
    order.next(later.task)
    expect(log.at(-1)).toBe('later start')
    later.finish()
    await order.settled()
  })
})
