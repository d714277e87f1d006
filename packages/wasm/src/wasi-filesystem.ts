/**
 * The in-memory filesystem behind Shoal's WASI preview1 host: inodes (files, directories,
 * symlinks), path resolution that can never leave the preopened root, read-only mounts, and the
 * open-file objects the host hands to the module. It extends @bjorn3/browser_wasi_shim's `Fd`
 * and `Inode` so the shim's syscall dispatcher drives it; resolution, rights, timestamps, symlinks
 * and read-only enforcement are Shoal's own (the shim's in-memory fs falls short on those).
 */
import { Fd, Inode, wasi } from '@bjorn3/browser_wasi_shim'
import type { DirectoryNode, FileTreeNode } from '@shoal/interface'
import { formatBytes } from './wasm-binary.ts'
import { BlockFile, blockBytes } from './block-file.ts'
import type { BlockImage } from './block-image.ts'
import type { SyncFile, WorkerVolume, WorkerVolumeEntry } from './worker-volume-access.ts'
import type { OutputDirectory, OutputNode } from './worker-protocol.ts'

const R = wasi
/** Rights a directory descriptor holds. */
export const DIRECTORY_RIGHTS = BigInt(
  R.RIGHTS_FD_FDSTAT_SET_FLAGS | R.RIGHTS_FD_SYNC | R.RIGHTS_FD_ADVISE | R.RIGHTS_PATH_CREATE_DIRECTORY |
    R.RIGHTS_PATH_CREATE_FILE | R.RIGHTS_PATH_LINK_SOURCE | R.RIGHTS_PATH_LINK_TARGET | R.RIGHTS_PATH_OPEN |
    R.RIGHTS_FD_READDIR | R.RIGHTS_PATH_READLINK | R.RIGHTS_PATH_RENAME_SOURCE | R.RIGHTS_PATH_RENAME_TARGET |
    R.RIGHTS_PATH_FILESTAT_GET | R.RIGHTS_PATH_FILESTAT_SET_SIZE | R.RIGHTS_PATH_FILESTAT_SET_TIMES |
    R.RIGHTS_FD_FILESTAT_GET | R.RIGHTS_FD_FILESTAT_SET_TIMES | R.RIGHTS_PATH_SYMLINK |
    R.RIGHTS_PATH_REMOVE_DIRECTORY | R.RIGHTS_PATH_UNLINK_FILE | R.RIGHTS_POLL_FD_READWRITE,
)
/** Rights a regular-file descriptor can hold. */
export const FILE_RIGHTS = BigInt(
  R.RIGHTS_FD_DATASYNC | R.RIGHTS_FD_READ | R.RIGHTS_FD_SEEK | R.RIGHTS_FD_FDSTAT_SET_FLAGS | R.RIGHTS_FD_SYNC |
    R.RIGHTS_FD_TELL | R.RIGHTS_FD_WRITE | R.RIGHTS_FD_ADVISE | R.RIGHTS_FD_ALLOCATE | R.RIGHTS_FD_FILESTAT_GET |
    R.RIGHTS_FD_FILESTAT_SET_SIZE | R.RIGHTS_FD_FILESTAT_SET_TIMES | R.RIGHTS_POLL_FD_READWRITE,
)
const WRITE_RIGHTS = BigInt(R.RIGHTS_FD_WRITE | R.RIGHTS_FD_ALLOCATE | R.RIGHTS_FD_FILESTAT_SET_SIZE)
const LOOKUP_SYMLINK_FOLLOW = 1
const MAX_SYMLINK_HOPS = 32

/** A WASI filestat with the field offsets of the preview1 ABI (64 bytes). */
export class WasiFilestat extends wasi.Filestat {
  override write_bytes(view: DataView, ptr: number): void {
    view.setBigUint64(ptr, this.dev, true)
    view.setBigUint64(ptr + 8, this.ino, true)
    view.setUint8(ptr + 16, this.filetype)
    view.setBigUint64(ptr + 24, this.nlink, true)
    view.setBigUint64(ptr + 32, this.size, true)
    view.setBigUint64(ptr + 40, this.atim, true)
    view.setBigUint64(ptr + 48, this.mtim, true)
    view.setBigUint64(ptr + 56, this.ctim, true)
  }
}

/** Shared by every inode of one filesystem: inode numbers, the clock for timestamps, the disk budget. */
export interface FilesystemContext {
  nextIno(): bigint
  /** Wall-clock time in nanoseconds, for timestamps. */
  now(): bigint
  /** Bytes of file storage left in the budget. */
  available(): number
  /** Takes `bytes` (at most `available()`) of file storage from the budget. */
  reserve(bytes: number): void
  /** Gives `bytes` of file storage back. */
  release(bytes: number): void
  /** Called when a write would exceed the budget: throws {@link DiskLimitError}. */
  exceeded(wanted: number): never
  /** Where files too large for memory go; absent when the job's files all stay in memory. */
  readonly image: BlockImage | undefined
  /** Bytes of in-memory file storage in use, and the most there may be before files move to the image. */
  memoryBytes: number
  readonly memoryLimitBytes: number
}

/**
 * A job wrote more to its in-memory filesystem than its budget (Resources.Disk, else the node's
 * default). Thrown out of the write so the job ends at once with this reason: files live in the
 * worker's memory, and a program that ignores a failed write would otherwise loop until its timeout.
 */
export class DiskLimitError extends Error {
  readonly budgetBytes: number
  constructor(budgetBytes: number, message: string) {
    super(message)
    this.name = 'DiskLimitError'
    this.budgetBytes = budgetBytes
  }
}

