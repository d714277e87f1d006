// The tab's own parts that only a browser has (OPFS, sync access handles in a Web Worker), in a
// real headless Chromium (Debian's /usr/bin/chromium). No WebRTC here, so no network namespace.
// Run: npx vitest run --project web-browser
import { defineProject } from 'vitest/config'
import { playwright } from '@vitest/browser-playwright'
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../node-runner/src/browsers/headless-tabs.ts'

export default defineProject({
  // Pre-bundle the WASM worker's lazily imported dependencies up front, so Vite does not reload
  // the page mid-run when a worker first imports them (preview2-shim is @shoal/wasm's own).
  optimizeDeps: {
    include: [
      '@bjorn3/browser_wasi_shim',
      '@bytecodealliance/jco/component',
      '@shoal/wasm > @bytecodealliance/preview2-shim',
      '@shoal/wasm > @bytecodealliance/preview2-shim/instantiation',
    ],
  },
  test: {
    name: 'web-browser',
    root: import.meta.dirname,
    include: ['test/**/*.browser.spec.ts'],
    globalSetup: ['test/loopback-data-server.ts'],
    testTimeout: 60_000,
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
