import { defineProject } from 'vitest/config'

// The edge requester in workerd (miniflare and wrangler dev): loopback only, offline.
export default defineProject({
  test: { name: 'edge', include: ['test/**/*.spec.ts'], testTimeout: 60_000, hookTimeout: 60_000, fileParallelism: false },
})