/** An inode with timestamps and a link count. */
abstract class BaseInode extends Inode {
  atim: bigint
  mtim: bigint
  ctim: bigint
  nlink = 1n
  readonly context: FilesystemContext
  constructor(context: FilesystemContext, time: bigint) {
    super()
    this.context = context
    // The shim numbers inodes from a global counter; a per-filesystem counter keeps stat
    // results identical between runs (deterministic mode).
    this.ino = context.nextIno()
    this.atim = this.mtim = this.ctim = time
  }
  abstract get filetype(): number
  abstract get byteSize(): bigint
  stat(): WasiFilestat {
    const stat = new WasiFilestat(this.ino, this.filetype, this.byteSize)
    stat.dev = 1n
    stat.nlink = this.nlink
    stat.atim = this.atim
    stat.mtim = this.mtim
    stat.ctim = this.ctim
    return stat
  }
  path_open(): { ret: number; fd_obj: Fd | null } {
    return { ret: R.ERRNO_NOTSUP, fd_obj: null }
  }
  /** Applies fd/path_filestat_set_times. */
  setTimes(atim: bigint, mtim: bigint, flags: number): number {
    const error = validateTimeFlags(flags)
    if (error) return error
    const now = this.context.now()
    if (flags & R.FSTFLAGS_ATIM) this.atim = atim
    else if (flags & R.FSTFLAGS_ATIM_NOW) this.atim = now
    if (flags & R.FSTFLAGS_MTIM) this.mtim = mtim
    else if (flags & R.FSTFLAGS_MTIM_NOW) this.mtim = now
    this.ctim = now
    return R.ERRNO_SUCCESS
  }
}

function validateTimeFlags(flags: number): number {
  if (flags & ~0xf) return R.ERRNO_INVAL
  if (flags & R.FSTFLAGS_ATIM && flags & R.FSTFLAGS_ATIM_NOW) return R.ERRNO_INVAL
  if (flags & R.FSTFLAGS_MTIM && flags & R.FSTFLAGS_MTIM_NOW) return R.ERRNO_INVAL
  return R.ERRNO_SUCCESS
}

/**
 * A file growing past this moves into the scratch image (when the job has one) even while the
 * in-memory total has room: a large file is usually streamed out, and each doubling of its buffer
 * costs the old and the new one at once (16 + 32 MiB in a worker's memory for one 32 MiB file).
 * Many small files still stay in memory, up to `memoryLimitBytes` together.
 */
const LARGE_FILE_BYTES = 4 * 1024 * 1024

/**
 * A regular file. Its bytes are in memory (`data`, which may have spare capacity past `size`)
 * or, once `blocks` is set, in an input file read in place and/or the job's scratch image.
 */
export class FileInode extends BaseInode {
  data: Uint8Array
  size: number
  readOnly: boolean
  /** Set when the bytes are not in memory (see block-file.ts). */
  blocks: BlockFile | undefined
  /** Where a file read in place comes from: the mount's index and the path in its volume. */
  origin: { mount: number; path: string } | undefined
  /** Descriptors open on it: an unlinked file's image blocks are freed once the last one closes. */
  openCount = 0
  /** The buffer under `data` when this file allocated it (nothing else holds it): freed when replaced. */
  private ownBuffer: ArrayBuffer | undefined
  constructor(context: FilesystemContext, data: Uint8Array, readOnly: boolean, time = 0n) {
    super(context, time)
    this.data = data
    this.size = data.byteLength
    this.readOnly = readOnly
  }
  get filetype(): number {
    return R.FILETYPE_REGULAR_FILE
  }
  get byteSize(): bigint {
    return BigInt(this.size)
  }
  /** The contents of an in-memory file (a view, not a copy). */
  contents(): Uint8Array {
    return this.data.subarray(0, this.size)
  }
  /** Reads from `offset` into `target` (cut at the file's end); returns the bytes read. */
  readInto(target: Uint8Array, offset: number): number {
    const end = Math.min(this.size, offset + target.byteLength)
    if (end <= offset) return 0
    if (this.blocks) this.blocks.readInto(target.subarray(0, end - offset), offset)
    else target.set(this.data.subarray(offset, end))
    return end - offset
  }
  /** A copy of bytes [offset, offset + length), cut at the file's end. */
  read(offset: number, length: number): Uint8Array {
    if (!this.blocks) return this.contents().slice(offset, offset + length)
    const end = Math.min(this.size, offset + length)
    return end > offset ? this.blocks.read(offset, end - offset) : new Uint8Array(0)
  }
  /**
   * Sets the size, zero-filling growth; capacity grows geometrically so appends stay linear. The
   * capacity counts against the filesystem's budget (spare room only while it fits).
   */
  resize(size: number): void {
    if (this.blocks) {
      this.resizeBlocks(size)
      return
    }
    if (size > this.data.byteLength) {
      const current = this.data.byteLength
      const available = this.context.available()
      if (size - current > available) this.context.exceeded(size - current)
      // Doubling keeps appends linear (growing by a fixed step copied a 1 GiB file 16 times); near
      // the budget the spare room shrinks to what is left, never to zero, as growing by exactly each
      // write would copy the whole file every time.
      const capacity = Math.max(size, Math.min(current * 2, current + available))
      if (this.context.image && (capacity > LARGE_FILE_BYTES || this.context.memoryBytes + capacity - current > this.context.memoryLimitBytes)) {
        this.moveToImage(this.context.image)
        this.resizeBlocks(size)
        return
      }
      this.context.reserve(capacity - current)
      this.context.memoryBytes += capacity - current
      const grown = new Uint8Array(capacity)
      grown.set(this.contents())
      this.replaceData(grown)
      this.ownBuffer = grown.buffer
    } else if (size === 0 && !this.readOnly) {
      // Truncation to empty (O_TRUNC, rewrite loops) gives the storage back.
      this.context.release(this.data.byteLength)
      this.context.memoryBytes -= this.data.byteLength
      this.replaceData(new Uint8Array(0))
    } else if (size < this.size) {
      this.data.fill(0, size, this.size)
    }
    this.size = size
  }
  write(bytes: Uint8Array, offset: number): void {
    if (offset + bytes.byteLength > this.size) this.resize(offset + bytes.byteLength)
    if (this.blocks) this.blocks.write(bytes, offset)
    else this.data.set(bytes, offset)
    this.mtim = this.ctim = this.context.now()
  }
  /** Frees the file's image blocks once it is neither linked nor open (its bytes can no longer be reached). */
  discardIfUnreachable(): void {
    if (this.nlink > 0n || this.openCount > 0 || !this.blocks?.image) return
    this.context.release(blockBytes(this.size))
    this.blocks.free()
    this.size = 0
  }
  /** A file of the job's outputs as the engine receives it. */
  output(): OutputNode {
    if (!this.blocks) return { kind: 'file', data: this.contents().slice() }
    if (!this.blocks.modified && this.origin) return { kind: 'source', size: this.size, mount: this.origin.mount, path: this.origin.path }
    this.blocks.materialize(this.size)
    return { kind: 'blocks', size: this.size, blocks: [...this.blocks.blocks] }
  }
  /** Budget in image blocks: the file's size rounded up to whole blocks. */
  private resizeBlocks(size: number): void {
    const blocks = this.blocks!
    if (!blocks.image) throw new Error('a file read in place was resized without a scratch image')
    const change = blockBytes(size) - blockBytes(this.size)
    if (change > 0) {
      if (change > this.context.available()) this.context.exceeded(change)
      this.context.reserve(change)
    } else if (change < 0) {
      this.context.release(-change)
    }
    if (size < this.size) blocks.truncate(size)
    this.size = size
  }
  /** Moves an in-memory file's bytes into the image (it grew past what the job keeps in memory). */
  private moveToImage(image: BlockImage): void {
    const contents = this.contents()
    const needed = blockBytes(this.size)
    const owned = this.ownBuffer
    this.context.release(this.data.byteLength)
    this.context.memoryBytes -= this.data.byteLength
    this.data = new Uint8Array(0)
    this.ownBuffer = undefined
    try {
      if (needed > this.context.available()) this.context.exceeded(needed)
      this.context.reserve(needed)
      this.blocks = new BlockFile(image)
      this.blocks.write(contents, 0)
    } finally {
      // `contents` is a view of it: freed once copied into the image (or the move failed).
      owned?.transfer(0)
    }
  }
  /**
   * Swaps in new in-memory bytes, freeing the old buffer at once when this file allocated it: a
   * worker whose job only streams data allocates too little for V8 to collect soon, and the dead
   * buffers of a file grown by doubling up to the in-memory limit (1 + 2 + ... + 32 MiB) stayed
   * resident for the rest of the job. transfer(0) detaches the buffer, which releases its memory.
   */
  private replaceData(data: Uint8Array): void {
    const old = this.ownBuffer
    this.data = data
    this.ownBuffer = undefined
    old?.transfer(0)
  }
}

