/** The check of declared WASI import types against WASI preview1's. */
import { describe, it, expect } from 'vitest'
import { readdir, readFile } from 'node:fs/promises'
import { findWasiSignatureMismatch } from '../src/wasi-import-signatures.ts'

const fixtures = new URL('./fixtures/', import.meta.url)
const fixture = async (name: string) => new Uint8Array(await readFile(new URL(name, fixtures)))

describe('findWasiSignatureMismatch', () => {
  it('names the import and both signatures when a module declares a WASI function with other types', async () => {
    expect(findWasiSignatureMismatch(await fixture('wrong-wasi-signature.wasm'))).toEqual({
      import: 'wasi_snapshot_preview1.fd_write',
      expected: '(i32, i32, i32, i32) -> i32',
      actual: '(i32, i32, i32, i32) -> i64',
    })
  })

  it('finds nothing wrong in modules built by wasi-libc (every WASI function they import matches)', async () => {
    const names = (await readdir(fixtures)).filter((name) => name.endsWith('.wasm') && !name.endsWith('.component.wasm') && name !== 'wrong-wasi-signature.wasm')
    expect(names.length).toBeGreaterThan(10)
    for (const name of names) expect(findWasiSignatureMismatch(await fixture(name)), name).toBeUndefined()
  })

  it('leaves bytes it cannot read to compilation', async () => {
    const bytes = await fixture('wrong-wasi-signature.wasm')
    expect(findWasiSignatureMismatch(bytes.subarray(0, 14))).toBeUndefined()
  })
})
