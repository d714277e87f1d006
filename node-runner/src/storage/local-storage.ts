import { constants } from 'node:fs'
import { lstat, mkdir, open, readdir, realpath, rm } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'
import { StorageError, type InputSource, type SpecConfig } from '@shoal/models'
import type { ReadableTree, StorageContext, StorageProvider, TreeEntry, Volume } from '@shoal/interface'
import { hostTree, isWithin } from './host-tree.ts'

/** One allow-listed host path: `/data/in:ro` or `/data/scratch:rw` (read-only when no suffix). */
export interface AllowedPath {
  path: string
  readWrite: boolean
}

/** Options of the local input source. */
export interface LocalStorageOptions {
  /** Host paths jobs may mount; nothing is allowed by default. */
  allowedPaths: AllowedPath[]
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
const covers = isWithin

const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW

/** Entries walked at most to size an input for a bid; a bigger tree's size is left unknown. */
const MAX_SIZED_ENTRIES = 100_000

/** What a metadata walk of a local input found. */
interface Scan {
  root: 'file' | 'directory'
  /** Bytes of its files (a file reached through two links counts twice, as it is read twice). */
  size: number
  entries: number
}

/** Whether two streams hold the same bytes; reads both to the end (or the first difference). */
async function sameBytes(a: ReadableStream<Uint8Array>, b: ReadableStream<Uint8Array>): Promise<boolean> {
  const left = a.getReader()
  const right = b.getReader()
  let pending: [Uint8Array, Uint8Array] = [new Uint8Array(0), new Uint8Array(0)]
  try {
    // Bounded: each turn consumes at least one chunk of a finite stream.
    for (;;) {
      if (pending[0].byteLength === 0) {
        const next = await left.read()
        pending[0] = next.done ? new Uint8Array(0) : next.value
        if (next.done) {
          if (pending[1].byteLength > 0) return false
          return (await right.read()).done === true
        }
      }
      if (pending[1].byteLength === 0) {
        const next = await right.read()
        if (next.done) return false
        pending[1] = next.value
      }
      const n = Math.min(pending[0].byteLength, pending[1].byteLength)
      for (let i = 0; i < n; i++) if (pending[0][i] !== pending[1][i]) return false
      pending = [pending[0].subarray(n), pending[1].subarray(n)]
    }
  } finally {
    await left.cancel().catch(() => {})
    await right.cancel().catch(() => {})
  }
}

/** A job entry's host path inside `base`, refusing names that cannot be written back. */
function hostPathOf(base: string, entryPath: string): string {
  const parts = entryPath.split('/')
  for (const [i, part] of parts.entries()) {
    if (part === '' || part === '.' || part === '..' || part.includes('\0')) {
      throw new StorageError(`the job left a file named ${JSON.stringify(part)} in ${join(base, ...parts.slice(0, i))}, which cannot be written back`)
    }
  }
  return join(base, ...parts)
}

/**
 * The `local` input source (legacy name `localDirectory`): a file or directory on the compute
 * node's host, mounted into the job in place (nothing is copied). Only allow-listed paths may be
 * used, and only read-only unless the allow-list entry says `:rw`. Links inside the input are
 * followed only while they stay inside it, as in a container's bind mount.
 */
export class LocalStorage implements StorageProvider {
  readonly type = 'local'
  private readonly allowed: AllowedPath[]