/** A directory. `parent` is null for the root. */
export class DirectoryInode extends BaseInode {
  readonly entries = new Map<string, BaseInode>()
  parent: DirectoryInode | null = null
  readOnly: boolean
  constructor(context: FilesystemContext, readOnly: boolean, time = 0n) {
    super(context, time)
    this.readOnly = readOnly
  }
  get filetype(): number {
    return R.FILETYPE_DIRECTORY
  }
  get byteSize(): bigint {
    return 0n
  }
  /** Links `inode` under `name`. */
  link(name: string, inode: BaseInode): void {
    this.entries.set(name, inode)
    if (inode instanceof DirectoryInode) inode.parent = this
    this.mtim = this.ctim = this.context.now()
  }
  unlink(name: string): void {
    this.entries.delete(name)
    this.mtim = this.ctim = this.context.now()
  }
  /** Whether `other` is this directory or below it. */
  contains(other: DirectoryInode): boolean {
    for (let dir: DirectoryInode | null = other; dir; dir = dir.parent) if (dir === this) return true
    return false
  }
}

/** A symbolic link (relative targets only resolve; absolute ones are refused). */
export class SymlinkInode extends BaseInode {
  readonly target: string
  constructor(context: FilesystemContext, target: string, time: bigint) {
    super(context, time)
    this.target = target
  }
  get filetype(): number {
    return R.FILETYPE_SYMBOLIC_LINK
  }
  get byteSize(): bigint {
    return BigInt(new TextEncoder().encode(this.target).byteLength)
  }
}

/** Where a path led: the parent directory and final name (absent for `.`/`..`), and the inode if it exists. */
interface Resolution {
  ret: number
  parent: DirectoryInode | null
  name: string | null
  inode: BaseInode | null
  trailingSlash: boolean
}

const failed = (ret: number): Resolution => ({ ret, parent: null, name: null, inode: null, trailingSlash: false })

/**
 * Resolves `path` relative to `base`. `..` may climb back up only as far as `base`: the
 * descriptor a path is resolved against is the sandbox, so a path can never escape it.
 */
export function resolvePath(base: DirectoryInode, path: string, followLast: boolean): Resolution {
  if (path.length === 0) return failed(R.ERRNO_NOENT)
  if (path.includes('\0')) return failed(R.ERRNO_INVAL)
  if (path.startsWith('/')) return failed(R.ERRNO_NOTCAPABLE)
  const trailingSlash = path.endsWith('/')
  const follow = followLast || trailingSlash
  let components = path.split('/').filter((c) => c !== '')
  const stack: DirectoryInode[] = [base]
  let hops = 0
  for (let i = 0; i < components.length; i++) {
    const component = components[i]!
    const last = i === components.length - 1
    const current = stack[stack.length - 1]!
    if (component === '.' || component === '..') {
      if (component === '..') {
        if (stack.length === 1) return failed(R.ERRNO_NOTCAPABLE)
        stack.pop()
      }
      if (last) return { ret: R.ERRNO_SUCCESS, parent: null, name: null, inode: stack[stack.length - 1]!, trailingSlash }
      continue
    }
    const child = current.entries.get(component) ?? null
    if (child instanceof SymlinkInode && (!last || follow)) {
      if (++hops > MAX_SYMLINK_HOPS) return failed(R.ERRNO_LOOP)
      if (child.target.startsWith('/')) return failed(R.ERRNO_NOTCAPABLE)
      const rest = components.slice(i + 1)
      components = [...child.target.split('/').filter((c) => c !== ''), ...rest]
      if (child.target.endsWith('/') && rest.length === 0) components.push('.')
      if (components.length === 0) components = ['.']
      i = -1
      continue
    }
    if (last) {
      if (trailingSlash && child && !(child instanceof DirectoryInode)) {
        return { ret: R.ERRNO_NOTDIR, parent: current, name: component, inode: child, trailingSlash }
      }
      return { ret: R.ERRNO_SUCCESS, parent: current, name: component, inode: child, trailingSlash }
    }
    if (!child) return failed(R.ERRNO_NOENT)
    if (!(child instanceof DirectoryInode)) return failed(R.ERRNO_NOTDIR)
    stack.push(child)
  }
  // Only reachable for paths like "a/.." handled above, or a symlink to "."; resolve to the top.
  return { ret: R.ERRNO_SUCCESS, parent: null, name: null, inode: stack[stack.length - 1]!, trailingSlash }
}

