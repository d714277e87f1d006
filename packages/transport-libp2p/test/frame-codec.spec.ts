import { describe, expect, it } from 'vitest'
import * as lp from 'it-length-prefixed'
import { ProtocolError } from '@shoal/models'
import { encodeFrame, FrameDecoder, type FrameEvent } from '../src/index.ts'

const text = (event: FrameEvent) => (event.type === 'frame' ? new TextDecoder().decode(event.body) : event.type)

describe('length-prefixed frames', () => {
  it('writes the same bytes as it-length-prefixed', () => {
    for (const size of [0, 1, 127, 128, 300, 70_000]) {
      const body = new Uint8Array(size).fill(7)
      expect(encodeFrame(body)).toEqual(lp.encode.single(body).subarray())
    }
  })

  it('decodes frames split at every byte boundary, in order', () => {
    const bodies = ['a', '', 'x'.repeat(200), '{"Type":"Goodbye"}']
    const wire = bodies.map((b) => encodeFrame(new TextEncoder().encode(b)))
    const all = new Uint8Array(wire.reduce((n, f) => n + f.byteLength, 0))
    let offset = 0
    for (const frame of wire) {
      all.set(frame, offset)
      offset += frame.byteLength
    }
    const decoder = new FrameDecoder(1024)
    const events = [...all].flatMap((byte) => decoder.push(Uint8Array.of(byte)))
    expect(events.map(text)).toEqual(bodies)
  })

  it('skips a frame over the limit, reports it, and decodes the next one', () => {
    const decoder = new FrameDecoder(10)
    const big = encodeFrame(new Uint8Array(5000).fill(65))
    const next = encodeFrame(new TextEncoder().encode('ok'))
    const events = [
      ...decoder.push(big.subarray(0, 100)),
      ...decoder.push(big.subarray(100, 4000)),
      ...decoder.push(new Uint8Array([...big.subarray(4000), ...next])),
    ]
    expect(events.map((e) => e.type)).toEqual(['oversized', 'frame'])
    expect(events[0].type === 'oversized' && events[0].error).toBeInstanceOf(ProtocolError)
    expect(text(events[1])).toBe('ok')
  })

  it('gives up on a length prefix that is not a varint', () => {
    const decoder = new FrameDecoder(1024)
    const events = decoder.push(new Uint8Array(12).fill(0xff))
    expect(events.map((e) => e.type)).toEqual(['corrupt'])
    expect(decoder.push(encodeFrame(new Uint8Array(1)))).toEqual([])
  })
})
