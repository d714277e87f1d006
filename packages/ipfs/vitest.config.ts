import { defineProject } from 'vitest/config'

export default defineProject({
  // Real libp2p nodes over loopback on a shared machine: a bitswap fetch can take seconds.
  test: { name: 'ipfs', include: ['test/**/*.spec.ts'], testTimeout: 30_000, hookTimeout: 30_000 },
})