/** A descriptor for a regular file. */
export class FileDescriptor extends Fd {
  readonly inode: FileInode
  position = 0
  flags: number
  rightsBase: bigint
  constructor(inode: FileInode, rightsBase: bigint, flags: number) {
    super()
    this.inode = inode
    this.rightsBase = rightsBase
    this.flags = flags
    inode.openCount++
  }
  override fd_close(): number {
    this.inode.openCount--
    this.inode.discardIfUnreachable()
    return R.ERRNO_SUCCESS
  }
  private can(right: number): boolean {
    return (this.rightsBase & BigInt(right)) !== 0n
  }
  override fd_fdstat_get(): { ret: number; fdstat: wasi.Fdstat } {
    const stat = new wasi.Fdstat(R.FILETYPE_REGULAR_FILE, this.flags)
    stat.fs_rights_base = this.rightsBase
    stat.fs_rights_inherited = 0n
    return { ret: R.ERRNO_SUCCESS, fdstat: stat }
  }
  override fd_fdstat_set_flags(flags: number): number {
    if (flags & ~(R.FDFLAGS_APPEND | R.FDFLAGS_NONBLOCK | R.FDFLAGS_DSYNC | R.FDFLAGS_RSYNC | R.FDFLAGS_SYNC)) return R.ERRNO_INVAL
    this.flags = flags
    return R.ERRNO_SUCCESS
  }
  override fd_fdstat_set_rights(base: bigint, _inheriting: bigint): number {
    if ((base & ~this.rightsBase) !== 0n) return R.ERRNO_NOTCAPABLE
    this.rightsBase = base
    return R.ERRNO_SUCCESS
  }
  override fd_filestat_get(): { ret: number; filestat: wasi.Filestat } {
    return { ret: R.ERRNO_SUCCESS, filestat: this.inode.stat() }
  }
  override fd_filestat_set_size(size: bigint): number {
    if (!this.can(R.RIGHTS_FD_FILESTAT_SET_SIZE)) return R.ERRNO_BADF
    if (this.inode.readOnly) return R.ERRNO_ROFS
    this.inode.resize(Number(size))
    this.inode.mtim = this.inode.ctim = this.inode.context.now()
    return R.ERRNO_SUCCESS
  }
  override fd_filestat_set_times(atim: bigint, mtim: bigint, flags: number): number {
    if (this.inode.readOnly) return validateTimeFlags(flags) || R.ERRNO_ROFS
    return this.inode.setTimes(atim, mtim, flags)
  }
  override fd_allocate(offset: bigint, length: bigint): number {
    if (!this.can(R.RIGHTS_FD_WRITE)) return R.ERRNO_BADF
    if (this.inode.readOnly) return R.ERRNO_ROFS
    const end = Number(offset + length)
    if (end > this.inode.size) this.inode.resize(end)
    return R.ERRNO_SUCCESS
  }
  override fd_read(size: number): { ret: number; data: Uint8Array } {
    if (!this.can(R.RIGHTS_FD_READ)) return { ret: R.ERRNO_BADF, data: new Uint8Array() }
    const data = this.inode.read(this.position, size)
    this.position += data.byteLength
    return { ret: R.ERRNO_SUCCESS, data }
  }
  override fd_pread(size: number, offset: bigint): { ret: number; data: Uint8Array } {
    if (!this.can(R.RIGHTS_FD_READ)) return { ret: R.ERRNO_BADF, data: new Uint8Array() }
    return { ret: R.ERRNO_SUCCESS, data: this.inode.read(Number(offset), size) }
  }
  /**
   * Reads straight into `target` (the module's memory) at `offset`, or at the position, which it
   * advances, when absent: a file outside memory is read without an intermediate copy.
   */
  readInto(target: Uint8Array, offset?: number): { ret: number; read: number } {
    if (!this.can(R.RIGHTS_FD_READ)) return { ret: R.ERRNO_BADF, read: 0 }
    const read = this.inode.readInto(target, offset ?? this.position)
    if (offset === undefined) this.position += read
    return { ret: R.ERRNO_SUCCESS, read }
  }
  override fd_write(data: Uint8Array): { ret: number; nwritten: number } {
    if (!this.can(R.RIGHTS_FD_WRITE)) return { ret: R.ERRNO_BADF, nwritten: 0 }
    if (this.inode.readOnly) return { ret: R.ERRNO_ROFS, nwritten: 0 }
    if (this.flags & R.FDFLAGS_APPEND) this.position = this.inode.size
    this.inode.write(data, this.position)
    this.position += data.byteLength
    return { ret: R.ERRNO_SUCCESS, nwritten: data.byteLength }
  }
  override fd_pwrite(data: Uint8Array, offset: bigint): { ret: number; nwritten: number } {
    if (!this.can(R.RIGHTS_FD_WRITE)) return { ret: R.ERRNO_BADF, nwritten: 0 }
    if (this.inode.readOnly) return { ret: R.ERRNO_ROFS, nwritten: 0 }
    this.inode.write(data, Number(offset))
    return { ret: R.ERRNO_SUCCESS, nwritten: data.byteLength }
  }
  override fd_seek(offset: bigint, whence: number): { ret: number; offset: bigint } {
    let target: bigint
    if (whence === R.WHENCE_SET) target = offset
    else if (whence === R.WHENCE_CUR) target = BigInt(this.position) + offset
    else if (whence === R.WHENCE_END) target = BigInt(this.inode.size) + offset
    else return { ret: R.ERRNO_INVAL, offset: 0n }
    if (target < 0n) return { ret: R.ERRNO_INVAL, offset: 0n }
    this.position = Number(target)
    return { ret: R.ERRNO_SUCCESS, offset: target }
  }
  override fd_tell(): { ret: number; offset: bigint } {
    return { ret: R.ERRNO_SUCCESS, offset: BigInt(this.position) }
  }
  override fd_readdir_single(): { ret: number; dirent: wasi.Dirent | null } {
    return { ret: R.ERRNO_NOTDIR, dirent: null }
  }
}

