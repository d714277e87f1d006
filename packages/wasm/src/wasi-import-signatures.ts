/**
 * Checks a module's WASI imports against the signatures WASI preview1 defines. The host's
 * imports are JavaScript functions, and WebAssembly links a JavaScript function to an import of
 * any signature: a module declaring `fd_write` with an i64 result links, then traps on its
 * first call with "Cannot convert 0 to a BigInt". Checking the declared types up front turns that
 * into a link error naming the import and both signatures.
 */
import { WASI_MODULE_NAMES } from './wasi-command.ts'

/** A function type as the text format writes it: `(i32, i64) -> i32`. */
type Signature = readonly [params: string, results: string]

const I = 'i32'
const L = 'i64'
const sig = (params: string[], results: string[] = [I]): Signature => [params.join(', '), results.join(', ')]

/**
 * Every function of wasi_snapshot_preview1 (the witx definitions lowered to core types); the
 * older wasi_unstable has the same functions with the same core types, less sock_accept.
 */
const WASI_SIGNATURES: ReadonlyMap<string, Signature> = new Map([
  ['args_get', sig([I, I])],
  ['args_sizes_get', sig([I, I])],
  ['environ_get', sig([I, I])],
  ['environ_sizes_get', sig([I, I])],
  ['clock_res_get', sig([I, I])],
  ['clock_time_get', sig([I, L, I])],
  ['fd_advise', sig([I, L, L, I])],
  ['fd_allocate', sig([I, L, L])],
  ['fd_close', sig([I])],
  ['fd_datasync', sig([I])],
  ['fd_fdstat_get', sig([I, I])],
  ['fd_fdstat_set_flags', sig([I, I])],
  ['fd_fdstat_set_rights', sig([I, L, L])],
  ['fd_filestat_get', sig([I, I])],
  ['fd_filestat_set_size', sig([I, L])],
  ['fd_filestat_set_times', sig([I, L, L, I])],
  ['fd_pread', sig([I, I, I, L, I])],
  ['fd_prestat_get', sig([I, I])],
  ['fd_prestat_dir_name', sig([I, I, I])],
  ['fd_pwrite', sig([I, I, I, L, I])],
  ['fd_read', sig([I, I, I, I])],
  ['fd_readdir', sig([I, I, I, L, I])],
  ['fd_renumber', sig([I, I])],
  ['fd_seek', sig([I, L, I, I])],
  ['fd_sync', sig([I])],
  ['fd_tell', sig([I, I])],
  ['fd_write', sig([I, I, I, I])],
  ['path_create_directory', sig([I, I, I])],
  ['path_filestat_get', sig([I, I, I, I, I])],
  ['path_filestat_set_times', sig([I, I, I, I, L, L, I])],
  ['path_link', sig([I, I, I, I, I, I, I])],
  ['path_open', sig([I, I, I, I, I, L, L, I, I])],
  ['path_readlink', sig([I, I, I, I, I, I])],
  ['path_remove_directory', sig([I, I, I])],
  ['path_rename', sig([I, I, I, I, I, I])],
  ['path_symlink', sig([I, I, I, I, I])],
  ['path_unlink_file', sig([I, I, I])],
  ['poll_oneoff', sig([I, I, I, I])],
  ['proc_exit', sig([I], [])],
  ['proc_raise', sig([I])],
  ['sched_yield', sig([])],
  ['random_get', sig([I, I])],
  ['sock_accept', sig([I, I, I])],
  ['sock_recv', sig([I, I, I, I, I, I])],
  ['sock_send', sig([I, I, I, I, I])],
  ['sock_shutdown', sig([I, I])],
])

/** Value types by their binary code; anything else (GC reference types) ends the check. */
const VALUE_TYPES: ReadonlyMap<number, string> = new Map([
  [0x7f, 'i32'],
  [0x7e, 'i64'],
  [0x7d, 'f32'],
  [0x7c, 'f64'],
  [0x7b, 'v128'],
  [0x70, 'funcref'],
  [0x6f, 'externref'],
])

