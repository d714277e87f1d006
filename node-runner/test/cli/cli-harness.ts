/** Helpers to run the `shoal` CLI as a real child process or in-process with captured streams. */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { sleep, type CliIo } from '../../src/cli/cli-io.ts'

const here = dirname(fileURLToPath(import.meta.url))
/** node-runner/bin/shoal.js */
export const SHOAL_BIN = join(here, '../../bin/shoal.js')
/** The repository root (for node_modules/.bin on PATH, so `node` is Node 24). */
export const REPO_ROOT = join(here, '../../..')
/** Fixture directory of these tests. */
export const FIXTURES = join(here, 'fixtures')

/** What a finished CLI run produced. */
export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `node bin/shoal.js …args` in a child process, feeding `stdin` if given. */
export function runShoal(args: readonly string[], options: { stdin?: string; env?: Record<string, string>; cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [SHOAL_BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: {
        PATH: `${join(REPO_ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}`,
        HOME: process.env.HOME ?? '/tmp',
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(options.stdin ?? '')
  })
}

/** A text sink that remembers what was written. */
export class CapturedStream {
  text = ''
  isTTY = false
  write(chunk: string): boolean {
    this.text += chunk
    return true
  }
}

/** An in-memory CliIo: captured streams, given env/stdin, a clock that advances when slept. */
export function memoryIo(init: { env?: Record<string, string>; stdin?: string; home?: string; cwd?: string; fetch?: typeof fetch; realTime?: boolean } = {}): CliIo & { stdout: CapturedStream; stderr: CapturedStream } {
  let now = Date.parse('2025-01-01T00:00:00Z')
  return {
    stdout: new CapturedStream(),
    stderr: new CapturedStream(),
    readStdin: async () => init.stdin ?? '',
    stdinIsTTY: init.stdin === undefined,
    env: init.env ?? {},
    cwd: init.cwd ?? '/tmp',
    home: init.home ?? '/nonexistent-home',
    now: () => (init.realTime ? Date.now() : now),
    sleep: init.realTime
      ? sleep
      : async (ms: number) => {
          now += ms
        },
    fetch: init.fetch ?? globalThis.fetch,
  }
}