/** A descriptor for a directory; every path_* call is resolved against it. */
export class DirectoryDescriptor extends Fd {
  readonly inode: DirectoryInode
  /** Set for preopens: the name the module sees in fd_prestat_dir_name. */
  readonly preopenName: string | undefined
  rightsBase = DIRECTORY_RIGHTS
  rightsInheriting = DIRECTORY_RIGHTS | FILE_RIGHTS
  constructor(inode: DirectoryInode, preopenName?: string) {
    super()
    this.inode = inode
    this.preopenName = preopenName
  }
  override fd_prestat_get(): { ret: number; prestat: wasi.Prestat | null } {
    if (this.preopenName === undefined) return { ret: R.ERRNO_BADF, prestat: null }
    return { ret: R.ERRNO_SUCCESS, prestat: wasi.Prestat.dir(this.preopenName) }
  }
  override fd_fdstat_get(): { ret: number; fdstat: wasi.Fdstat } {
    const stat = new wasi.Fdstat(R.FILETYPE_DIRECTORY, 0)
    stat.fs_rights_base = this.rightsBase
    stat.fs_rights_inherited = this.rightsInheriting
    return { ret: R.ERRNO_SUCCESS, fdstat: stat }
  }
  override fd_fdstat_set_flags(flags: number): number {
    return flags & R.FDFLAGS_APPEND ? R.ERRNO_INVAL : R.ERRNO_SUCCESS
  }
  override fd_fdstat_set_rights(base: bigint, inheriting: bigint): number {
    if ((base & ~this.rightsBase) !== 0n || (inheriting & ~this.rightsInheriting) !== 0n) return R.ERRNO_NOTCAPABLE
    this.rightsBase = base
    this.rightsInheriting = inheriting
    return R.ERRNO_SUCCESS
  }
  override fd_filestat_get(): { ret: number; filestat: wasi.Filestat } {
    return { ret: R.ERRNO_SUCCESS, filestat: this.inode.stat() }
  }
  override fd_filestat_set_size(): number {
    return R.ERRNO_BADF
  }
  override fd_filestat_set_times(atim: bigint, mtim: bigint, flags: number): number {
    if (this.inode.readOnly) return validateTimeFlags(flags) || R.ERRNO_ROFS
    return this.inode.setTimes(atim, mtim, flags)
  }
  override fd_read(): { ret: number; data: Uint8Array } {
    return { ret: R.ERRNO_ISDIR, data: new Uint8Array() }
  }
  override fd_pread(): { ret: number; data: Uint8Array } {
    return { ret: R.ERRNO_ISDIR, data: new Uint8Array() }
  }
  override fd_write(): { ret: number; nwritten: number } {
    return { ret: R.ERRNO_BADF, nwritten: 0 }
  }
  override fd_pwrite(): { ret: number; nwritten: number } {
    return { ret: R.ERRNO_BADF, nwritten: 0 }
  }
  override fd_seek(): { ret: number; offset: bigint } {
    return { ret: R.ERRNO_BADF, offset: 0n }
  }
  override fd_tell(): { ret: number; offset: bigint } {
    return { ret: R.ERRNO_BADF, offset: 0n }
  }
  override fd_allocate(): number {
    return R.ERRNO_BADF
  }
  /** Entries in name order (stable across runs), after `.` and `..`. */
  override fd_readdir_single(cookie: bigint): { ret: number; dirent: wasi.Dirent | null } {
    const dir = this.inode
    if (cookie === 0n) return { ret: 0, dirent: new wasi.Dirent(1n, dir.ino, '.', R.FILETYPE_DIRECTORY) }
    if (cookie === 1n) return { ret: 0, dirent: new wasi.Dirent(2n, (dir.parent ?? dir).ino, '..', R.FILETYPE_DIRECTORY) }
    const names = [...dir.entries.keys()].sort()
    const index = Number(cookie - 2n)
    if (index >= names.length) return { ret: 0, dirent: null }
    const name = names[index]!
    const entry = dir.entries.get(name)!
    return { ret: 0, dirent: new wasi.Dirent(cookie + 1n, entry.ino, name, entry.filetype) }
  }

  private has(right: number): boolean {
    return (this.rightsBase & BigInt(right)) !== 0n
  }

  /** Resolves a path against this descriptor. */
  resolve(path: string, followLast: boolean): Resolution {
    return resolvePath(this.inode, path, followLast)
  }