/** A module imports a WASI preview1 function with another signature than the host's. */
export class WasiSignatureError extends Error {
  override readonly name = 'WasiSignatureError'
  readonly mismatch: WasiSignatureMismatch
  constructor(mismatch: WasiSignatureMismatch) {
    super(`imports ${mismatch.import} as ${mismatch.actual}, but WASI preview1 defines it as ${mismatch.expected}`)
    this.mismatch = mismatch
  }
}

/** A WASI import whose declared type is not the one WASI defines. */
export interface WasiSignatureMismatch {
  /** `wasi_snapshot_preview1.fd_write` */
  import: string
  expected: string
  actual: string
}

/** Why the check stops reading: the module uses encodings it does not know (compilation judges). */
class Unreadable extends Error {}

class Cursor {
  offset: number
  readonly bytes: Uint8Array
  readonly end: number
  constructor(bytes: Uint8Array, offset: number, end = bytes.byteLength) {
    this.bytes = bytes
    this.offset = offset
    this.end = end
  }
  byte(): number {
    if (this.offset >= this.end) throw new Unreadable()
    return this.bytes[this.offset++]!
  }
  u32(): number {
    let result = 0
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte()
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return result
    }
    throw new Unreadable()
  }
  skip(n: number): void {
    if (this.offset + n > this.end) throw new Unreadable()
    this.offset += n
  }
  name(): string {
    const length = this.u32()
    const start = this.offset
    this.skip(length)
    return new TextDecoder().decode(this.bytes.subarray(start, start + length))
  }
  valueType(): string {
    const type = VALUE_TYPES.get(this.byte())
    if (type === undefined) throw new Unreadable()
    return type
  }
  limits(): void {
    const flags = this.byte()
    this.u32()
    if (flags & 1) this.u32()
  }
}

const format = ([params, results]: Signature): string => `(${params}) -> ${results === '' ? '()' : results}`

/**
 * The first function import from a WASI module name whose declared signature differs from
 * WASI preview1's, or undefined when all match (or the module cannot be read: compiling it then
 * reports what is wrong). Imports of functions WASI does not define are left to linking.
 */
export function findWasiSignatureMismatch(bytes: Uint8Array): WasiSignatureMismatch | undefined {
  try {
    return scan(bytes)
  } catch (error) {
    if (error instanceof Unreadable) return undefined
    throw error
  }
}

function scan(bytes: Uint8Array): WasiSignatureMismatch | undefined {
  const types: Signature[] = []
  const reader = new Cursor(bytes, 8)
  while (reader.offset < bytes.byteLength) {
    const id = reader.byte()
    const size = reader.u32()
    const body = new Cursor(bytes, reader.offset, reader.offset + size)
    reader.skip(size)
    if (id === 1) {
      for (let count = body.u32(), i = 0; i < count; i++) {
        if (body.byte() !== 0x60) throw new Unreadable()
        const params = Array.from({ length: body.u32() }, () => body.valueType())
        const results = Array.from({ length: body.u32() }, () => body.valueType())
        types.push([params.join(', '), results.join(', ')])
      }
    } else if (id === 2) {
      for (let count = body.u32(), i = 0; i < count; i++) {
        const module = body.name()
        const name = body.name()
        const kind = body.byte()
        if (kind === 0) {
          const actual = types[body.u32()]
          const expected = WASI_MODULE_NAMES.includes(module) ? WASI_SIGNATURES.get(name) : undefined
          if (actual === undefined) throw new Unreadable()
          if (expected && (expected[0] !== actual[0] || expected[1] !== actual[1])) {
            return { import: `${module}.${name}`, expected: format(expected), actual: format(actual) }
          }
        } else if (kind === 1) {
          body.valueType()
          body.limits()
        } else if (kind === 2) body.limits()
        else if (kind === 3) {
          body.valueType()
          body.byte()
        } else if (kind === 4) {
          body.byte()
          body.u32()
        } else throw new Unreadable()
      }
      // Imports come before every section that could matter here.
      return undefined
    }
  }
  return undefined
}
