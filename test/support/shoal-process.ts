import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { NODE_BIN_DIR, REPO_ROOT, SHOAL_BIN } from './paths.ts'
import { tempDirSync } from './temp-dir.ts'

/** Options of {@link spawnShoal} and {@link runShoal}. */
export interface ShoalProcessOptions {
  /** Extra environment; merged over a hermetic base (see {@link shoalEnv}). */
  env?: Record<string, string | undefined>
  /** Working directory (default: the repository root). */
  cwd?: string
}

/** How a process ended. */
export interface ProcessExit {
  code: number | null
  signal: NodeJS.Signals | null
}

// One SHOAL_DIR per test file (a temp dir, gone after removeTempDirs), so no test reads or
// writes the user's ~/.shoal.
let shoalDir: string | undefined
const live = new Set<ShoalProcess>()

/** Environment variables that would point a child at a requester other than the test's. */
const INHERITED_CONFIG = ['SHOAL_API_URL', 'SHOAL_API_TOKEN', 'BACALHAU_API_HOST', 'BACALHAU_API_PORT', 'SHOAL_DEBUG', 'SHOAL_LOG_LEVEL']

/**
 * The environment of a child `shoal`: the current one without requester settings, Node 24 first
 * on PATH, no colours, and a private SHOAL_DIR; `extra` wins (an undefined value removes a key).
 * The AWS SDK's credential chain may not ask the EC2/ECS metadata services (off loopback): a
 * compute node looks for S3 credentials at start.
 */
export function shoalEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  if (shoalDir === undefined || !existsSync(shoalDir)) shoalDir = tempDirSync('shoal-test-home-')
  const env: Record<string, string | undefined> = { ...process.env }
  for (const key of INHERITED_CONFIG) delete env[key]
  Object.assign(env, { PATH: `${NODE_BIN_DIR}:${process.env.PATH ?? ''}`, NO_COLOR: '1', SHOAL_DIR: shoalDir, AWS_EC2_METADATA_DISABLED: 'true' }, extra)
  delete env.AWS_CONTAINER_CREDENTIALS_FULL_URI
  delete env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined))
}

/** The Node binary children run on: Node 24 from node_modules/.bin, else this process's node. */
export function nodeBinary(): string {
  const candidate = join(NODE_BIN_DIR, 'node')
  return existsSync(candidate) ? candidate : process.execPath
}

/** The last `max` characters of `text`, for failure messages. */
const tail = (text: string, max = 2000): string => (text.length > max ? `…${text.slice(-max)}` : text)

/** A running `shoal` child process whose output is collected as it arrives. */
export class ShoalProcess {
  /** The child process. */
  readonly child: ChildProcess
  /** The command line, for messages. */
  readonly label: string
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>
  private out = ''
  private err = ''
  private exit: ProcessExit | undefined
  private readonly listeners = new Set<() => void>()

