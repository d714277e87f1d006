/**
 * The engine and a worker agree on which compiled modules the worker holds: a module is posted
 * once per worker, referenced by key afterwards, and dropped only when the engine says so.
 */
import { describe, it, expect } from 'vitest'
import { readFile } from 'node:fs/promises'
import { HeldModules, SentModules } from '../src/worker-module-cache.ts'

// The smallest valid module: the header alone.
const emptyModule = () => new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))

describe('worker module cache', () => {
  it('posts a module once per worker, then only its key', () => {
    const sent = new SentModules(4)
    const held = new HeldModules()
    const compiled = { key: 'a:1', module: emptyModule() }
    const first = sent.ref(compiled)
    expect(first.module).toBe(compiled.module)
    expect(held.take(first)).toBe(compiled.module)
    const second = sent.ref(compiled)
    expect(second).toEqual({ key: 'a:1' })
    expect(held.take(second)).toBe(compiled.module)
  })

  it('evicts least recently used modules beyond the limit, never those of the current job', () => {
    const sent = new SentModules(2)
    const held = new HeldModules()
    const modules = ['a', 'b', 'c', 'd'].map((key) => ({ key, module: emptyModule() }))
    for (const compiled of modules.slice(0, 2)) held.take(sent.ref(compiled))
    held.forget(sent.evict(new Set(['a', 'b'])))
    // A job using c and d: a and b (older) go, c and d stay even though the job alone fills the limit.
    const refs = [sent.ref(modules[2]!), sent.ref(modules[3]!)]
    const forget = sent.evict(new Set(['c', 'd']))
    expect(forget).toEqual(['a', 'b'])
    held.forget(forget)
    for (const ref of refs) held.take(ref)
    expect(held.size).toBe(2)
    // a was dropped on both sides, so it is posted again in full.
    expect(sent.ref(modules[0]!).module).toBe(modules[0]!.module)
    expect(() => held.take({ key: 'b' })).toThrow(/never sent/)
  })

  it('keeps every module of a job larger than the limit', () => {
    const sent = new SentModules(1)
    const modules = ['a', 'b', 'c'].map((key) => ({ key, module: emptyModule() }))
    for (const compiled of modules) sent.ref(compiled)
    expect(sent.evict(new Set(['a', 'b', 'c']))).toEqual([])
  })

  it('keeps a standby instance only for a module run twice in a row, and hands it out once', async () => {
    const hello = new WebAssembly.Module(await readFile(new URL('./fixtures/hello.wasm', import.meta.url)))
    const other = emptyModule()
    const held = new HeldModules()
    held.take({ key: 'hello', module: hello })
    held.take({ key: 'other', module: other })
    const runJob = (key: string) => {
      const standby = held.takeStandby(key)
      held.prepareStandby(key)
      return standby
    }
    expect(runJob('hello')).toBeUndefined()
    expect(runJob('other')).toBeUndefined()
    expect(runJob('hello')).toBeUndefined()
    // Second run of hello in a row: a standby was prepared after it, for the third.
    expect(runJob('hello')).toBeUndefined()
    const standby = runJob('hello')
    expect(standby?.module).toBe(hello)
    // A switch to another module drops the standby; forgetting the module drops it too.
    expect(runJob('other')).toBeUndefined()
    runJob('hello')
    runJob('hello')
    held.forget(['hello'])
    expect(held.takeStandby('hello')).toBeUndefined()
  })
})
