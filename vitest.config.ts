import { defineConfig } from 'vitest/config'

// Every Vitest project in the repository; `npm test` runs them all.
export default defineConfig({
  test: {
    passWithNoTests: true,
    projects: ['packages/*/vitest.config.ts', 'packages/wasm/vitest.browser.config.ts', 'web/vitest.browser.config.ts', 'node-runner/vitest.config.ts', 'edge/vitest.config.ts', 'test/vitest.config.ts', 'test/browser/vitest.config.ts'],
  },
})