  override path_open(
    dirflags: number,
    path: string,
    oflags: number,
    rightsBase: bigint,
    _rightsInheriting: bigint,
    fdflags: number,
  ): { ret: number; fd_obj: Fd | null } {
    if (oflags & R.OFLAGS_TRUNC && !this.has(R.RIGHTS_PATH_FILESTAT_SET_SIZE)) return { ret: R.ERRNO_NOTCAPABLE, fd_obj: null }
    if (oflags & R.OFLAGS_CREAT && !this.has(R.RIGHTS_PATH_CREATE_FILE)) return { ret: R.ERRNO_NOTCAPABLE, fd_obj: null }
    const r = this.resolve(path, (dirflags & LOOKUP_SYMLINK_FOLLOW) !== 0)
    if (r.ret !== R.ERRNO_SUCCESS) return { ret: r.ret, fd_obj: null }
    let inode = r.inode
    const wantsWrite = (rightsBase & WRITE_RIGHTS) !== 0n || (oflags & R.OFLAGS_TRUNC) !== 0
    if (!inode) {
      if (!(oflags & R.OFLAGS_CREAT)) return { ret: R.ERRNO_NOENT, fd_obj: null }
      if (oflags & R.OFLAGS_DIRECTORY || r.trailingSlash) return { ret: r.trailingSlash ? R.ERRNO_ISDIR : R.ERRNO_INVAL, fd_obj: null }
      const parent = r.parent!
      if (parent.readOnly) return { ret: R.ERRNO_ROFS, fd_obj: null }
      inode = new FileInode(parent.context, new Uint8Array(0), false, parent.context.now())
      parent.link(r.name!, inode)
    } else if (oflags & R.OFLAGS_CREAT && oflags & R.OFLAGS_EXCL) {
      return { ret: R.ERRNO_EXIST, fd_obj: null }
    }
    if (inode instanceof SymlinkInode) return { ret: R.ERRNO_LOOP, fd_obj: null }
    if (inode instanceof DirectoryInode) {
      if (oflags & (R.OFLAGS_TRUNC | R.OFLAGS_CREAT) && oflags & R.OFLAGS_TRUNC) return { ret: R.ERRNO_ISDIR, fd_obj: null }
      if ((rightsBase & BigInt(R.RIGHTS_FD_WRITE)) !== 0n) return { ret: R.ERRNO_ISDIR, fd_obj: null }
      return { ret: R.ERRNO_SUCCESS, fd_obj: new DirectoryDescriptor(inode) }
    }
    if (oflags & R.OFLAGS_DIRECTORY) return { ret: R.ERRNO_NOTDIR, fd_obj: null }
    const file = inode as FileInode
    if (wantsWrite && file.readOnly) return { ret: R.ERRNO_ROFS, fd_obj: null }
    if (oflags & R.OFLAGS_TRUNC) file.resize(0)
    const rights = (rightsBase & FILE_RIGHTS) | (rightsBase === 0n ? BigInt(R.RIGHTS_FD_READ) | FILE_RIGHTS & ~WRITE_RIGHTS : 0n)
    const fd = new FileDescriptor(file, file.readOnly ? rights & ~WRITE_RIGHTS : rights, fdflags)
    if (fdflags & R.FDFLAGS_APPEND) fd.position = file.size
    return { ret: R.ERRNO_SUCCESS, fd_obj: fd }
  }

  override path_filestat_get(flags: number, path: string): { ret: number; filestat: wasi.Filestat | null } {
    const r = this.resolve(path, (flags & LOOKUP_SYMLINK_FOLLOW) !== 0)
    if (r.ret !== R.ERRNO_SUCCESS) return { ret: r.ret, filestat: null }
    if (!r.inode) return { ret: R.ERRNO_NOENT, filestat: null }
    return { ret: R.ERRNO_SUCCESS, filestat: r.inode.stat() }
  }

  override path_filestat_set_times(flags: number, path: string, atim: bigint, mtim: bigint, fstFlags: number): number {
    const invalid = validateTimeFlags(fstFlags)
    if (invalid) return invalid
    const r = this.resolve(path, (flags & LOOKUP_SYMLINK_FOLLOW) !== 0)
    if (r.ret !== R.ERRNO_SUCCESS) return r.ret
    if (!r.inode) return R.ERRNO_NOENT
    if ((r.inode instanceof FileInode || r.inode instanceof DirectoryInode) && r.inode.readOnly) return R.ERRNO_ROFS
    return r.inode.setTimes(atim, mtim, fstFlags)
  }

  override path_create_directory(path: string): number {
    const r = this.resolve(path, false)
    if (r.ret !== R.ERRNO_SUCCESS) return r.ret
    if (r.inode || !r.parent) return R.ERRNO_EXIST
    if (r.parent.readOnly) return R.ERRNO_ROFS
    r.parent.link(r.name!, new DirectoryInode(r.parent.context, false, r.parent.context.now()))
    return R.ERRNO_SUCCESS
  }

  override path_lookup(path: string, dirflags: number): { ret: number; inode_obj: Inode | null } {
    const r = this.resolve(path, (dirflags & LOOKUP_SYMLINK_FOLLOW) !== 0)
    if (r.ret !== R.ERRNO_SUCCESS) return { ret: r.ret, inode_obj: null }
    if (!r.inode) return { ret: R.ERRNO_NOENT, inode_obj: null }
    return { ret: R.ERRNO_SUCCESS, inode_obj: r.inode }
  }

  /** Hard-links `inode` at `path` (path_link's target side). */
  override path_link(path: string, inode: Inode, _allowDirectory: boolean): number {
    if (inode instanceof DirectoryInode) return R.ERRNO_PERM
    const r = this.resolve(path, false)
    if (r.ret !== R.ERRNO_SUCCESS) return r.ret
    if (r.inode || !r.parent) return R.ERRNO_EXIST
    if (r.trailingSlash) return R.ERRNO_NOENT
    if (r.parent.readOnly) return R.ERRNO_ROFS
    const linked = inode as BaseInode
    linked.nlink++
    r.parent.link(r.name!, linked)
    return R.ERRNO_SUCCESS
  }

  override path_readlink(path: string): { ret: number; data: string | null } {
    const r = this.resolve(path, false)
    if (r.ret !== R.ERRNO_SUCCESS) return { ret: r.ret, data: null }
    if (!r.inode) return { ret: R.ERRNO_NOENT, data: null }
    if (!(r.inode instanceof SymlinkInode)) return { ret: R.ERRNO_INVAL, data: null }
    return { ret: R.ERRNO_SUCCESS, data: r.inode.target }
  }

