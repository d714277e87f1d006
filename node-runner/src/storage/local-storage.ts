import { constants } from 'node:fs'
import { lstat, mkdir, open, readdir, readFile, realpath, rm } from 'node:fs/promises'
import { isAbsolute, join, resolve, sep } from 'node:path'
import { StorageError, type InputSource, type SpecConfig } from '@shoal/models'
import { readTreeIntoMemory, type DirectoryNode, type FileTreeNode, type ReadableTree, type StorageContext, type StorageProvider, type Volume } from '@shoal/interface'

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

/** Whether `path` is `base` or inside it. */
const covers = (base: string, path: string): boolean => path === base || path.startsWith(base.endsWith(sep) ? base : base + sep)

/** Whether two trees hold the same names and bytes. */
function sameTree(a: FileTreeNode, b: FileTreeNode): boolean {
  if (a.kind === 'file' || b.kind === 'file') {
    return a.kind === 'file' && b.kind === 'file' && a.data.byteLength === b.data.byteLength && a.data.every((byte, i) => byte === b.data[i])
  }
  if (a.entries.size !== b.entries.size) return false
  for (const [name, child] of a.entries) {
    const other = b.entries.get(name)
    if (!other || !sameTree(child, other)) return false
  }
  return true
}

const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW

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
    return this.allowed.find((a) => covers(a.path, path))
  }

  /** The most specific allow-list entry covering `path`, if it is read-write. */
  private writableEntry(path: string): AllowedPath | undefined {
    const entries = this.allowed.filter((a) => covers(a.path, path)).sort((a, b) => b.path.length - a.path.length)
    return entries[0]?.readWrite ? entries[0] : undefined
  }

  /** The input's SourcePath, checked and resolved to its real host path; `missing` words the error when it does not exist. */
  private async hostPath(input: InputSource, missing: (path: string) => { message: string; hint?: string }): Promise<{ requested: string; real: string }> {
    const requested = sourcePathOf(input.Source)
    const problems = this.validate(input.Source)
    if (problems.length > 0) throw new StorageError(`local input ${input.Target}: ${problems[0]}`)
    try {
      return { requested, real: await realpath(resolve(requested)) }
    } catch (err) {
      const { message, hint } = missing(requested)
      throw new StorageError(message, { cause: err, hint })
    }
  }

  async prepare(input: InputSource, options: StorageContext): Promise<Volume> {
    const { requested, real } = await this.hostPath(input, (path) => ({
      message: `local input ${path} does not exist on this compute node`,
      hint: 'check SourcePath, and that the job runs on the node that has the data (use labels/constraints)',
    }))
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
    return { kind: 'memory', node: await this.read(real, budget, new Set(), options.signal, requested) }
  }

  /**
   * Writes a ReadWrite input's final contents back to its host path: changed files are
   * rewritten, new files and directories created, and entries the job removed deleted. Nothing
   * outside the `:rw` allow-listed path is touched: links on the host are never written through
   * (a link the job left unchanged stays; one it removed is unlinked, not its target).
   */
  async commit(input: InputSource, tree: ReadableTree, options: StorageContext): Promise<void> {
    const contents = await readTreeIntoMemory(tree, {
      signal: options.signal,
      maxBytes: this.maxBytes,
      tooLarge: () => new StorageError(`the job left more than the ${this.maxBytes} byte limit of this compute node in local path ${String(input.Source.Params?.SourcePath)}`),
    })
    const { requested, real } = await this.hostPath(input, (path) => ({ message: `local path ${path} disappeared from this compute node while the job ran` }))
    const entry = this.writableEntry(real)
    if (entry === undefined) {
      throw new StorageError(`local path ${requested} is not allow-listed read-write on this compute node; the job's changes were not written back`, {
        hint: 'the node operator must start it with --allow-listed-local-paths <path>:rw',
      })
    }
    const info = await lstat(real)
    if (contents.kind === 'file') {
      if (!info.isFile()) throw new StorageError(`local path ${requested} is no longer a regular file; the job's changes were not written back`)
      await this.writeFile(real, contents.data, info.size)
      return
    }
    if (!info.isDirectory()) throw new StorageError(`local path ${requested} is no longer a directory; the job's changes were not written back`)
    // A first pass refuses (links, names) before anything is changed; the second writes.
    await this.sync(real, contents, entry, false, options.signal)
    await this.sync(real, contents, entry, true, options.signal)
  }

  /** Makes host directory `dir` hold exactly `tree`; with `apply` false, only checks that it can. */
  private async sync(dir: string, tree: DirectoryNode, entry: AllowedPath, apply: boolean, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    // The directory must still be itself (not swapped for a link) and inside the allow-listed path.
    const real = await realpath(dir)
    if (real !== dir || !covers(entry.path, real)) {
      throw new StorageError(`local path ${dir} now leads to ${real}, outside the read-write allow-listed path ${entry.path}; not written`)
    }
    const present = new Set(await readdir(dir))
    for (const name of present) {
      // rm removes a link itself, never what it points to.
      if (apply && !tree.entries.has(name)) await rm(join(dir, name), { recursive: true, force: true })
    }
    for (const [name, node] of tree.entries) {
      if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
        throw new StorageError(`the job left a file named ${JSON.stringify(name)} in ${dir}, which cannot be written back`)
      }
      const path = join(dir, name)
      const info = present.has(name) ? await lstat(path) : undefined
      if (info?.isSymbolicLink()) {
        await this.keepLink(path, node, signal)
      } else if (!apply) {
        if (node.kind === 'dir' && info?.isDirectory()) await this.sync(path, node, entry, false, signal)
      } else if (node.kind === 'dir') {
        if (info && !info.isDirectory()) await rm(path, { force: true })
        if (!info?.isDirectory()) await mkdir(path)
        await this.sync(path, node, entry, true, signal)
      } else {
        if (info?.isDirectory()) await rm(path, { recursive: true, force: true })
        await this.writeFile(path, node.data, info?.isFile() ? info.size : -1)
      }
    }
  }

  /** Leaves the host link at `path` alone when the job did not change what it reads as; refuses otherwise. */
  private async keepLink(path: string, node: FileTreeNode, signal?: AbortSignal): Promise<void> {
    let current: FileTreeNode | undefined
    try {
      current = await this.read(path, { left: Number.POSITIVE_INFINITY }, new Set(), signal, path)
    } catch {
      current = undefined
    }
    if (current === undefined || !sameTree(current, node)) {
      throw new StorageError(`local path ${path} is a symbolic link on the host; the job's changes there were not written back`, {
        hint: 'Shoal never writes through links; replace the link with a real file or directory inside the allow-listed path',
      })
    }
  }

  /** Writes `data` to the regular file `path` (never through a link); skips it when unchanged. */
  private async writeFile(path: string, data: Uint8Array, currentSize: number): Promise<void> {
    if (currentSize === data.byteLength && sameTree({ kind: 'file', data: new Uint8Array(await readFile(path)) }, { kind: 'file', data })) return
    const handle = await open(path, WRITE_FLAGS, 0o644)
    try {
      await handle.writeFile(data)
    } finally {
      await handle.close()
    }
  }

  /**
   * Reads `path` into a tree. `ancestors` holds the real paths of the directories being read
   * above it: a link back to one of them (`data/again -> ..`) would repeat the walk forever.
   */
  private async read(path: string, budget: { left: number }, ancestors: Set<string>, signal: AbortSignal | undefined, shown: string): Promise<FileTreeNode> {
    signal?.throwIfAborted()
    const info = await lstat(path)
    if (info.isSymbolicLink()) {
      // Follow only links that stay inside an allow-listed path.
      const target = await realpath(path).catch((err: NodeJS.ErrnoException) => {
        throw new StorageError(`local input ${shown} is a link that cannot be resolved (${err.code ?? err.message})`, { cause: err, hint: 'remove the broken or looping link from the allow-listed path' })
      })
      if (this.allowedEntry(target) === undefined) {
        throw new StorageError(`local input ${path} is a link to ${target}, outside the allow-listed paths`)
      }
      if (ancestors.has(target)) {
        throw new StorageError(`local input ${shown} is a link to ${target}, a directory that contains it: reading it would never end`, {
          hint: 'remove the link loop from the allow-listed path, or mount a directory without it',
        })
      }
      return this.read(target, budget, ancestors, signal, shown)
    }
    if (info.isDirectory()) {
      const entries = new Map<string, FileTreeNode>()
      const real = await realpath(path)
      const inside = new Set(ancestors).add(real)
      for (const name of (await readdir(path)).sort()) {
        entries.set(name, await this.read(join(path, name), budget, inside, signal, `${shown}/${name}`))
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
