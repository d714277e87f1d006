import { defineProject } from 'vitest/config'

// Cross-process tests: real processes, real parts, loopback only.
export default defineProject({
  test: { name: 'e2e', include: ['e2e/**/*.spec.ts'], testTimeout: 60_000, hookTimeout: 60_000, fileParallelism: false },
})
