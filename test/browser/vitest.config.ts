import { defineProject } from 'vitest/config'

// The contribute page in real headless Chromium (Debian's /usr/bin/chromium through
// playwright-core). Each spec runs its scenario as a child process inside a loopback-only
// network namespace (`unshare -n`), because WebRTC must not leave loopback.
export default defineProject({
  test: {
    name: 'browser',
    root: import.meta.dirname,
    include: ['*.spec.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    fileParallelism: false,
  },
})
