// Builds the contribute page (index.html + src/) into web/dist, which `shoal serve
// --orchestrator` and `shoal devstack` serve at `/`.
import { defineConfig } from 'vite'

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2023',
    // libp2p and the WASI host are large; the page is served from the requester, not a CDN.
    chunkSizeWarningLimit: 2048,
    rollupOptions: {
      onwarn(warning, warn) {
        // jco's vendored transpiler starts with a "use components" directive that bundling drops,
        // harmlessly; say nothing about it on every `npm start`.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE' && warning.message.includes('jco-transpile')) return
        warn(warning)
      },
    },
  },
  worker: { format: 'es' },
})
