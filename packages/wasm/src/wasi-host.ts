/**
 * Shoal's WASI preview1 host: @bjorn3/browser_wasi_shim's syscall dispatcher, with the calls it
 * gets wrong or leaves out replaced (clocks and randomness injected, poll_oneoff with several
 * subscriptions, symlinks, rename, UTF-8 argument sizes, sockets answering errno instead of
 * throwing) and the in-memory filesystem of wasi-filesystem.ts behind the descriptors.
 * Pure Web APIs: the same host runs in a browser Worker, on the edge and in Node worker_threads.
 */
import { Fd, WASI, WASIProcExit, wasi } from '@bjorn3/browser_wasi_shim'
import { DirectoryDescriptor, FileDescriptor, WasiFilesystem } from './wasi-filesystem.ts'
import type { WasiClock, RandomSource } from './wasi-clock.ts'

const R = wasi
const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** stdout/stderr: every write goes to `sink`. */
export class OutputStream extends Fd {
  private readonly sink: (data: Uint8Array) => void
  constructor(sink: (data: Uint8Array) => void) {
    super()
    this.sink = sink
  }
  override fd_fdstat_get(): { ret: number; fdstat: wasi.Fdstat } {
    const stat = new wasi.Fdstat(R.FILETYPE_CHARACTER_DEVICE, R.FDFLAGS_APPEND)
    stat.fs_rights_base = BigInt(R.RIGHTS_FD_WRITE | R.RIGHTS_POLL_FD_READWRITE | R.RIGHTS_FD_FILESTAT_GET)
    return { ret: 0, fdstat: stat }
  }
  override fd_filestat_get(): { ret: number; filestat: wasi.Filestat } {
    return { ret: 0, filestat: characterDeviceStat() }
  }
  override fd_write(data: Uint8Array): { ret: number; nwritten: number } {
    this.sink(data)
    return { ret: 0, nwritten: data.byteLength }
  }
  override fd_read(): { ret: number; data: Uint8Array } {
    return { ret: R.ERRNO_BADF, data: new Uint8Array() }
  }
  override fd_seek(): { ret: number; offset: bigint } {
    return { ret: R.ERRNO_SPIPE, offset: 0n }
  }
}

/** stdin: reads `data` to its end, then end-of-file. */
export class InputStream extends Fd {
  private data: Uint8Array
  constructor(data: Uint8Array) {
    super()
    this.data = data
  }
  get remaining(): number {
    return this.data.byteLength
  }
  override fd_fdstat_get(): { ret: number; fdstat: wasi.Fdstat } {
    const stat = new wasi.Fdstat(R.FILETYPE_CHARACTER_DEVICE, 0)
    stat.fs_rights_base = BigInt(R.RIGHTS_FD_READ | R.RIGHTS_POLL_FD_READWRITE | R.RIGHTS_FD_FILESTAT_GET)
    return { ret: 0, fdstat: stat }
  }
  override fd_filestat_get(): { ret: number; filestat: wasi.Filestat } {
    return { ret: 0, filestat: characterDeviceStat() }
  }
  override fd_read(size: number): { ret: number; data: Uint8Array } {
    const chunk = this.data.slice(0, size)
    this.data = this.data.subarray(chunk.byteLength)
    return { ret: 0, data: chunk }
  }
  override fd_write(): { ret: number; nwritten: number } {
    return { ret: R.ERRNO_BADF, nwritten: 0 }
  }
  override fd_seek(): { ret: number; offset: bigint } {
    return { ret: R.ERRNO_SPIPE, offset: 0n }
  }
}

function characterDeviceStat(): wasi.Filestat {
  return new wasi.Filestat(0n, R.FILETYPE_CHARACTER_DEVICE, 0n)
}

/** What every module of one run shares: arguments, environment, descriptors, time, randomness. */
export interface WasiEnvironment {
  args: string[]
  env: string[]
  /** Descriptor table: 0-2 stdio, then preopens; grows as the module opens files. */
  fds: (Fd | undefined)[]
  clock: WasiClock
  random: RandomSource
}

/** Options of {@link createWasiEnvironment}. */
export interface WasiEnvironmentInit {
  args: string[]
  env: Record<string, string>
  filesystem: WasiFilesystem
  stdin?: Uint8Array
  onStdout: (data: Uint8Array) => void
  onStderr: (data: Uint8Array) => void
  clock: WasiClock
  random: RandomSource
}

