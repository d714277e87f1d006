import { lstat, readdir, readFile, realpath } from 'node:fs/promises'
import { isAbsolute, join, resolve, sep } from 'node:path'
import { StorageError, type InputSource, type SpecConfig } from '@shoal/models'
import type { FileTreeNode, StorageContext, StorageProvider } from '@shoal/interface'

/** One allow-listed host path: `/data/in:ro` or `/data/scratch:rw` (read-only when no suffix). */
export interface AllowedPath {
  path: string
  readWrite: boolean
}

/** Options of the local input source. */
export interface LocalStorageOptions {
  /** Host paths jobs may mount; nothing is allowed by default. */
  allowedPaths: AllowedPath[]
  /** Largest input read into memory, in bytes (default 1 GiB). */
  maxBytes?: number
}

/** Parses `--allow-listed-local-paths` entries (`path`, `path:ro`, `path:rw`). */
export function parseAllowedPaths(entries: string[]): AllowedPath[] {
  return entries.map((entry) => {
    const match = /^(.*?)(?::(ro|rw))?$/.exec(entry)!
    const path = match[1]
    if (!isAbsolute(path)) {
      throw new StorageError(`allow-listed local path "${entry}" is not absolute`, {
        hint: 'give absolute host paths, optionally suffixed :ro or :rw, e.g. /data/inputs:ro',
      })
    }
    return { path: resolve(path), readWrite: match[2] === 'rw' }
  })
}

const sourcePathOf = (source: SpecConfig): string => {
  const params = source.Params ?? {}
  const value = params.SourcePath ?? params.sourcePath ?? params.Path
  return typeof value === 'string' ? value : ''
}

/**
 * The `local` input source (legacy name `localDirectory`): a file or directory on the compute
 * node's host, mounted into the job. Only allow-listed paths may be used, and only read-only
 * unless the allow-list entry says `:rw`.
 */
export class LocalStorage implements StorageProvider {
  readonly type = 'local'
  private readonly allowed: AllowedPath[]
  private readonly maxBytes: number

  constructor(options: LocalStorageOptions) {
    this.allowed = options.allowedPaths
    this.maxBytes = options.maxBytes ?? 1024 * 1024 * 1024
  }

  validate(source: SpecConfig): string[] {
    const path = sourcePathOf(source)
    if (path === '') return ['Params.SourcePath is required: the host path to mount']
    if (!isAbsolute(path)) return [`Params.SourcePath "${path}" must be an absolute host path`]
    return []
  }

  /** The allow-list entry covering `path`, if any. */
  private allowedEntry(path: string): AllowedPath | undefined {
    return this.allowed.find((a) => path === a.path || path.startsWith(a.path.endsWith(sep) ? a.path : a.path + sep))
  }

  async prepare(input: InputSource, options: StorageContext): Promise<FileTreeNode> {
    const requested = sourcePathOf(input.Source)
    const problems = this.validate(input.Source)
    if (problems.length > 0) throw new StorageError(`local input ${input.Target}: ${problems[0]}`)
    let real: string
    try {
      real = await realpath(resolve(requested))
    } catch (err) {
      throw new StorageError(`local input ${requested} does not exist on this compute node`, {
        cause: err,
        hint: 'check SourcePath, and that the job runs on the node that has the data (use labels/constraints)',
      })
    }
    const entry = this.allowedEntry(real)
    if (entry === undefined) {
      throw new StorageError(`local path ${requested} is not allow-listed on this compute node`, {
        hint: 'the node operator must start it with --allow-listed-local-paths <path>[:ro|:rw]',
      })
    }
    if (input.Source.Params?.ReadWrite === true && !entry.readWrite) {
      throw new StorageError(`local path ${requested} is allow-listed read-only, but the job asks for ReadWrite`, {
        hint: 'drop ReadWrite, or have the operator allow-list the path with :rw',
      })
    }
    const budget = { left: this.maxBytes }
    return this.read(real, budget, options.signal)
  }

  private async read(path: string, budget: { left: number }, signal?: AbortSignal): Promise<FileTreeNode> {
    signal?.throwIfAborted()
    const info = await lstat(path)
    if (info.isSymbolicLink()) {
      // Follow only links that stay inside an allow-listed path.
      const target = await realpath(path)
      if (this.allowedEntry(target) === undefined) {
        throw new StorageError(`local input ${path} is a link to ${target}, outside the allow-listed paths`)
      }
      return this.read(target, budget, signal)
    }
    if (info.isDirectory()) {
      const entries = new Map<string, FileTreeNode>()
      for (const name of (await readdir(path)).sort()) {
        entries.set(name, await this.read(join(path, name), budget, signal))
      }
      return { kind: 'dir', entries }
    }
    if (!info.isFile()) throw new StorageError(`local input ${path} is neither a file nor a directory`)
    budget.left -= info.size
    if (budget.left < 0) {
      throw new StorageError(`local input is larger than the ${this.maxBytes} byte limit of this compute node`)
    }
    return { kind: 'file', data: new Uint8Array(await readFile(path)) }
  }
}
