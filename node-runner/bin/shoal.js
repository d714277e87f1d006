#!/usr/bin/env node
// The `shoal` command. Plain JavaScript on purpose: it must parse on an old Node so it can say
// clearly that the Node is too old (check-node.js exits if so) before importing the TypeScript program.
await import('../scripts/check-node.js')
await import('../src/cli/main.ts')