/** Stdio plus one preopen, `/`, holding the filesystem's root (as upstream Bacalhau mounts its FS). */
export function createWasiEnvironment(init: WasiEnvironmentInit): WasiEnvironment {
  return {
    args: init.args,
    env: Object.entries(init.env).map(([key, value]) => `${key}=${value}`),
    fds: [
      new InputStream(init.stdin ?? new Uint8Array()),
      new OutputStream(init.onStdout),
      new OutputStream(init.onStderr),
      // Without mounts there is nothing to see: no preopen at all, as in other runtimes.
      ...(init.filesystem.root.entries.size > 0 || !init.filesystem.root.readOnly ? [new DirectoryDescriptor(init.filesystem.root, '/')] : []),
    ],
    clock: init.clock,
    random: init.random,
  }
}

/** Something with a linear memory, once instantiated. */
export interface MemoryHolder {
  exports: { memory?: unknown }
}

/**
 * The `wasi_snapshot_preview1` import object for one module instance. Several modules of a run
 * (an entry module and its import modules) each get their own, bound to their own memory, over
 * one shared {@link WasiEnvironment}. Call `bind` with the instance before running it.
 */
export class WasiHost {
  readonly imports: Record<string, (...args: any[]) => unknown>
  private readonly shim: WASI
  private environment: WasiEnvironment
  constructor(environment: WasiEnvironment) {
    this.environment = environment
    this.shim = new WASI(environment.args, environment.env, environment.fds as Fd[], { debug: false })
    this.imports = { ...this.shim.wasiImport, ...this.overrides() }
  }

  /**
   * Serves every later call from `environment` instead: a host made ahead of its job (a standby
   * instance, wasi-command.ts) gets its job's arguments, descriptors, clock and randomness here.
   */
  attach(environment: WasiEnvironment): void {
    this.environment = environment
    this.shim.args = environment.args
    this.shim.env = environment.env
    this.shim.fds = environment.fds as Fd[]
  }

  /** Binds the instance whose memory the calls read and write. */
  bind(instance: MemoryHolder): void {
    this.shim.inst = instance as WASI['inst']
  }

  /** The bound instance's memory, when it exports one. */
  get memory(): WebAssembly.Memory | undefined {
    const memory = this.shim.inst?.exports.memory
    return memory instanceof WebAssembly.Memory ? memory : undefined
  }

  private view(): DataView {
    return new DataView(this.requireMemory().buffer)
  }
  private bytes(): Uint8Array {
    return new Uint8Array(this.requireMemory().buffer)
  }
  private requireMemory(): WebAssembly.Memory {
    const memory = this.memory
    if (!memory) throw new WebAssembly.RuntimeError('the module called WASI but exports no memory named "memory"')
    return memory
  }
  private string(ptr: number, length: number): string {
    return decoder.decode(this.bytes().subarray(ptr, ptr + length))
  }
  private fd(fd: number): Fd | undefined {
    return this.environment.fds[fd]
  }

  /**
   * fd_write/fd_pwrite of a regular file: each iovec handed over as a view of the module's memory
   * (the file copies it synchronously, into its bytes or the scratch image). The shim slices a copy
   * per iovec instead: garbage ArrayBuffers that piled up to ~100 MiB of worker memory before a GC
   * while a job streamed a large output.
   */
  private writeVectors(file: FileDescriptor, iovsPtr: number, iovsLength: number, writtenPtr: number, offset: bigint | undefined): number {
    return this.transferVectors(iovsPtr, iovsLength, writtenPtr, (data, done) => {
      const { ret, nwritten } = offset === undefined ? file.fd_write(data) : file.fd_pwrite(data, offset + BigInt(done))
      return { ret, count: nwritten }
    })
  }

  /** fd_read/fd_pread of a file outside memory: each iovec filled in place until one comes back short. */
  private readVectors(file: FileDescriptor, iovsPtr: number, iovsLength: number, readPtr: number, offset: number | undefined): number {
    return this.transferVectors(iovsPtr, iovsLength, readPtr, (data, done) => {
      const { ret, read } = file.readInto(data, offset === undefined ? undefined : offset + done)
      return { ret, count: read }
    })
  }

