/**
 * Length-prefixed framing of the compute protocol on a libp2p stream: each frame is an unsigned
 * LEB128 varint byte count followed by that many bytes (the framing of it-length-prefixed, so
 * any libp2p implementation can speak it).
 */
import { unsignedLeb128 } from '@shoal/interface'
import { ProtocolError } from '@shoal/models'

/** A varint of more bytes than this cannot be a sane frame length (2^56 bytes). */
const MAX_VARINT_BYTES = 8

/** Prefixes `body` with its length; one buffer, so a frame is written in one piece. */
export function encodeFrame(body: Uint8Array): Uint8Array {
  const header = unsignedLeb128(body.byteLength)
  const frame = new Uint8Array(header.length + body.byteLength)
  frame.set(header, 0)
  frame.set(body, header.length)
  return frame
}

/** What the decoder found in the bytes received so far. */
export type FrameEvent =
  /** One complete frame body. */
  | { type: 'frame'; body: Uint8Array }
  /** A frame larger than the limit: its bytes are skipped and the stream stays usable. */
  | { type: 'oversized'; error: ProtocolError }
  /** The length prefix is not a valid varint: the stream cannot be resynchronised. */
  | { type: 'corrupt'; error: ProtocolError }

/**
 * Incremental decoder of length-prefixed frames. Chunks are kept as received and copied once
 * per frame, so a multi-MiB frame arriving in small chunks costs one copy.
 */
export class FrameDecoder {
  private readonly maxFrameBytes: number
  private chunks: Uint8Array[] = []
  private buffered = 0
  /** Body length of the frame being received, once its prefix has been read. */
  private expected: number | undefined
  /** Bytes of an oversized frame still to discard. */
  private skipping = 0
  private corrupt = false

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes
  }

  /** Feeds received bytes; returns the frames (and problems) they complete, in order. */
  push(chunk: Uint8Array): FrameEvent[] {
    if (this.corrupt) return []
    const events: FrameEvent[] = []
    if (this.skipping > 0) {
      const drop = Math.min(this.skipping, chunk.byteLength)
      this.skipping -= drop
      chunk = chunk.subarray(drop)
    }
    if (chunk.byteLength > 0) {
      this.chunks.push(chunk)
      this.buffered += chunk.byteLength
    }
    for (;;) {
      if (this.expected === undefined) {
        const prefix = this.readPrefix()
        if (prefix === undefined) break
        if (prefix === 'corrupt') {
          this.corrupt = true
          this.chunks = []
          this.buffered = 0
          events.push({ type: 'corrupt', error: new ProtocolError('frame length prefix is not a valid varint; closing the stream') })
          break
        }
        if (prefix > this.maxFrameBytes) {
          events.push({
            type: 'oversized',
            error: new ProtocolError(`frame of ${prefix} bytes exceeds the ${this.maxFrameBytes} byte limit; skipped`, {
              hint: 'send large inputs by reference (URL, IPFS CID) instead of inline',
            }),
          })
          const drop = Math.min(prefix, this.buffered)
          this.take(drop)
          this.skipping = prefix - drop
          if (this.skipping > 0) break
          continue
        }
        this.expected = prefix
      }
      if (this.buffered < this.expected) break
      const body = this.take(this.expected)
      this.expected = undefined
      events.push({ type: 'frame', body })
    }
    return events
  }

  /** Reads and consumes a varint prefix; undefined when more bytes are needed. */
  private readPrefix(): number | 'corrupt' | undefined {
    let value = 0
    let scale = 1
    let index = 0
    for (const chunk of this.chunks) {
      for (const byte of chunk) {
        value += (byte & 0x7f) * scale
        index++
        if ((byte & 0x80) === 0) {
          this.take(index)
          return value
        }
        if (index >= MAX_VARINT_BYTES) return 'corrupt'
        scale *= 128
      }
    }
    return undefined
  }

  /** Removes the first `count` buffered bytes and returns them as one array. */
  private take(count: number): Uint8Array {
    if (count === 0) return new Uint8Array(0)
    const first = this.chunks[0]
    if (first.byteLength >= count) {
      const out = first.subarray(0, count)
      if (first.byteLength === count) this.chunks.shift()
      else this.chunks[0] = first.subarray(count)
      this.buffered -= count
      return out
    }
    const out = new Uint8Array(count)
    let offset = 0
    while (offset < count) {
      const chunk = this.chunks[0]
      const n = Math.min(chunk.byteLength, count - offset)
      out.set(chunk.subarray(0, n), offset)
      offset += n
      if (n === chunk.byteLength) this.chunks.shift()
      else this.chunks[0] = chunk.subarray(n)
    }
    this.buffered -= count
    return out
  }
}
