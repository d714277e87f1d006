import { basename } from 'node:path'
import { ValidationError, type InputSource, type Job } from '@shoal/models'
import { buildJobFromFlags, DEFAULT_RUN_PUBLISHER, parseInputFlags, type JobTaskFlags } from './job-flags.ts'
import { parseInputSpec } from './storage-spec.ts'

/** The default publisher of `shoal wasm run`: local, so `shoal job get` works afterwards (Bacalhau defaults to none). */
export const DEFAULT_WASM_PUBLISHER = DEFAULT_RUN_PUBLISHER

/** Flags of `shoal wasm run`, as parsed from the command line: the shared job and task flags plus wasm's own. */
export interface WasmRunFlags extends JobTaskFlags {
  /** A local .wasm file (optionally `path:target`), a URI (http(s)://, ipfs://, s3://), or the target of an --input. */
  module: string
  /** Arguments given to the module (argv[1..]). */
  args: string[]
  entryPoint?: string
  importModules?: string[]
  /** ★ Shoal extension: ask for a deterministic run (seeded randomness, virtual clock). */
  deterministic?: boolean
}

/** Reads a local file; resolves undefined when there is no such file. */
export type LocalFileReader = (path: string) => Promise<Uint8Array | undefined>

const URI = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//

/** Base64 `data:` URL of bytes, as Bacalhau's inline storage uploads a file. */
export function inlineDataUrl(bytes: Uint8Array): string {
  return `data:application/octet-stream;base64,${Buffer.from(bytes).toString('base64')}`
}

/**
 * The input that mounts a module: a URI (`uri[:/target]`) or a local file (`path[:/target]`, sent
 * inline). Without an explicit target it goes to `defaultTarget`, or, when that is undefined,
 * the module is refused (an import module must be mounted at the path its importers name).
 */
async function moduleInput(spec: string, readFile: LocalFileReader, flag: string, defaultTarget?: string): Promise<InputSource | undefined> {
  if (URI.test(spec)) {
    const path = spec.replace(URI, '').split(/[?#]/)[0]
    const name = basename(path.replace(/:\/[^:]*$/, '')) || 'main.wasm'
    // A target the user cannot have typed tells whether they gave one.
    const unset = '/\u0000'
    const input = parseInputSpec(spec, defaultTarget === undefined ? unset : `${defaultTarget}/${name}`, flag)
    if (input.Target === unset) throw missingTarget(spec, flag)
    return input
  }
  // path[:target] — split at ':/' (an absolute target), or at the only ':' as upstream does
  // (`lib.wasm:lib.wasm` mounts lib.wasm at the relative target lib.wasm).
  const absolute = spec.lastIndexOf(':/')
  const colon = absolute > 0 ? absolute : spec.split(':').length === 2 ? spec.indexOf(':') : -1
  const path = colon > 0 ? spec.slice(0, colon) : spec
  const bytes = await readFile(path)
  if (bytes === undefined) return undefined
  if (colon <= 0 && defaultTarget === undefined) throw missingTarget(spec, flag)
  const target = colon > 0 ? spec.slice(colon + 1) : `${defaultTarget}/${basename(path)}`
  if (target.trim() === '' || target.split('/').includes('..')) {
    throw new ValidationError([{ path: flag, message: `"${spec}": the target must be a path without ".." (have: "${target}")` }])
  }
  return { Source: { Type: 'inline', Params: { URL: inlineDataUrl(bytes) } }, Alias: basename(path), Target: target }
}

/** An import module given without the path it is to be mounted at: the job could never link it. */
function missingTarget(spec: string, flag: string): ValidationError {
  const name = basename(spec.replace(URI, '').split(/[?#]/)[0]) || 'module.wasm'
  return new ValidationError([{ path: flag, message: `"${spec}" has no target path, so the entry module could not find it when linking` }], {
    hint: `Say where to mount it with path:target, at the module name the entry module imports from, e.g. -I ${spec}:/${name} (or mount it with --input and pass that target to -I).`,
  })
}

/**
 * Builds the job `shoal wasm run` submits: one wasm task whose entry module is a local file (sent
 * inline as a base64 `data:` URL), a URI (urlDownload/ipfs/s3 input) or an --input target.
 */
export async function buildWasmJob(flags: WasmRunFlags, readFile: LocalFileReader): Promise<Partial<Job>> {
  const inputs = parseInputFlags(flags)
  const entry = await moduleInput(flags.module, readFile, 'MODULE', '/app')
  let entryModule = flags.module
  if (entry) {
    inputs.push(entry)
    entryModule = entry.Target
  } else if (!inputs.some((input) => input.Target === flags.module)) {
    throw new ValidationError([
      { path: 'MODULE', message: `cannot read ${flags.module}: no such file, and no --input is mounted at that target` },
    ], { hint: 'Give a path to a .wasm file, an http(s)://, ipfs:// or s3:// URI, or the target of an --input.' })
  }
  const importModules: string[] = []
  for (const spec of flags.importModules ?? []) {
    if (inputs.some((input) => input.Target === spec)) {
      importModules.push(spec)
      continue
    }
    const input = await moduleInput(spec, readFile, '--import-modules')
    if (!input) throw new ValidationError([{ path: '--import-modules', message: `cannot read ${spec}: no such file, and no --input is mounted at that target` }])
    inputs.push(input)
    importModules.push(input.Target)
  }
  const engineParams: Record<string, unknown> = {
    EntryModule: entryModule,
    Entrypoint: flags.entryPoint ?? '_start',
    Parameters: flags.args,
    ImportModules: importModules,
  }
  if (flags.deterministic) engineParams.Deterministic = true
  // None unless asked: WASI preview1 has no sockets, and nodes refuse a task asking for more than they allow.
  return buildJobFromFlags(flags, { engine: { Type: 'wasm', Params: engineParams }, inputs, defaultNetwork: 'None' })
}