  /**
   * Walks an iovec list, handing each buffer (a view of the module's memory, bounds-checked) to
   * `transfer` until one comes back short or fails; stores the bytes moved at `countPtr`.
   */
  private transferVectors(iovsPtr: number, iovsLength: number, countPtr: number, transfer: (data: Uint8Array, done: number) => { ret: number; count: number }): number {
    const view = this.view()
    const bytes = this.bytes()
    let total = 0
    for (let i = 0; i < iovsLength; i++) {
      const buffer = view.getUint32(iovsPtr + i * 8, true)
      const length = view.getUint32(iovsPtr + i * 8 + 4, true)
      if (buffer + length > bytes.byteLength) {
        view.setUint32(countPtr, total, true)
        return R.ERRNO_FAULT
      }
      const { ret, count } = transfer(bytes.subarray(buffer, buffer + length), total)
      if (ret !== R.ERRNO_SUCCESS) {
        view.setUint32(countPtr, total, true)
        return ret
      }
      total += count
      if (count < length) break
    }
    view.setUint32(countPtr, total, true)
    return R.ERRNO_SUCCESS
  }

  private overrides(): Record<string, (...args: any[]) => unknown> {
    const shimImports = this.shim.wasiImport as Record<string, (...args: any[]) => number>
    const encodedArgs = () => this.environment.args.map((arg) => encoder.encode(arg))
    const encodedEnv = () => this.environment.env.map((entry) => encoder.encode(entry))
    const sizes = (list: Uint8Array[], countPtr: number, sizePtr: number): number => {
      const view = this.view()
      view.setUint32(countPtr, list.length, true)
      view.setUint32(sizePtr, list.reduce((total, item) => total + item.byteLength + 1, 0), true)
      return R.ERRNO_SUCCESS
    }
    const strings = (list: Uint8Array[], pointersPtr: number, bufferPtr: number): number => {
      const view = this.view()
      const bytes = this.bytes()
      for (const item of list) {
        view.setUint32(pointersPtr, bufferPtr, true)
        pointersPtr += 4
        bytes.set(item, bufferPtr)
        bytes[bufferPtr + item.byteLength] = 0
        bufferPtr += item.byteLength + 1
      }
      return R.ERRNO_SUCCESS
    }
    const clockNow = (id: number): bigint | undefined => {
      if (id === R.CLOCKID_REALTIME) return this.environment.clock.realtime()
      if (id === R.CLOCKID_MONOTONIC || id === R.CLOCKID_PROCESS_CPUTIME_ID || id === R.CLOCKID_THREAD_CPUTIME_ID) {
        return this.environment.clock.monotonic()
      }
      return undefined
    }
    return {
      args_sizes_get: (countPtr: number, sizePtr: number) => sizes(encodedArgs(), countPtr, sizePtr),
      args_get: (argvPtr: number, bufferPtr: number) => strings(encodedArgs(), argvPtr, bufferPtr),
      environ_sizes_get: (countPtr: number, sizePtr: number) => sizes(encodedEnv(), countPtr, sizePtr),
      environ_get: (environPtr: number, bufferPtr: number) => strings(encodedEnv(), environPtr, bufferPtr),
      clock_res_get: (id: number, resultPtr: number) => {
        if (clockNow(id) === undefined) return R.ERRNO_INVAL
        this.view().setBigUint64(resultPtr, this.environment.clock.resolution(), true)
        return R.ERRNO_SUCCESS
      },
      clock_time_get: (id: number, _precision: bigint, resultPtr: number) => {
        const now = clockNow(id)
        if (now === undefined) return R.ERRNO_INVAL
        this.view().setBigUint64(resultPtr, now, true)
        return R.ERRNO_SUCCESS
      },
      random_get: (ptr: number, length: number) => {
        this.environment.random(this.bytes().subarray(ptr, ptr + length))
        return R.ERRNO_SUCCESS
      },
      poll_oneoff: (inPtr: number, outPtr: number, count: number, eventsPtr: number) =>
        this.pollOneoff(inPtr, outPtr, count, eventsPtr, clockNow),
      proc_exit: (code: number) => {
        throw new WASIProcExit(code)
      },
      proc_raise: () => R.ERRNO_NOSYS,
      sched_yield: () => R.ERRNO_SUCCESS,
      sock_accept: (fd: number) => (this.fd(fd) ? R.ERRNO_NOTSOCK : R.ERRNO_BADF),
      sock_recv: (fd: number) => (this.fd(fd) ? R.ERRNO_NOTSOCK : R.ERRNO_BADF),
      sock_send: (fd: number) => (this.fd(fd) ? R.ERRNO_NOTSOCK : R.ERRNO_BADF),
      sock_shutdown: (fd: number) => (this.fd(fd) ? R.ERRNO_NOTSOCK : R.ERRNO_BADF),
      // Files outside memory (inputs read in place, the scratch image) are read straight into the
      // module's memory; in-memory files go the shim's way, which copies from their bytes.
      fd_read: (fd: number, iovsPtr: number, iovsLength: number, readPtr: number) => {
        const file = this.fd(fd)
        if (!(file instanceof FileDescriptor) || !file.inode.blocks) return shimImports.fd_read!(fd, iovsPtr, iovsLength, readPtr)
        return this.readVectors(file, iovsPtr, iovsLength, readPtr, undefined)
      },
      fd_pread: (fd: number, iovsPtr: number, iovsLength: number, offset: bigint, readPtr: number) => {
        const file = this.fd(fd)
        if (!(file instanceof FileDescriptor) || !file.inode.blocks) return shimImports.fd_pread!(fd, iovsPtr, iovsLength, offset, readPtr)
        return this.readVectors(file, iovsPtr, iovsLength, readPtr, Number(offset))
      },
      fd_write: (fd: number, iovsPtr: number, iovsLength: number, writtenPtr: number) => {
        const file = this.fd(fd)
        if (!(file instanceof FileDescriptor)) return shimImports.fd_write!(fd, iovsPtr, iovsLength, writtenPtr)
        return this.writeVectors(file, iovsPtr, iovsLength, writtenPtr, undefined)
      },
      fd_pwrite: (fd: number, iovsPtr: number, iovsLength: number, offset: bigint, writtenPtr: number) => {
        const file = this.fd(fd)
        if (!(file instanceof FileDescriptor)) return shimImports.fd_pwrite!(fd, iovsPtr, iovsLength, offset, writtenPtr)
        return this.writeVectors(file, iovsPtr, iovsLength, writtenPtr, offset)
      },
      fd_renumber: (from: number, to: number) => {
        const source = this.fd(from)
        if (!source || !this.fd(to)) return R.ERRNO_BADF
        if (from === to) return R.ERRNO_SUCCESS
        this.environment.fds[to] = source
        this.environment.fds[from] = undefined
        return R.ERRNO_SUCCESS
      },
      path_symlink: (oldPtr: number, oldLength: number, fd: number, newPtr: number, newLength: number) => {
        const dir = this.fd(fd)
        if (!dir) return R.ERRNO_BADF
        if (!(dir instanceof DirectoryDescriptor)) return R.ERRNO_NOTDIR
        return dir.symlink(this.string(oldPtr, oldLength), this.string(newPtr, newLength))
      },
      path_rename: (fd: number, oldPtr: number, oldLength: number, newFd: number, newPtr: number, newLength: number) => {
        const from = this.fd(fd)
        const to = this.fd(newFd)
        if (!from || !to) return R.ERRNO_BADF
        if (!(from instanceof DirectoryDescriptor) || !(to instanceof DirectoryDescriptor)) return R.ERRNO_NOTDIR
        return from.rename(this.string(oldPtr, oldLength), to, this.string(newPtr, newLength))
      },
      path_readlink: (fd: number, pathPtr: number, pathLength: number, bufferPtr: number, bufferLength: number, usedPtr: number) => {
        const dir = this.fd(fd)
        if (!dir) return R.ERRNO_BADF
        const { ret, data } = dir.path_readlink(this.string(pathPtr, pathLength))
        if (ret !== R.ERRNO_SUCCESS || data === null) return ret
        const target = encoder.encode(data).subarray(0, bufferLength)
        this.bytes().set(target, bufferPtr)
        this.view().setUint32(usedPtr, target.byteLength, true)
        return R.ERRNO_SUCCESS
      },
      path_link: (oldFd: number, oldFlags: number, oldPtr: number, oldLength: number, newFd: number, newPtr: number, newLength: number) => {
        const from = this.fd(oldFd)
        const to = this.fd(newFd)
        if (!from || !to) return R.ERRNO_BADF
        const oldPath = this.string(oldPtr, oldLength)
        if (oldPath.endsWith('/')) {
          const { inode_obj } = from.path_lookup(oldPath, oldFlags)
          return inode_obj && inode_obj.stat().filetype === R.FILETYPE_DIRECTORY ? R.ERRNO_PERM : R.ERRNO_NOTDIR
        }
        const { ret, inode_obj } = from.path_lookup(oldPath, oldFlags)
        if (!inode_obj) return ret
        return to.path_link(this.string(newPtr, newLength), inode_obj, false)
      },
      fd_readdir: (fd: number, bufferPtr: number, bufferLength: number, cookie: bigint, usedPtr: number) => {
        const dir = this.fd(fd)
        if (!dir) return R.ERRNO_BADF
        const bytes = this.bytes()
        const view = this.view()
        let used = 0
        for (;;) {
          const { ret, dirent } = dir.fd_readdir_single(cookie)
          if (ret !== R.ERRNO_SUCCESS) return ret
          if (!dirent) break
          // Entries are serialised back to back; the last one is cut off at the buffer's end
          // and the caller, seeing a full buffer, asks again from its cookie.
          const entry = new Uint8Array(24 + dirent.name_length())
          dirent.write_head_bytes(new DataView(entry.buffer), 0)
          entry.set(dirent.dir_name, 24)
          const room = bufferLength - used
          bytes.set(entry.subarray(0, Math.min(room, entry.byteLength)), bufferPtr + used)
          used += Math.min(room, entry.byteLength)
          if (used >= bufferLength) break
          cookie = dirent.d_next
        }
        view.setUint32(usedPtr, used, true)
        return R.ERRNO_SUCCESS
      },
    }
  }

