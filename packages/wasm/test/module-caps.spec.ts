/** What capModule holds a module to: table maxima, one memory, a few tables, no WasmGC. */
import { describe, it, expect } from 'vitest'
import { readFile } from 'node:fs/promises'
import { capModule, ModuleLimitError, TABLE_ENTRY_BYTES } from '../src/index.ts'
import { gcAllocationLoop } from './hostile-cases.ts'

const MiB = 1024 * 1024
const fixture = async (name: string) => new Uint8Array(await readFile(new URL(`./fixtures/${name}`, import.meta.url)))
const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]
const section = (id: number, payload: number[]) => [id, payload.length, ...payload]
/** `(module (table (export "t") MIN funcref))`, MIN < 128. */
const exportedTable = (min = 0) => new Uint8Array([...header, ...section(4, [0x01, 0x70, 0x00, min]), ...section(7, [0x01, 0x01, 0x74, 0x01, 0x00])])
/** `(module (import "env" "t" (table 0 funcref)))`. */
const importedTable = () => new Uint8Array([...header, ...section(2, [0x01, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x74, 0x01, 0x70, 0x00, 0x00])])

describe('capModule', () => {
  it('gives a table without a maximum one within 1/16 of the memory limit, so table.grow fails past it', () => {
    const capped = capModule(exportedTable(), { memoryCapBytes: 64 * MiB })
    const table = new WebAssembly.Instance(new WebAssembly.Module(capped as Uint8Array<ArrayBuffer>)).exports.t as WebAssembly.Table
    const entries = (64 * MiB) / 16 / TABLE_ENTRY_BYTES
    expect(table.grow(entries)).toBe(0)
    expect(() => table.grow(1)).toThrow(RangeError)
  })

  it('caps an imported table too: a host table without a maximum no longer links', () => {
    const module = new WebAssembly.Module(capModule(importedTable(), { memoryCapBytes: 64 * MiB }) as Uint8Array<ArrayBuffer>)
    expect(() => new WebAssembly.Instance(module, { env: { t: new WebAssembly.Table({ element: 'anyfunc', initial: 0 }) } })).toThrow(WebAssembly.LinkError)
    expect(new WebAssembly.Instance(module, { env: { t: new WebAssembly.Table({ element: 'anyfunc', initial: 0, maximum: 1000 }) } })).toBeDefined()
  })

  it('refuses a table whose minimum exceeds its share of the limit', () => {
    expect(() => capModule(exportedTable(100), { memoryCapBytes: 16 * 1024 })).toThrow(
      expect.objectContaining({ name: 'ModuleLimitError', code: 'table-too-large', message: expect.stringContaining('a table of at least 100 entries') }),
    )
  })

  it('refuses 8 memories and 16 tables, naming the count', async () => {
    const multi = await fixture('multi-memory.wasm')
    expect(() => capModule(multi, { memoryCapBytes: 64 * MiB })).toThrow('the module declares 8 memories; Shoal allows 1 per module')
    const tables = await fixture('many-tables.wasm')
    expect(() => capModule(tables, { memoryCapBytes: 64 * MiB })).toThrow('the module declares 16 tables; Shoal allows 8 per module')
  })

  it('refuses WasmGC types unless allowed', () => {
    const gc = gcAllocationLoop()
    expect(() => capModule(gc, { memoryCapBytes: 64 * MiB })).toThrow(ModuleLimitError)
    expect(new WebAssembly.Module(capModule(gc, { memoryCapBytes: 64 * MiB, allowGc: true }) as Uint8Array<ArrayBuffer>)).toBeDefined()
  })

  it('leaves an ordinary WASI command compiling and running', async () => {
    const capped = capModule(await fixture('hello.wasm'), { memoryCapBytes: 64 * MiB })
    expect(WebAssembly.Module.exports(new WebAssembly.Module(capped as Uint8Array<ArrayBuffer>)).map((e) => e.name)).toContain('_start')
  })
})
