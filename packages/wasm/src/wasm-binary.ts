/**
 * The little of the WebAssembly binary format the engine reads itself: the header (core module
 * or component?) and the memory limits, which it rewrites so no linear memory can grow past the
 * job's cap (Worker resource limits do not cover WASM memory; a module without a declared maximum
 * could otherwise grow to 4 GiB).
 */

import { concatBytes, unsignedLeb128 } from '@shoal/interface'

/** Bytes per WebAssembly page. */
export const WASM_PAGE_BYTES = 65536

/** What a binary is: a core module, a component (WASI preview2), or not WebAssembly at all. */
export type WasmBinaryKind = 'module' | 'component' | 'invalid'

/** Classifies a binary by its 8-byte header: `\0asm`, then version 1 (module) or a component layer. */
export function detectWasmBinaryKind(bytes: Uint8Array): WasmBinaryKind {
  if (bytes.byteLength < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) return 'invalid'
  // Version field: 2 bytes version + 2 bytes layer (0 = core module, 1 = component).
  const layer = bytes[6]! | (bytes[7]! << 8)
  if (layer === 1) return 'component'
  if (layer === 0 && bytes[4] === 1 && bytes[5] === 0) return 'module'
  return 'invalid'
}

/** A module declares more memory than the cap allows. */
export class MemoryCapError extends Error {
  readonly declaredBytes: number
  readonly capBytes: number
  constructor(declaredBytes: number, capBytes: number) {
    super(`the module declares a minimum linear memory of ${formatBytes(declaredBytes)}, more than the ${formatBytes(capBytes)} cap`)
    this.name = 'MemoryCapError'
    this.declaredBytes = declaredBytes
    this.capBytes = capBytes
  }
}

/** The binary is malformed where the rewriter needs to read it. */
export class WasmFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WasmFormatError'
  }
}

/** "64 MiB", "1.5 GiB", "512 KiB", "100 B". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`
}

class Reader {
  offset: number
  readonly bytes: Uint8Array
  constructor(bytes: Uint8Array, offset: number) {
    this.bytes = bytes
    this.offset = offset
  }
  byte(): number {
    if (this.offset >= this.bytes.byteLength) throw new WasmFormatError('unexpected end of the module')
    return this.bytes[this.offset++]!
  }
  /** Unsigned LEB128 (up to 64 bits, as a Number: memory limits of interest stay far below 2^53). */
  u(): number {
    let result = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      const b = this.byte()
      result += (b & 0x7f) * scale
      if ((b & 0x80) === 0) return result
      scale *= 128
    }
    throw new WasmFormatError('malformed LEB128 integer')
  }
  skip(n: number): void {
    if (this.offset + n > this.bytes.byteLength) throw new WasmFormatError('unexpected end of the module')
    this.offset += n
  }
  name(): void {
    this.skip(this.u())
  }
}


/** Reads one `limits` and writes it back with `max = min(max, capPages)`; throws if `min > capPages`. */
function capLimits(reader: Reader, out: number[], capPages: number, capBytes: number): void {
  const flags = reader.byte()
  const min = reader.u()
  const hasMax = (flags & 1) !== 0
  const max = hasMax ? reader.u() : undefined
  // flags: bit0 = has max, bit1 = shared (threads), bit2 = 64-bit (memory64); keep all but force bit0.
  if (min > capPages) throw new MemoryCapError(min * WASM_PAGE_BYTES, capBytes)
  out.push(flags | 1, ...unsignedLeb128(min), ...unsignedLeb128(max === undefined ? capPages : Math.min(max, capPages)))
}

function skipLimits(reader: Reader): void {
  const flags = reader.byte()
  reader.u()
  if (flags & 1) reader.u()
}

/**
 * Whether a core module has a start section (a function that runs during instantiation). True
 * also when the sections cannot be read, the safe answer for a caller deciding whether
 * instantiating runs any of the module's code.
 */
export function hasStartSection(bytes: Uint8Array): boolean {
  try {
    const reader = new Reader(bytes, 8)
    while (reader.offset < bytes.byteLength) {
      const id = reader.byte()
      if (id === 8) return true
      reader.skip(reader.u())
    }
    return false
  } catch {
    return true
  }
}

/**
 * Returns a copy of a core module whose every linear memory (defined or imported) declares a
 * maximum of at most `capBytes`. Throws {@link MemoryCapError} when a memory's minimum already
 * exceeds the cap, {@link WasmFormatError} when the sections cannot be read.
 */
export function capMemory(bytes: Uint8Array, capBytes: number): Uint8Array {
  const capPages = Math.floor(capBytes / WASM_PAGE_BYTES)
  const out: number[] = []
  const chunks: Uint8Array[] = [bytes.subarray(0, 8)]
  const reader = new Reader(bytes, 8)
  while (reader.offset < bytes.byteLength) {
    const sectionStart = reader.offset
    const id = reader.byte()
    const size = reader.u()
    const payloadStart = reader.offset
    const end = payloadStart + size
    if (end > bytes.byteLength) throw new WasmFormatError('a section runs past the end of the module')
    if (id === 2 || id === 5) {
      const body = new Reader(bytes, payloadStart)
      out.length = 0
      const count = body.u()
      out.push(...unsignedLeb128(count))
      for (let i = 0; i < count; i++) {
        if (id === 5) {
          capLimits(body, out, capPages, capBytes)
          continue
        }
        const entryStart = body.offset
        body.name()
        body.name()
        const kind = body.byte()
        if (kind === 2) {
          for (let j = entryStart; j < body.offset; j++) out.push(bytes[j]!)
          capLimits(body, out, capPages, capBytes)
          continue
        }
        if (kind === 0) body.u()
        else if (kind === 1) {
          body.byte()
          skipLimits(body)
        } else if (kind === 3) body.skip(2)
        else if (kind === 4) {
          body.byte()
          body.u()
        } else throw new WasmFormatError(`unknown import kind ${kind}`)
        for (let j = entryStart; j < body.offset; j++) out.push(bytes[j]!)
      }
      if (body.offset !== end) throw new WasmFormatError(`section ${id} has trailing bytes`)
      chunks.push(new Uint8Array([id, ...unsignedLeb128(out.length), ...out]))
    } else {
      chunks.push(bytes.subarray(sectionStart, end))
    }
    reader.offset = end
  }
  return concatBytes(chunks)
}
