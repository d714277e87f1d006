/**
 * Runs WebAssembly/wasi-testsuite (preview1) against a WASI host and prints the pass count.
 * Not part of `npm test`: the suite is fetched separately and none of it is committed.
 *
 *   node packages/wasm/test/conformance/run-wasi-testsuite.ts <suite-dir> [shoal|node|shim] [--verbose]
 *
 * `<suite-dir>` is a checkout of the suite's `prod/testsuite-base` branch (the folder that holds
 * `tests/`). Each test's `.json` gives args, env, a root directory preopened at `/`, the
 * expected exit code and, sometimes, the exact stdout.
 */
import { cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { WASI as NodeWasi } from 'node:wasi'
import { openSync, closeSync, readFileSync } from 'node:fs'
import { ConsoleStdout, Directory, Fd, File, OpenFile, PreopenDirectory, WASI as ShimWasi, WASIProcExit } from '@bjorn3/browser_wasi_shim'
import { runWasiCommand } from '../../src/wasi-command.ts'
import { fileTreeFromDisk } from './file-tree-from-disk.ts'

/** What a test expects, from its `.json` (all keys optional). */
interface TestSpec {
  args?: string[]
  env?: Record<string, string>
  root?: string
  exit_code?: number
  stdout?: string
}

/** The outcome of running one test in one host. */
interface Outcome {
  exitCode: number
  stdout: string
}

type HostRunner = (wasm: Uint8Array, spec: TestSpec, rootDir: string | undefined) => Promise<Outcome>

const runOnShoal: HostRunner = async (wasm, spec, rootDir) => {
  const root = rootDir ? await fileTreeFromDisk(rootDir) : undefined
  let stdout = ''
  const decoder = new TextDecoder()
  const module = await WebAssembly.compile(wasm as BufferSource)
  const result = runWasiCommand({
    module,
    args: [basename('test.wasm'), ...(spec.args ?? [])],
    env: spec.env ?? {},
    mounts: root ? [{ path: '/', node: root, readOnly: false }] : [],
    onStdout: (data) => (stdout += decoder.decode(data, { stream: true })),
    onStderr: () => {},
  })
  return { exitCode: result.exitCode, stdout }
}

const runOnShim: HostRunner = async (wasm, spec, rootDir) => {
  let stdout = ''
  const decoder = new TextDecoder()
  const fds: Fd[] = [
    new OpenFile(new File([])),
    new ConsoleStdout((data) => (stdout += decoder.decode(data, { stream: true }))),
    new ConsoleStdout(() => {}),
  ]
  if (rootDir) fds.push(new PreopenDirectory('/', await shimTree(rootDir)))
  const env = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`)
  const wasi = new ShimWasi(['test.wasm', ...(spec.args ?? [])], env, fds, { debug: false })
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(wasm as BufferSource), {
    wasi_snapshot_preview1: wasi.wasiImport,
  })
  try {
    return { exitCode: wasi.start(instance as any), stdout }
  } catch (error) {
    if (error instanceof WASIProcExit) return { exitCode: error.code, stdout }
    return { exitCode: -1, stdout: stdout + String(error) }
  }
}

async function shimTree(dir: string): Promise<Map<string, any>> {
  const out = new Map<string, any>()
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) out.set(entry.name, new Directory(await shimTree(full)))
    else if (entry.isFile()) out.set(entry.name, new File(await readFile(full)))
  }
  return out
}

const runOnNode: HostRunner = async (wasm, spec, rootDir) => {
  // node:wasi writes stdout to a real fd: capture it through a temporary file.
  const scratch = await mkdtemp(join(tmpdir(), 'wasi-node-'))
  const stdoutPath = join(scratch, 'stdout')
  const stdoutFd = openSync(stdoutPath, 'w+')
  const devNull = openSync('/dev/null', 'r+')
  try {
    const wasi = new NodeWasi({
      version: 'preview1',
      args: ['test.wasm', ...(spec.args ?? [])],
      env: spec.env ?? {},
      preopens: rootDir ? { '/': rootDir } : {},
      returnOnExit: true,
      stdin: devNull,
      stdout: stdoutFd,
      stderr: devNull,
    })
    const instance = await WebAssembly.instantiate(await WebAssembly.compile(wasm as BufferSource), wasi.getImportObject() as any)
    let exitCode: number
    try {
      exitCode = wasi.start(instance)
    } catch (error) {
      exitCode = -1
      void error
    }
    return { exitCode, stdout: readFileSync(stdoutPath, 'utf8') }
  } finally {
    closeSync(stdoutFd)
    closeSync(devNull)
    await rm(scratch, { recursive: true, force: true })
  }
}

const hosts: Record<string, HostRunner> = { shoal: runOnShoal, node: runOnNode, shim: runOnShim }

async function main(): Promise<void> {
  const [suiteDir, hostName = 'shoal', ...flags] = process.argv.slice(2)
  const verbose = flags.includes('--verbose')
  const host = hosts[hostName]
  if (!suiteDir || !host) {
    console.error('usage: run-wasi-testsuite.ts <suite-dir> [shoal|node|shim] [--verbose]')
    process.exit(2)
  }
  const testsDir = join(suiteDir, 'tests')
  let passed = 0
  let total = 0
  const failures: string[] = []
  for (const language of (await readdir(testsDir)).sort()) {
    const dir = join(testsDir, language, 'testsuite', 'wasm32-wasip1')
    if (!(await stat(dir).catch(() => undefined))) continue
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.wasm')).sort()) {
      total++
      const name = `${language}/${file.slice(0, -5)}`
      const specPath = join(dir, file.replace(/\.wasm$/, '.json'))
      const spec: TestSpec = await readFile(specPath, 'utf8').then(JSON.parse, () => ({}))
      // Tests change their root directory: run each on a fresh copy.
      let rootCopy: string | undefined
      if (spec.root) {
        rootCopy = await mkdtemp(join(tmpdir(), 'wasi-root-'))
        await cp(join(dir, spec.root), rootCopy, { recursive: true })
      }
      let outcome: Outcome
      try {
        outcome = await host(await readFile(join(dir, file)), spec, rootCopy)
      } catch (error) {
        outcome = { exitCode: -2, stdout: String(error) }
      } finally {
        if (rootCopy) await rm(rootCopy, { recursive: true, force: true })
      }
      const expectedExit = spec.exit_code ?? 0
      const ok = outcome.exitCode === expectedExit && (spec.stdout === undefined || spec.stdout === outcome.stdout)
      if (ok) passed++
      else failures.push(`${name}: exit ${outcome.exitCode} (want ${expectedExit})${spec.stdout !== undefined && spec.stdout !== outcome.stdout ? ' stdout differs' : ''}`)
      if (verbose && !ok) console.log(`FAIL ${name}\n${outcome.stdout.slice(0, 2000)}`)
    }
  }
  for (const failure of failures) console.log(`FAIL ${failure}`)
  console.log(`${hostName}: ${passed}/${total} passed`)
}

await main()