  constructor(args: readonly string[], options: ShoalProcessOptions = {}) {
    this.label = `shoal ${args.join(' ')}`
    this.child = spawn(nodeBinary(), [SHOAL_BIN, ...args], { cwd: options.cwd ?? REPO_ROOT, env: shoalEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] })
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.out += chunk
      this.notify()
    })
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.err += chunk
      this.notify()
    })
    live.add(this)
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.err += `\n[spawn failed: ${error.message}]`
        this.exit ??= { code: null, signal: null }
        live.delete(this)
        this.notify()
        resolve(this.exit)
      })
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal }
        live.delete(this)
        this.notify()
        resolve(this.exit)
      })
    })
  }

  /** Process ID. */
  get pid(): number | undefined {
    return this.child.pid
  }

  /** Everything written to stdout so far. */
  get stdout(): string {
    return this.out
  }

  /** Everything written to stderr so far. */
  get stderr(): string {
    return this.err
  }

  /** How it ended, or undefined while it runs. */
  get exitStatus(): ProcessExit | undefined {
    return this.exit
  }

  /** True until the process has exited. */
  get running(): boolean {
    return this.exit === undefined
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener()
  }

  /** What the process printed, for failure messages. */
  describeOutput(): string {
    return `${this.label}\n--- stdout ---\n${tail(this.out)}\n--- stderr ---\n${tail(this.err)}`
  }

  /**
   * Resolves with the first match of `pattern` in the process's output ('stdout' by default)
   * once it appears; rejects when `timeoutMs` passes or the process exits first, with a message
   * naming the pattern and showing the output.
   */
  waitForLine(pattern: RegExp, timeoutMs = 15_000, stream: 'stdout' | 'stderr' | 'both' = 'stdout'): Promise<RegExpMatchArray> {
    const text = () => (stream === 'stdout' ? this.out : stream === 'stderr' ? this.err : `${this.out}\n${this.err}`)
    return new Promise((resolve, reject) => {
      const done = (settle: () => void) => {
        clearTimeout(timer)
        this.listeners.delete(check)
        settle()
      }
      const check = () => {
        const match = text().match(pattern)
        if (match) done(() => resolve(match))
        else if (this.exit) done(() => reject(new Error(`${this.label} exited (${this.exit?.code ?? this.exit?.signal}) before printing ${pattern} on ${stream}\n${this.describeOutput()}`)))
      }
      const timer = setTimeout(() => done(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern} on ${stream} of ${this.describeOutput()}`))), timeoutMs)
      this.listeners.add(check)
      check()
    })
  }

  /** Sends `signal` (default SIGTERM) if the process still runs. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.running) this.child.kill(signal)
  }

  /**
   * Stops the process: `signal` (default SIGTERM), then SIGKILL if it has not exited within
   * `graceMs`; resolves with how it ended.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<ProcessExit> {
    if (!this.running) return this.exit!
    this.child.kill(signal)
    let timer: NodeJS.Timeout | undefined
    const forced = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.kill('SIGKILL')
        resolve()
      }, graceMs)
    })
    await Promise.race([this.exited, forced])
    clearTimeout(timer)
    return this.exited
  }
}

/** Starts `shoal ARGS…` (Node 24, hermetic env) and returns at once; see {@link ShoalProcess}. */
export function spawnShoal(args: readonly string[], options: ShoalProcessOptions = {}): ShoalProcess {
  return new ShoalProcess(args, options)
}

/** SIGKILLs every `shoal` process this test process started that still runs, and waits for them. */
export async function killAllShoals(): Promise<void> {
  const running = [...live]
  for (const proc of running) proc.kill('SIGKILL')
  await Promise.all(running.map((proc) => proc.exited))
}

// Backstop: a test process that dies without its afterAll must not leave servers behind.
process.once('exit', () => {
  for (const proc of live) proc.child.kill('SIGKILL')
})

/** The result of {@link runShoal}. */
export interface ShoalRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Options of {@link runShoal}. */
export interface RunShoalOptions extends ShoalProcessOptions {
  /** Written to stdin, which is then closed (stdin is closed at once without it). */
  input?: string
  /** Kill the command and reject after this long (default 30 s). */
  timeoutMs?: number
}

/** Runs `shoal ARGS…` to completion and resolves with its exit code and output. */
export async function runShoal(args: readonly string[], options: RunShoalOptions = {}): Promise<ShoalRun> {
  const proc = spawnShoal(args, options)
  proc.child.stdin!.on('error', () => {})
  proc.child.stdin!.end(options.input ?? '')
  const timeoutMs = options.timeoutMs ?? 30_000
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)))
  const outcome = await Promise.race([proc.exited, timedOut])
  clearTimeout(timer)
  if (outcome === 'timeout') {
    await proc.stop('SIGKILL')
    throw new Error(`${proc.label} did not finish within ${timeoutMs} ms\n${proc.describeOutput()}`)
  }
  return { ...outcome, stdout: proc.stdout, stderr: proc.stderr }
}

/**
 * Runs `shoal ARGS… --output json` and parses stdout; rejects with the command's stderr when it
 * exits non-zero or prints something that is not JSON.
 */
export async function shoalJson<T = unknown>(args: readonly string[], options: RunShoalOptions = {}): Promise<T> {
  const run = await runShoal([...args, '--output', 'json'], options)
  if (run.code !== 0) throw new Error(`shoal ${args.join(' ')} exited ${run.code}: ${run.stderr.trim()}`)
  try {
    return JSON.parse(run.stdout) as T
  } catch {
    throw new Error(`shoal ${args.join(' ')} printed no JSON: ${tail(run.stdout)}`)
  }
}
