/**
 * The smallest WASI preview1 host that runs a command module in this thread: arguments, stdout
 * and stderr kept in memory, no files, no environment. It is the "direct run" baseline of the
 * latency benchmarks: what running the module costs with nothing around it.
 */

const ERRNO_SUCCESS = 0
const ERRNO_BADF = 8
const ERRNO_NOSYS = 52
const ERRNO_SPIPE = 70
const FILETYPE_CHARACTER_DEVICE = 2

class ProcExit extends Error {
  readonly code: number
  constructor(code: number) {
    super(`exit ${code}`)
    this.code = code
  }
}

/** What a direct run produced. */
export interface DirectRunResult {
  exitCode: number
  stdout: string
}

/** Instantiates `module` and runs its `_start` with `args` (argv[1..]). */
export function runWasiDirect(module: WebAssembly.Module, args: string[] = []): DirectRunResult {
  // Set once the instance exists; the imports read it lazily (memory can grow between calls).
  const linked: { memory?: WebAssembly.Memory } = {}
  const view = () => new DataView(linked.memory!.buffer)
  const bytes = () => new Uint8Array(linked.memory!.buffer)
  const encoder = new TextEncoder()
  const argv = ['main.wasm', ...args].map((arg) => encoder.encode(arg + '\0'))
  const out: Uint8Array[] = []

  const wasi: Record<string, (...a: number[]) => number> = {
    args_sizes_get(countPtr, sizePtr) {
      view().setUint32(countPtr, argv.length, true)
      view().setUint32(sizePtr, argv.reduce((n, a) => n + a.length, 0), true)
      return ERRNO_SUCCESS
    },
    args_get(argvPtr, bufPtr) {
      let at = bufPtr
      for (const [i, arg] of argv.entries()) {
        view().setUint32(argvPtr + i * 4, at, true)
        bytes().set(arg, at)
        at += arg.length
      }
      return ERRNO_SUCCESS
    },
    environ_sizes_get(countPtr, sizePtr) {
      view().setUint32(countPtr, 0, true)
      view().setUint32(sizePtr, 0, true)
      return ERRNO_SUCCESS
    },
    environ_get: () => ERRNO_SUCCESS,
    fd_fdstat_get(fd, statPtr) {
      if (fd > 2) return ERRNO_BADF
      bytes().fill(0, statPtr, statPtr + 24)
      view().setUint8(statPtr, FILETYPE_CHARACTER_DEVICE)
      return ERRNO_SUCCESS
    },
    fd_seek: (fd) => (fd > 2 ? ERRNO_BADF : ERRNO_SPIPE),
    fd_close: () => ERRNO_SUCCESS,
    fd_write(fd, iovsPtr, iovsLen, writtenPtr) {
      if (fd !== 1 && fd !== 2) return ERRNO_BADF
      let written = 0
      for (let i = 0; i < iovsLen; i++) {
        const base = view().getUint32(iovsPtr + i * 8, true)
        const length = view().getUint32(iovsPtr + i * 8 + 4, true)
        if (fd === 1) out.push(bytes().slice(base, base + length))
        written += length
      }
      view().setUint32(writtenPtr, written, true)
      return ERRNO_SUCCESS
    },
    proc_exit(code) {
      throw new ProcExit(code)
    },
  }
  const imports = new Proxy(wasi, { get: (target, name: string) => target[name] ?? (() => ERRNO_NOSYS) })
  const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: imports })
  linked.memory = instance.exports.memory as WebAssembly.Memory
  let exitCode = 0
  try {
    ;(instance.exports._start as () => void)()
  } catch (error) {
    if (!(error instanceof ProcExit)) throw error
    exitCode = error.code
  }
  return { exitCode, stdout: Buffer.concat(out).toString('utf8') }
}
