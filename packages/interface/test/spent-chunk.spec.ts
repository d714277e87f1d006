import { describe, expect, it } from 'vitest'
import { freeSpentChunk, handOverChunk } from '../src/index.ts'

describe('spent chunks', () => {
  it('frees the memory of a chunk its producer handed over, views of it included', () => {
    const chunk = handOverChunk(new Uint8Array(1024 * 1024).fill(7))
    const view = chunk.subarray(0, 10)
    freeSpentChunk(view)
    expect(chunk.buffer.byteLength).toBe(0)
    expect(chunk.byteLength).toBe(0)
    expect(view.byteLength).toBe(0)
  })

  it('leaves a chunk that was not handed over alone: its producer may still hold the bytes', () => {
    const kept = new Uint8Array([1, 2, 3])
    freeSpentChunk(kept.subarray(1))
    expect([...kept]).toEqual([1, 2, 3])
  })

  it('frees a chunk once: a second call on a spent chunk is harmless', () => {
    const chunk = handOverChunk(new Uint8Array(16))
    freeSpentChunk(chunk)
    expect(() => freeSpentChunk(chunk)).not.toThrow()
  })
})
