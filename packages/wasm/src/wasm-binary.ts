/**
 * The little of the WebAssembly binary format the engine reads itself: the header (core module
 * or component?), and what a module can allocate: its memories and tables, whose limits it
 * rewrites so nothing grows past the job's Resources.Memory (Worker resource limits do not cover
 * WASM memory, and a browser Worker has none at all), and its type section, to refuse WasmGC
 * types whose objects no cap could bound.
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

/** Why a module is refused before it runs: stable codes for what it declared. */
export type ModuleLimitCode = 'gc-types' | 'too-many-memories' | 'too-many-tables' | 'table-too-large'

/** A module declares something Shoal does not run under a memory cap (GC types, a second memory, ...). */
export class ModuleLimitError extends Error {
  readonly code: ModuleLimitCode
  constructor(code: ModuleLimitCode, message: string) {
    super(message)
    this.name = 'ModuleLimitError'
    this.code = code
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
 * What a funcref/externref table entry is counted as: measured 32 bytes of JS heap per entry on
 * Node 24 (V8 keeps a dispatch-table slot beside each element), 8 on Node 20.
 */
export const TABLE_ENTRY_BYTES = 32
/** Memories a module may declare (defined plus imported): WASI programs use one. */
export const MAX_MEMORIES = 1
/** Tables a module may declare (defined plus imported). */
export const MAX_TABLES = 8
/** The share of the memory cap all of a module's tables together may use. */
const TABLE_SHARE = 1 / 16

/** What {@link capModule} holds a module to. */
export interface ModuleCaps {
  /** Resources.Memory: linear memory and tables together stay within it. */
  memoryCapBytes: number
  /**
   * Run modules with WasmGC types. Only where a runtime heap limit holds their objects (Node
   * workers with resourceLimits); a browser Worker has none. Default false.
   */
  allowGc?: boolean
}

/** A section's id and where its payload lies. */
interface Section {
  id: number
  start: number
  payloadStart: number
  end: number
}

function readSections(bytes: Uint8Array): Section[] {
  const sections: Section[] = []
  const reader = new Reader(bytes, 8)
  while (reader.offset < bytes.byteLength) {
    const start = reader.offset
    const id = reader.byte()
    const size = reader.u()
    const payloadStart = reader.offset
    const end = payloadStart + size
    if (end > bytes.byteLength) throw new WasmFormatError('a section runs past the end of the module')
    sections.push({ id, start, payloadStart, end })
    reader.offset = end
  }
  return sections
}

/** Skips a signed LEB128 (heap types are s33). */
function skipSigned(reader: Reader): void {
  for (let i = 0; i < 10; i++) if ((reader.byte() & 0x80) === 0) return
  throw new WasmFormatError('malformed LEB128 integer')
}

/** Skips a value or reference type: one byte, or `ref`/`ref null` followed by a heap type. */
function skipValueType(reader: Reader): void {
  const b = reader.byte()
  if (b === 0x63 || b === 0x64) skipSigned(reader)
}

/** Skips a constant expression (a table's initial value), through its `end`. */
function skipConstExpr(reader: Reader): void {
  for (;;) {
    const op = reader.byte()
    if (op === 0x0b) return
    if (op === 0x41 || op === 0x42 || op === 0xd0) skipSigned(reader)
    else if (op === 0x43) reader.skip(4)
    else if (op === 0x44) reader.skip(8)
    else if (op === 0xd2 || op === 0x23 || op === 0xfb) reader.u()
    else throw new WasmFormatError(`unsupported instruction 0x${op.toString(16)} in a table's initial value`)
  }
}

/** Reads `limits`: flags, minimum, optional maximum. */
function readLimits(reader: Reader): { flags: number; min: number; max: number | undefined } {
  const flags = reader.byte()
  const min = reader.u()
  return { flags, min, max: flags & 1 ? reader.u() : undefined }
}

/** Writes `limits` back with a maximum of at most `cap` (bit0 = has max is forced; shared/64-bit bits kept). */
function writeCappedLimits(out: number[], limits: { flags: number; min: number; max: number | undefined }, cap: number): void {
  out.push(limits.flags | 1, ...unsignedLeb128(limits.min), ...unsignedLeb128(limits.max === undefined ? cap : Math.min(limits.max, cap)))
}

/** Refuses WasmGC type definitions (struct, array, sub, rec): their objects live outside every cap. */
function checkTypes(bytes: Uint8Array, section: Section): void {
  const reader = new Reader(bytes, section.payloadStart)
  const count = reader.u()
  for (let i = 0; i < count; i++) {
    const form = reader.byte()
    if (form !== 0x60) {
      throw new ModuleLimitError(
        'gc-types',
        'the module declares WasmGC types (struct/array/rec); Shoal does not run WasmGC modules because their heap cannot be held to Resources.Memory',
      )
    }
    for (let list = 0; list < 2; list++) {
      const n = reader.u()
      for (let j = 0; j < n; j++) skipValueType(reader)
    }
  }
}

/** One table declared by a module (imported or defined): where its limits are and what they say. */
interface TableDeclaration {
  min: number
  max: number | undefined
}

/** Reads an import entry up to (not including) the limits of a memory or table; returns its kind. */
function readImportHead(reader: Reader): number {
  reader.name()
  reader.name()
  const kind = reader.byte()
  if (kind === 1) skipValueType(reader)
  return kind
}

function skipImportRest(reader: Reader, kind: number): void {
  if (kind === 0) reader.u()
  else if (kind === 1 || kind === 2) readLimits(reader)
  else if (kind === 3) {
    skipValueType(reader)
    reader.byte()
  } else if (kind === 4) {
    reader.byte()
    reader.u()
  } else throw new WasmFormatError(`unknown import kind ${kind}`)
}

/** Reads a table section entry's head: the optional `0x40 0x00` (table with an initial value) and the reference type. */
function readTableHead(reader: Reader): boolean {
  const withInit = reader.bytes[reader.offset] === 0x40
  if (withInit) reader.skip(2)
  skipValueType(reader)
  return withInit
}

/**
 * Returns a copy of a core module held to `caps`: every linear memory (defined or imported)
 * declares a maximum within the memory cap, and every table a maximum within its share of it
 * (tables together at most 1/16 of Resources.Memory, counted at {@link TABLE_ENTRY_BYTES} per
 * entry; the memory maximum is lowered by what the tables may take, so both together stay within
 * Resources.Memory). Throws {@link ModuleLimitError} for WasmGC types, more than
 * {@link MAX_MEMORIES} memories or {@link MAX_TABLES} tables, or a table whose minimum exceeds its
 * share; {@link MemoryCapError} when a memory's minimum exceeds the cap; {@link WasmFormatError}
 * when the sections cannot be read.
 */
export function capModule(bytes: Uint8Array, caps: ModuleCaps): Uint8Array {
  const capBytes = caps.memoryCapBytes
  const sections = readSections(bytes)
  const tables: TableDeclaration[] = []
  let memories = 0
  for (const section of sections) {
    if (section.id === 1 && !caps.allowGc) checkTypes(bytes, section)
    if (section.id !== 2 && section.id !== 4 && section.id !== 5) continue
    const reader = new Reader(bytes, section.payloadStart)
    const count = reader.u()
    for (let i = 0; i < count; i++) {
      if (section.id === 2) {
        const kind = readImportHead(reader)
        if (kind === 1) tables.push(readLimits(reader))
        else {
          if (kind === 2) memories++
          skipImportRest(reader, kind)
        }
      } else if (section.id === 4) {
        const withInit = readTableHead(reader)
        tables.push(readLimits(reader))
        if (withInit) skipConstExpr(reader)
      } else {
        memories++
        readLimits(reader)
      }
    }
    if (reader.offset !== section.end) throw new WasmFormatError(`section ${section.id} has trailing bytes`)
  }
  if (memories > MAX_MEMORIES) {
    throw new ModuleLimitError('too-many-memories', `the module declares ${memories} memories; Shoal allows ${MAX_MEMORIES} per module`)
  }
  if (tables.length > MAX_TABLES) {
    throw new ModuleLimitError('too-many-tables', `the module declares ${tables.length} tables; Shoal allows ${MAX_TABLES} per module`)
  }
  const tableCap = Math.floor((capBytes * TABLE_SHARE) / TABLE_ENTRY_BYTES / Math.max(1, tables.length))
  let tableBytes = 0
  for (const table of tables) {
    if (table.min > tableCap) {
      throw new ModuleLimitError(
        'table-too-large',
        `the module declares a table of at least ${table.min} entries; under its ${formatBytes(capBytes)} Resources.Memory a table may hold ${tableCap}`,
      )
    }
    tableBytes += Math.min(table.max ?? tableCap, tableCap) * TABLE_ENTRY_BYTES
  }
  const capPages = Math.floor(Math.max(0, capBytes - tableBytes) / WASM_PAGE_BYTES)

  const chunks: Uint8Array[] = [bytes.subarray(0, 8)]
  for (const section of sections) {
    if (section.id !== 2 && section.id !== 4 && section.id !== 5) {
      chunks.push(bytes.subarray(section.start, section.end))
      continue
    }
    const reader = new Reader(bytes, section.payloadStart)
    const count = reader.u()
    const out: number[] = [...unsignedLeb128(count)]
    const copy = (from: number) => {
      for (let j = from; j < reader.offset; j++) out.push(bytes[j]!)
    }
    const capMemoryLimits = () => {
      const limits = readLimits(reader)
      if (limits.min > capPages) throw new MemoryCapError(limits.min * WASM_PAGE_BYTES, capPages * WASM_PAGE_BYTES)
      writeCappedLimits(out, limits, capPages)
    }
    for (let i = 0; i < count; i++) {
      const entryStart = reader.offset
      if (section.id === 2) {
        const kind = readImportHead(reader)
        copy(entryStart)
        if (kind === 1) writeCappedLimits(out, readLimits(reader), tableCap)
        else if (kind === 2) capMemoryLimits()
        else {
          const restStart = reader.offset
          skipImportRest(reader, kind)
          copy(restStart)
        }
      } else if (section.id === 4) {
        const withInit = readTableHead(reader)
        copy(entryStart)
        writeCappedLimits(out, readLimits(reader), tableCap)
        const exprStart = reader.offset
        if (withInit) skipConstExpr(reader)
        copy(exprStart)
      } else capMemoryLimits()
    }
    chunks.push(new Uint8Array([section.id, ...unsignedLeb128(out.length), ...out]))
  }
  return concatBytes(chunks)
}