  private pollOneoff(
    inPtr: number,
    outPtr: number,
    count: number,
    eventsPtr: number,
    clockNow: (id: number) => bigint | undefined,
  ): number {
    if (count === 0) return R.ERRNO_INVAL
    const view = this.view()
    const events: { userdata: bigint; error: number; type: number; nbytes: bigint }[] = []
    let earliest: { userdata: bigint; deadline: bigint; id: number } | undefined
    const clockSubscriptions: { userdata: bigint; deadline: bigint; id: number }[] = []
    for (let i = 0; i < count; i++) {
      const base = inPtr + i * 48
      const userdata = view.getBigUint64(base, true)
      const type = view.getUint8(base + 8)
      if (type === R.EVENTTYPE_CLOCK) {
        const id = view.getUint32(base + 16, true)
        const timeout = view.getBigUint64(base + 24, true)
        const flags = view.getUint16(base + 40, true)
        const now = clockNow(id)
        if (now === undefined) {
          events.push({ userdata, error: R.ERRNO_INVAL, type, nbytes: 0n })
          continue
        }
        const deadline = flags & R.SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME ? timeout : now + timeout
        const subscription = { userdata, deadline: deadline - now, id }
        clockSubscriptions.push(subscription)
        if (!earliest || subscription.deadline < earliest.deadline) earliest = subscription
      } else if (type === R.EVENTTYPE_FD_READ || type === R.EVENTTYPE_FD_WRITE) {
        const fd = this.fd(view.getUint32(base + 16, true))
        if (!fd) events.push({ userdata, error: R.ERRNO_BADF, type, nbytes: 0n })
        else if (type === R.EVENTTYPE_FD_READ && fd instanceof OutputStream) events.push({ userdata, error: R.ERRNO_BADF, type, nbytes: 0n })
        else {
          const nbytes = fd instanceof InputStream ? BigInt(fd.remaining) : 0n
          events.push({ userdata, error: R.ERRNO_SUCCESS, type, nbytes })
        }
      } else {
        events.push({ userdata, error: R.ERRNO_INVAL, type, nbytes: 0n })
      }
    }
    if (events.length === 0 && earliest) {
      // Only timers: wait for the first one (virtual clocks just advance).
      if (earliest.deadline > 0n) this.environment.clock.sleep(earliest.deadline)
      for (const subscription of clockSubscriptions) {
        if (subscription.deadline <= earliest.deadline) {
          events.push({ userdata: subscription.userdata, error: R.ERRNO_SUCCESS, type: R.EVENTTYPE_CLOCK, nbytes: 0n })
        }
      }
    }
    for (const [i, event] of events.entries()) {
      const base = outPtr + i * 32
      view.setBigUint64(base, event.userdata, true)
      view.setUint16(base + 8, event.error, true)
      view.setUint8(base + 10, event.type)
      view.setBigUint64(base + 16, event.nbytes, true)
      view.setUint16(base + 24, 0, true)
    }
    view.setUint32(eventsPtr, events.length, true)
    return R.ERRNO_SUCCESS
  }
}

export { WASIProcExit }
