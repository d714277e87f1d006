// The wasm engine cases in a real headless Chromium (Debian's /usr/bin/chromium), with Web Workers.
// Run: npx vitest run --project wasm-browser (once listed in the root vitest.config.ts), or
//      npx vitest run --config packages/wasm/vitest.browser.config.ts
import { defineProject } from 'vitest/config'
import { playwright } from '@vitest/browser-playwright'
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../node-runner/src/browsers/headless-tabs.ts'

export default defineProject({
  // Pre-bundle the worker's lazily imported dependencies up front, so Vite does not reload the
  // page mid-run when a worker first imports them.
  optimizeDeps: {
    include: ['@bjorn3/browser_wasi_shim', '@bytecodealliance/jco/component', '@bytecodealliance/preview2-shim', '@bytecodealliance/preview2-shim/instantiation'],
  },
  test: {
    name: 'wasm-browser',
    root: import.meta.dirname,
    include: ['test/**/*.browser.spec.ts'],
    testTimeout: 30_000,
    api: { host: '127.0.0.1' },
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      provider: playwright({
        launchOptions: {
          executablePath: CHROMIUM_PATH,
          args: [...CHROMIUM_ARGS],
        },
      }),
      instances: [{ browser: 'chromium' }],
    },
  },
})
