import { readFileSync, statSync } from 'node:fs'
import { basename } from 'node:path'
import { gzipSync } from 'node:zlib'

/**
 * Upstream's inline storage sends a file of at most this many bytes as itself, and a larger one
 * as a tar.gz of it (pkg/storage/inline/storage.go, maximumPlaintextSize).
 */
export const UPSTREAM_INLINE_PLAINTEXT_BYTES = 512

/** One 512-byte USTAR header for a regular file, as Go's archive/tar writes it (octal fields, NUL-terminated). */
function ustarHeader(name: string, size: number, mtimeS: number): Uint8Array {
  const header = new Uint8Array(512)
  const put = (offset: number, text: string) => header.set(new TextEncoder().encode(text), offset)
  const octal = (offset: number, width: number, value: number) => put(offset, value.toString(8).padStart(width - 1, '0') + '\0')
  put(0, name)
  octal(100, 8, 0o644)
  octal(108, 8, 1000)
  octal(116, 8, 1000)
  octal(124, 12, size)
  octal(136, 12, mtimeS)
  put(148, '        ')
  put(156, '0')
  put(257, 'ustar\0')
  put(263, '00')
  put(265, 'user')
  put(297, 'user')
  const checksum = header.reduce((sum, byte) => sum + byte, 0)
  put(148, checksum.toString(8).padStart(6, '0') + '\0 ')
  return header
}

/**
 * The tar.gz upstream's `targzip.Compress` makes of one file: the file under its base name,
 * padded to 512 bytes, then two zero blocks.
 */
export function upstreamTarGz(name: string, data: Uint8Array, mtimeS = 1_700_000_000): Uint8Array {
  const padded = Math.ceil(data.byteLength / 512) * 512
  const tar = new Uint8Array(512 + padded + 1024)
  tar.set(ustarHeader(name, data.byteLength, mtimeS), 0)
  tar.set(data, 512)
  return new Uint8Array(gzipSync(tar))
}

/**
 * The `inline` source upstream's `InlineStorage.Upload` makes of a local file: a file over 512
 * bytes as an `application/gzip` data URL of a tar.gz holding it; a smaller one as a data URL of
 * the bytes with their sniffed content type (`application/wasm` for a WASM module).
 */
export function upstreamInlineSource(path: string): { Type: 'inline'; Params: { URL: string } } {
  const data = new Uint8Array(readFileSync(path))
  const url =
    statSync(path).size > UPSTREAM_INLINE_PLAINTEXT_BYTES
      ? `data:application/gzip;base64,${Buffer.from(upstreamTarGz(basename(path), data)).toString('base64')}`
      : `data:application/wasm;base64,${Buffer.from(data).toString('base64')}`
  return { Type: 'inline', Params: { URL: url } }
}

/** Options of {@link upstreamWasmRunJob}. */
export interface UpstreamWasmRunJobOptions {
  /** Import modules as `bacalhau wasm run -I <file>:<target>` gives them: local file and target. */
  importModules?: Array<{ path: string; target: string }>
  /** Node label constraints (`--constraints`), as Key = Value. */
  constraints?: Record<string, string>
  /** Arguments after the module (argv[1..]). */
  args?: string[]
}

/**
 * The job upstream's `bacalhau wasm run <modulePath>` builds and its Go client sends
 * (cmd/cli/wasm/wasm_run.go, cmd/cli/helpers.BuildJobFromFlags): the module inline at the
 * relative Target `main.wasm`, EntryModule `main.wasm`, no publisher, default network.
 */
export function upstreamWasmRunJob(modulePath: string, options: UpstreamWasmRunJobOptions = {}): Record<string, unknown> {
  const imports = options.importModules ?? []
  return {
    ID: '',
    Name: '',
    Namespace: 'default',
    Type: 'batch',
    Priority: 0,
    Count: 1,
    Constraints: Object.entries(options.constraints ?? {}).map(([Key, value]) => ({ Key, Operator: '=', Values: [value] })),
    Meta: null,
    Labels: {},
    Tasks: [
      {
        Name: 'main',
        Engine: {
          Type: 'wasm',
          Params: {
            EntryModule: 'main.wasm',
            Entrypoint: '_start',
            Parameters: options.args ?? [],
            ImportModules: imports.length > 0 ? imports.map((module) => module.target) : null,
          },
        },
        // Go's omitempty drops the empty Env, Meta, ResultPaths, Network, zero timeouts and nil Params.
        Publisher: { Type: '' },
        InputSources: [
          { Source: upstreamInlineSource(modulePath), Alias: '', Target: 'main.wasm' },
          ...imports.map((module) => ({ Source: upstreamInlineSource(module.path), Alias: '', Target: module.target })),
        ],
        Resources: { CPU: '', Memory: '', Disk: '', GPU: '' },
        Timeouts: {},
      },
    ],
    State: { StateType: 'Undefined' },
    Version: 0,
    Revision: 0,
    CreateTime: 0,
    ModifyTime: 0,
  }
}
