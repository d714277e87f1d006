import { describe, expect, it } from 'vitest'
import { ExecutionLogStore } from '../src/index.ts'

const bytes = (text: string) => new TextEncoder().encode(text)

describe('ExecutionLogStore', () => {
  it('keeps whole lines per stream and reads them back in order, or the last N', () => {
    const store = new ExecutionLogStore({ maxCharsPerExecution: 1000, maxExecutions: 4 })
    store.open('e-1')
    store.append('e-1', 1, bytes('one\ntw'))
    store.append('e-1', 2, bytes('warn\n'))
    store.append('e-1', 1, bytes('o\nthree'))
    store.finish('e-1')
    expect(store.read('e-1')?.entries).toEqual([
      { stream: 1, line: 'one\n' },
      { stream: 2, line: 'warn\n' },
      { stream: 1, line: 'two\n' },
      { stream: 1, line: 'three' },
    ])
    expect(store.read('e-1', 1)?.entries).toEqual([{ stream: 1, line: 'three' }])
  })

  it('says on stderr, first, how much older output it dropped, when the reader asked for it', () => {
    const store = new ExecutionLogStore({ maxCharsPerExecution: 20, maxExecutions: 4 })
    store.open('e-1')
    for (let i = 0; i < 10; i++) store.append('e-1', 1, bytes(`line ${i}\n`))
    const all = store.read('e-1')!.entries
    expect(all.map((e) => e.line)).toEqual([
      "[shoal] 56 characters of earlier output are not shown: a compute node keeps the last 20 of each execution's log. `shoal job get` downloads the whole output.\n",
      'line 8\n',
      'line 9\n',
    ])
    expect(all[0].stream).toBe(2)
    // The last 2 lines are all there: no note.
    expect(store.read('e-1', 2)!.entries.map((e) => e.line)).toEqual(['line 8\n', 'line 9\n'])
    // More lines than are kept: the note again.
    expect(store.read('e-1', 5)!.entries[0].stream).toBe(2)
  })

  it('holds one endless line to the per-execution cap, keeping its end, and still splits lines across chunks', () => {
    const store = new ExecutionLogStore({ maxCharsPerExecution: 1024 * 1024, maxExecutions: 4 })
    store.open('e-1')
    const chunk = bytes('x'.repeat(65535) + 'y')
    // 32 MiB without a newline, as a job printing one long line sends it.
    for (let i = 0; i < 512; i++) store.append('e-1', 1, chunk)
    store.append('e-1', 1, bytes('end\nnext'))
    const entries = store.read('e-1')!.entries
    expect(entries[0]!.line).toMatch(/^\[shoal\] 32505860 characters of earlier output are not shown/)
    expect(entries[1]!.line.length).toBe(1024 * 1024)
    expect(entries[1]!.line.endsWith('xy' + 'end\n')).toBe(true)
    store.append('e-1', 1, bytes(' line\n'))
    store.finish('e-1')
    expect(store.read('e-1', 1)!.entries).toEqual([{ stream: 1, line: 'next line\n' }])
  })

  it('keeps the last lines of 8 MiB of short lines across the compactions of what it dropped', () => {
    const store = new ExecutionLogStore({ maxCharsPerExecution: 1024 * 1024, maxExecutions: 4 })
    store.open('e-1')
    const chunk = new Uint8Array(65536).fill(0x78)
    for (let i = 63; i < chunk.length; i += 64) chunk[i] = 0x0a
    for (let i = 0; i < 128; i++) store.append('e-1', 1, chunk)
    store.append('e-1', 1, bytes('last\n'))
    const { entries } = store.read('e-1')!
    expect(entries.length).toBe(1 + 16384)
    expect(entries[0]!.line).toMatch(/^\[shoal\] \d+ characters of earlier output are not shown/)
    expect(entries.at(-1)).toEqual({ stream: 1, line: 'last\n' })
    expect(store.read('e-1', 2)!.entries).toEqual([{ stream: 1, line: 'x'.repeat(63) + '\n' }, { stream: 1, line: 'last\n' }])
  })
})
