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
})
