/** What the engine reads from module bytes itself. */
import { describe, it, expect } from 'vitest'
import { readFile } from 'node:fs/promises'
import { hasStartSection } from '../src/wasm-binary.ts'

const fixture = async (name: string) => new Uint8Array(await readFile(new URL(`./fixtures/${name}`, import.meta.url)))

describe('hasStartSection', () => {
  it('finds a start section, so the engine never instantiates such a module ahead of its job', async () => {
    expect(hasStartSection(await fixture('start-section.wasm'))).toBe(true)
  })

  it('finds none in a plain WASI command', async () => {
    expect(hasStartSection(await fixture('hello.wasm'))).toBe(false)
  })

  it('answers true for bytes it cannot read', async () => {
    const bytes = await fixture('hello.wasm')
    expect(hasStartSection(bytes.subarray(0, 12))).toBe(true)
  })
})