  override path_remove_directory(path: string): number {
    const r = this.resolve(path, false)
    if (r.ret !== R.ERRNO_SUCCESS) return r.ret
    if (!r.parent) return r.inode === this.inode ? R.ERRNO_INVAL : R.ERRNO_NOTEMPTY
    if (!r.inode) return R.ERRNO_NOENT
    if (!(r.inode instanceof DirectoryInode)) return R.ERRNO_NOTDIR
    if (r.parent.readOnly || r.inode.readOnly) return R.ERRNO_ROFS
    if (r.inode.entries.size > 0) return R.ERRNO_NOTEMPTY
    r.parent.unlink(r.name!)
    return R.ERRNO_SUCCESS
  }

  override path_unlink_file(path: string): number {
    const r = this.resolve(path, false)
    if (r.ret !== R.ERRNO_SUCCESS) return r.ret
    if (!r.parent) return R.ERRNO_ISDIR
    if (!r.inode) return R.ERRNO_NOENT
    if (r.inode instanceof DirectoryInode) return R.ERRNO_ISDIR
    if (r.trailingSlash) return R.ERRNO_NOTDIR
    if (r.parent.readOnly) return R.ERRNO_ROFS
    r.inode.nlink--
    r.parent.unlink(r.name!)
    if (r.inode instanceof FileInode) r.inode.discardIfUnreachable()
    return R.ERRNO_SUCCESS
  }

  /** Creates a symlink at `path` pointing to `target`. */
  symlink(target: string, path: string): number {
    if (target.startsWith('/')) return R.ERRNO_NOTCAPABLE
    const r = this.resolve(path, false)
    if (r.ret !== R.ERRNO_SUCCESS) return r.ret
    if (r.inode || !r.parent) return R.ERRNO_EXIST
    if (r.trailingSlash) return R.ERRNO_NOENT
    if (r.parent.readOnly) return R.ERRNO_ROFS
    r.parent.link(r.name!, new SymlinkInode(r.parent.context, target, r.parent.context.now()))
    return R.ERRNO_SUCCESS
  }

  /** Renames `oldPath` (under this descriptor) to `newPath` under `target`. */
  rename(oldPath: string, target: DirectoryDescriptor, newPath: string): number {
    const from = this.resolve(oldPath, false)
    if (from.ret !== R.ERRNO_SUCCESS) return from.ret
    if (!from.parent) return R.ERRNO_BUSY
    if (!from.inode) return R.ERRNO_NOENT
    const to = target.resolve(newPath, false)
    if (to.ret !== R.ERRNO_SUCCESS && !(to.ret === R.ERRNO_NOTDIR && from.inode instanceof DirectoryInode && to.inode)) return to.ret
    if (!to.parent) return R.ERRNO_BUSY
    const sourceIsDir = from.inode instanceof DirectoryInode
    if ((from.trailingSlash || to.trailingSlash) && !sourceIsDir) return R.ERRNO_NOTDIR
    if (from.parent.readOnly || to.parent.readOnly) return R.ERRNO_ROFS
    if (to.inode === from.inode) return R.ERRNO_SUCCESS
    if (from.inode instanceof DirectoryInode && from.inode.contains(to.parent)) return R.ERRNO_INVAL
    if (to.inode) {
      if (sourceIsDir && !(to.inode instanceof DirectoryInode)) return R.ERRNO_NOTDIR
      if (!sourceIsDir && to.inode instanceof DirectoryInode) return R.ERRNO_ISDIR
      if (to.inode instanceof DirectoryInode && to.inode.entries.size > 0) return R.ERRNO_NOTEMPTY
      if (to.inode instanceof DirectoryInode && to.inode.readOnly) return R.ERRNO_ROFS
    }
    from.parent.unlink(from.name!)
    to.parent.link(to.name!, from.inode)
    if (to.inode instanceof FileInode) {
      to.inode.nlink--
      to.inode.discardIfUnreachable()
    }
    return R.ERRNO_SUCCESS
  }
}

/**
 * A file or directory tree to place at an absolute path, read-only or writable: in memory
 * (`node`) or a volume the worker reads in place (`volume`, opened before the run).
 */
export interface Mount {
  /** Absolute path inside the module's view, e.g. `/inputs/data.csv` or `/outputs`. */
  path: string
  node?: FileTreeNode
  volume?: WorkerVolume
  readOnly: boolean
}

/** A volume mount as the worker opened it: its listing and an open file per file entry. */
export interface OpenedVolume {
  entries: WorkerVolumeEntry[]
  files: Map<string, SyncFile>
}

/** Splits an absolute or relative path into its non-empty components, refusing `..`. */
export function pathComponents(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.')
  if (parts.includes('..')) throw new Error(`mount path ${JSON.stringify(path)} must not contain '..'`)
  return parts
}

/** Options of a {@link WasiFilesystem}. */
export interface WasiFilesystemInit {
  /** Wall-clock time in nanoseconds, for timestamps. */
  now: () => bigint
  /** Bytes the job's writable files may hold together (copies of read-write inputs included). Default: unbounded. */
  budgetBytes?: number
  /** Where files go once the job's in-memory files would pass `memoryLimitBytes`; without it every file stays in memory. */
  image?: BlockImage
  /** Bytes of in-memory files beyond which growing files move to `image`. */
  memoryLimitBytes?: number
}

/** One in-memory filesystem: a read-only root holding the mounts. */
export class WasiFilesystem implements FilesystemContext {
  readonly root: DirectoryInode
  /** Bytes of writable file storage in use. */
  usedBytes = 0
  readonly budgetBytes: number
  readonly image: BlockImage | undefined
  memoryBytes = 0
  readonly memoryLimitBytes: number
  private ino = 1n
  private readonly clock: () => bigint
  constructor(init: WasiFilesystemInit) {
    this.clock = init.now
    this.budgetBytes = init.budgetBytes ?? Infinity
    this.image = init.image
    this.memoryLimitBytes = init.memoryLimitBytes ?? Infinity
    this.root = new DirectoryInode(this, true)
  }
  nextIno(): bigint {
    return this.ino++
  }
  now(): bigint {
    return this.clock()
  }
  available(): number {
    return Math.max(0, this.budgetBytes - this.usedBytes)
  }
  reserve(bytes: number): void {
    this.usedBytes += bytes
  }
  release(bytes: number): void {
    this.usedBytes = Math.max(0, this.usedBytes - bytes)
  }
  exceeded(wanted: number): never {
    throw new DiskLimitError(
      this.budgetBytes,
      `disk limit exceeded: the job's files hold ${formatBytes(this.usedBytes)} of its ${formatBytes(this.budgetBytes)} budget (Resources.Disk) and a write needed ${formatBytes(wanted)} more`,
    )
  }