  constructor(options: LocalStorageOptions) {
    this.allowed = options.allowedPaths
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

  /** The input's real path once every check for mounting it passed. */
  private async checkedPath(input: InputSource): Promise<{ requested: string; real: string }> {
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
    return { requested, real }
  }

  /** Size of the input for bidding: its files' bytes, when it is allow-listed and not too many entries to walk. */
  async getVolumeSize(input: InputSource, options?: StorageContext): Promise<number | undefined> {
    try {
      const { requested, real } = await this.checkedPath(input)
      const scan = await this.scan(real, requested, { signal: options?.signal, maxEntries: MAX_SIZED_ENTRIES })
      return scan?.size
    } catch {
      // prepare reports what is wrong with the input, with its field path.
      return undefined
    }
  }

  async prepare(input: InputSource, options: StorageContext): Promise<Volume> {
    const { requested, real } = await this.checkedPath(input)
    // Metadata only: refuses links out of the input and loops before the job can see them.
    const scan = (await this.scan(real, requested, { signal: options.signal }))!
    return { kind: 'host', path: real, root: scan.root, size: scan.size }
  }

  /**
   * Walks the metadata of the input at `real`: sizes, and that every link stays inside it and
   * none loops. Undefined once past `maxEntries`.
   */
  private async scan(real: string, shown: string, options: { signal?: AbortSignal; maxEntries?: number }): Promise<Scan | undefined> {
    const info = await lstat(real)
    if (info.isFile()) return { root: 'file', size: info.size, entries: 1 }
    if (!info.isDirectory()) throw new StorageError(`local input ${shown} is neither a file nor a directory`)
    const scan: Scan = { root: 'directory', size: 0, entries: 0 }
    const max = options.maxEntries ?? Number.POSITIVE_INFINITY
    // Depth-first with an explicit stack, so a deep tree cannot overflow the call stack.
    const stack: { dir: string; shown: string; ancestors: Set<string> }[] = [{ dir: real, shown, ancestors: new Set([real]) }]
    while (stack.length > 0) {
      const { dir, shown: dirShown, ancestors } = stack.pop()!
      for (const name of await readdir(dir)) {
        options.signal?.throwIfAborted()
        if (++scan.entries > max) return undefined
        const path = join(dir, name)
        const entryShown = `${dirShown}/${name}`
        let target = path
        let entryInfo = await lstat(path)
        if (entryInfo.isSymbolicLink()) {
          target = await realpath(path).catch((err: NodeJS.ErrnoException) => {
            throw new StorageError(`local input ${entryShown} is a link that cannot be resolved (${err.code ?? err.message})`, { cause: err, hint: 'remove the broken or looping link from the allow-listed path' })
          })
          if (this.allowedEntry(target) === undefined) throw new StorageError(`local input ${entryShown} is a link to ${target}, outside the allow-listed paths`)
          if (!covers(real, target)) {
            throw new StorageError(`local input ${entryShown} is a link to ${target}, outside the mounted path ${shown}: links are followed only inside it`, {
              hint: 'mount the directory the link points to as an input of its own, or replace the link with the data',
            })
          }
          if (ancestors.has(target)) {
            throw new StorageError(`local input ${entryShown} is a link to ${target}, a directory that contains it: reading it would never end`, {
              hint: 'remove the link loop from the allow-listed path, or mount a directory without it',
            })
          }
          entryInfo = await lstat(target)
        }
        if (entryInfo.isDirectory()) stack.push({ dir: target, shown: entryShown, ancestors: new Set(ancestors).add(target) })
        else if (entryInfo.isFile()) scan.size += entryInfo.size
        else throw new StorageError(`local input ${entryShown} is neither a file nor a directory`)
      }
    }
    return scan
  }

  /**
   * Writes a ReadWrite input's final contents back to its host path, streamed from `tree`:
   * changed files are rewritten, new files and directories created, and entries the job
   * removed deleted. Nothing outside the `:rw` allow-listed path is touched: links on the host
   * are never written through (a link the job left unchanged stays; one it removed is unlinked,
   * not its target). Walks `tree` twice: once to refuse before anything is changed, once to write.
   */
  async commit(input: InputSource, tree: ReadableTree, options: StorageContext): Promise<void> {
    const { requested, real } = await this.hostPath(input, (path) => ({ message: `local path ${path} disappeared from this compute node while the job ran` }))
    const entry = this.writableEntry(real)
    if (entry === undefined) {
      throw new StorageError(`local path ${requested} is not allow-listed read-write on this compute node; the job's changes were not written back`, {
        hint: 'the node operator must start it with --allow-listed-local-paths <path>:rw',
      })
    }
    const signal = options.signal
    const info = await lstat(real)
    if (tree.root === 'file') {
      if (!info.isFile()) throw new StorageError(`local path ${requested} is no longer a regular file; the job's changes were not written back`)
      for await (const file of tree.entries({ signal })) if (file.path === '') await this.writeFile(real, file, info.size, signal)
      return
    }
    if (!info.isDirectory()) throw new StorageError(`local path ${requested} is no longer a directory; the job's changes were not written back`)

    // 1. Check: names, and links on the host the job's entries fall under (kept only when unchanged).
    const kinds = new Map<string, 'file' | 'directory'>([['', 'directory']])
    const links = new Map<string, TreeEntry[]>()
    const linkOf = (path: string): string | undefined => {
      for (let at = path.lastIndexOf('/'); at > 0; at = path.lastIndexOf('/', at - 1)) if (links.has(path.slice(0, at))) return path.slice(0, at)
      return undefined
    }
    for await (const item of tree.entries({ signal })) {
      const path = hostPathOf(real, item.path)
      kinds.set(item.path, item.kind)
      const under = linkOf(item.path)
      if (under !== undefined) {
        links.get(under)!.push({ ...item, path: item.path.slice(under.length + 1) })
        continue
      }
      const parent = item.path.includes('/') ? item.path.slice(0, item.path.lastIndexOf('/')) : ''
      // Below a directory that is new, or replaces a file: nothing on the host to check.
      if (parent !== '' && !(await isRealDirectory(join(real, parent)))) continue
      const hostInfo = await lstat(path).catch(() => undefined)
      if (hostInfo?.isSymbolicLink()) links.set(item.path, [{ ...item, path: '' }])
    }
    for (const [path, items] of links) await this.keepLink(join(real, path), items, signal)

    // 2. Delete what the job removed (links themselves, never their targets), then write.
    await this.prune(real, '', kinds, links, entry, signal)
    const checked = new Set<string>()
    for await (const item of tree.entries({ signal })) {
      if (links.has(item.path) || linkOf(item.path) !== undefined) continue
      const path = hostPathOf(real, item.path)
      const parent = join(path, '..')
      if (!checked.has(parent)) {
        await this.checkDirectory(parent, entry)
        checked.add(parent)
      }
      const hostInfo = await lstat(path).catch(() => undefined)
      if (item.kind === 'directory') {
        if (hostInfo && !hostInfo.isDirectory()) await rm(path, { force: true })
        if (!hostInfo?.isDirectory()) await mkdir(path)
      } else {
        if (hostInfo?.isDirectory()) await rm(path, { recursive: true, force: true })
        await this.writeFile(path, item, hostInfo?.isFile() ? hostInfo.size : -1, signal)
      }
    }
  }

  /** Refuses to write into `dir` unless it is still itself (not swapped for a link) inside the allow-listed path. */
  private async checkDirectory(dir: string, entry: AllowedPath): Promise<void> {
    const real = await realpath(dir)
    if (real !== dir || !covers(entry.path, real)) {
      throw new StorageError(`local path ${dir} now leads to ${real}, outside the read-write allow-listed path ${entry.path}; not written`)
    }
  }

  /** Deletes what is below host directory `relative` of `base` but not in the job's tree. */
  private async prune(base: string, relative: string, kinds: ReadonlyMap<string, string>, links: ReadonlyMap<string, unknown>, entry: AllowedPath, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    const dir = relative === '' ? base : join(base, relative)
    await this.checkDirectory(dir, entry)
    for (const name of await readdir(dir)) {
      const path = relative === '' ? name : `${relative}/${name}`
      const kind = kinds.get(path)
      // rm removes a link itself, never what it points to.
      if (kind === undefined) await rm(join(dir, name), { recursive: true, force: true })
      else if (kind === 'directory' && !links.has(path) && (await isRealDirectory(join(dir, name)))) await this.prune(base, path, kinds, links, entry, signal)
    }
  }

  /** Leaves the host link at `path` alone when the job did not change what it reads as; refuses otherwise. */
  private async keepLink(path: string, items: TreeEntry[], signal?: AbortSignal): Promise<void> {
    const refuse = () =>
      new StorageError(`local path ${path} is a symbolic link on the host; the job's changes there were not written back`, {
        hint: 'Shoal never writes through links; replace the link with a real file or directory inside the allow-listed path',
      })
    let target: string
    try {
      target = await realpath(path)
    } catch {
      throw refuse()
    }
    if (this.allowedEntry(target) === undefined) throw refuse()
    const targetInfo = await lstat(target)
    const current: TreeEntry[] = []
    try {
      for await (const item of hostTree(target, targetInfo.isDirectory() ? 'directory' : 'file').entries({ signal })) current.push(item)
    } catch {
      throw refuse()
    }
    // The job's entries below the link are those of `items` after the first (the link's own entry).
    const [own, ...below] = items
    if (own.kind !== (targetInfo.isDirectory() ? 'directory' : 'file')) throw refuse()
    const theirs = own.kind === 'file' ? [{ ...own, path: '' }] : below
    if (theirs.length !== current.length) throw refuse()
    for (const [i, item] of theirs.entries()) {
      const host = current[i]
      if (item.path !== host.path || item.kind !== host.kind || (item.kind === 'file' && item.size !== host.size)) throw refuse()
      if (item.kind === 'file' && !(await sameBytes(item.open!({ signal }), host.open!({ signal })))) throw refuse()
    }
  }

  /** Streams `file` into the regular file `path` (never through a link); skips it when unchanged. */
  private async writeFile(path: string, file: TreeEntry, currentSize: number, signal?: AbortSignal): Promise<void> {
    if (currentSize >= 0 && currentSize === file.size) {
      const current = hostTree(path, 'file')
      for await (const host of current.entries({ signal })) {
        if (await sameBytes(file.open!({ signal }), host.open!({ signal }))) return
      }
    }
    const handle = await open(path, WRITE_FLAGS, 0o644)
    const reader = file.open?.({ signal }).getReader()
    try {
      // Bounded: ends with the job's (finite) file.
      for (;;) {
        const next = await reader?.read()
        if (next === undefined || next.done) break
        await handle.write(next.value)
      }
    } finally {
      await reader?.cancel().catch(() => {})
      await handle.close()
    }
  }
}

/** Whether `path` is a directory itself (not a link to one). */
async function isRealDirectory(path: string): Promise<boolean> {
  const info = await lstat(path).catch(() => undefined)
  return info?.isDirectory() === true
}
