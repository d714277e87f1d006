// The wasm engine cases in a real headless Chromium (Debian's /usr/bin/chromium), with Web Workers.
// Run: npx vitest run --project wasm-browser (once listed in the root vitest.config.ts), or
//      npx vitest run --config packages/wasm/vitest.browser.config.ts
import { defineProject } from 'vitest/config'
import { playwright } from '@vitest/browser-playwright'

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
          executablePath: '/usr/bin/chromium',
          args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      }),
      instances: [{ browser: 'chromium' }],
    },
  },
})