  /**
   * Places the mount at `mount.path`; directories on the way are created read-only. A volume
   * mount needs `opened` (its listing and files); `index` is its place in the job's mounts.
   */
  mount(mount: Mount, index = 0, opened?: OpenedVolume): void {
    const parts = pathComponents(mount.path)
    if (mount.volume && !opened) throw new Error(`the ${mount.volume.kind} volume at ${mount.path} was not opened`)
    // A volume whose root is a file lists it as the one entry with path ''.
    const isDirectory = opened ? !opened.entries.some((e) => e.path === '') : mount.node?.kind === 'dir'
    if (parts.length === 0) {
      if (!isDirectory) throw new Error('only a directory can be mounted at /')
      this.root.readOnly = mount.readOnly
      if (opened) this.fillFromVolume(this.root, opened, index, mount.readOnly)
      else this.fill(this.root, mount.node as DirectoryNode, mount.readOnly)
      return
    }
    let dir = this.root
    for (const part of parts.slice(0, -1)) {
      let next = dir.entries.get(part)
      if (!next) {
        next = new DirectoryInode(this, true)
        dir.link(part, next)
      }
      if (!(next instanceof DirectoryInode)) throw new Error(`cannot mount at ${mount.path}: ${part} is a file`)
      dir = next
    }
    const name = parts[parts.length - 1]!
    if (dir.entries.has(name)) throw new Error(`two mounts at ${mount.path}`)
    if (!opened) {
      dir.link(name, this.build(mount.node!, mount.readOnly))
    } else if (isDirectory) {
      const inode = new DirectoryInode(this, mount.readOnly)
      this.fillFromVolume(inode, opened, index, mount.readOnly)
      dir.link(name, inode)
    } else {
      const entry = opened.entries.find((e) => e.path === '')
      dir.link(name, this.volumeFile(opened, index, '', entry?.size ?? 0, mount.readOnly))
    }
  }

  /** The inode at an absolute path, if any (no symlinks followed). */
  lookup(path: string): BaseInode | undefined {
    let node: BaseInode | undefined = this.root
    for (const part of pathComponents(path)) {
      if (!(node instanceof DirectoryInode)) return undefined
      node = node.entries.get(part)
    }
    return node
  }

  /** The directory at `path` for the engine: small files copied, large ones as image blocks (symlinks are left out). */
  export(path: string): OutputDirectory {
    const node = this.lookup(path)
    return node instanceof DirectoryInode ? exportDirectory(node) : { kind: 'dir', entries: new Map() }
  }

  /** The file or directory at `path` as {@link export} gives it; an empty directory when nothing is there. */
  exportNode(path: string): OutputNode {
    const node = this.lookup(path)
    return node instanceof FileInode ? node.output() : this.export(path)
  }

  /** Builds the inodes of a listed volume under `dir`: files read in place through their SyncFile. */
  private fillFromVolume(dir: DirectoryInode, opened: OpenedVolume, index: number, readOnly: boolean): void {
    const directories = new Map<string, DirectoryInode>([['', dir]])
    for (const entry of opened.entries) {
      if (entry.path === '') continue
      const slash = entry.path.lastIndexOf('/')
      const parent = directories.get(slash < 0 ? '' : entry.path.slice(0, slash))
      if (!parent) throw new Error(`the volume listed ${entry.path} before its directory`)
      const name = entry.path.slice(slash + 1)
      if (entry.kind === 'directory') {
        const child = new DirectoryInode(this, readOnly)
        directories.set(entry.path, child)
        parent.link(name, child)
      } else {
        parent.link(name, this.volumeFile(opened, index, entry.path, entry.size, readOnly))
      }
    }
  }

  /** A file of a volume, read through its SyncFile; a writable one is copied on write into the image. */
  private volumeFile(opened: OpenedVolume, index: number, path: string, size: number, readOnly: boolean): FileInode {
    const source = opened.files.get(path)
    if (!source) throw new Error(`the volume's file ${path || '(root)'} was not opened`)
    if (!readOnly && !this.image) throw new Error('a read-write volume needs a scratch image to copy its writes into')
    const inode = new FileInode(this, new Uint8Array(0), readOnly)
    inode.size = size
    inode.blocks = new BlockFile(readOnly ? undefined : this.image, source, size)
    inode.origin = { mount: index, path }
    // A writable input counts against the budget like any file the job writes.
    if (!readOnly) this.usedBytes += blockBytes(size)
    return inode
  }

  private build(node: FileTreeNode, readOnly: boolean): BaseInode {
    if (node.kind === 'file') {
      // A writable copy of an input counts against the budget like any file the job writes.
      if (!readOnly) {
        this.usedBytes += node.data.byteLength
        this.memoryBytes += node.data.byteLength
      }
      return new FileInode(this, readOnly ? node.data : node.data.slice(), readOnly)
    }
    const dir = new DirectoryInode(this, readOnly)
    this.fill(dir, node, readOnly)
    return dir
  }

  private fill(dir: DirectoryInode, node: DirectoryNode, readOnly: boolean): void {
    for (const [name, child] of node.entries) dir.link(name, this.build(child, readOnly))
  }
}

function exportDirectory(dir: DirectoryInode): OutputDirectory {
  const entries = new Map<string, OutputNode>()
  for (const name of [...dir.entries.keys()].sort()) {
    const inode = dir.entries.get(name)!
    if (inode instanceof FileInode) entries.set(name, inode.output())
    else if (inode instanceof DirectoryInode) entries.set(name, exportDirectory(inode))
  }
  return { kind: 'dir', entries }
}
