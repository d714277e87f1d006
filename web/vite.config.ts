// Builds the contribute page (index.html + src/) and the dashboard (dashboard.html +
// src/dashboard/) into web/dist; `shoal serve --orchestrator` and `shoal devstack` serve the
// contribute page at /contribute and the dashboard at its routes (page-routes.ts).
import { defineConfig, type Plugin } from 'vite'

const NODE_FS_IN_BROWSER = '\0shoal:jco-node-fs'

/**
 * jco's vendored transpiler (jco-transpile/vendor/js-component-bindgen-component.js) loads its core
 * modules with `await import('node:fs/promises')` when it runs on Node, and with fetch otherwise.
 * In the page that Node branch never runs, but the import made Vite externalize a Node built-in
 * (and warn on every build). Resolve it, for that file only, to a module saying it cannot run
 * here; any other import of a Node built-in in browser code still gets Vite's warning.
 */
function jcoNodeFsInBrowser(): Plugin {
  return {
    name: 'shoal:jco-node-fs-in-browser',
    enforce: 'pre',
    resolveId(source, importer) {
      if (source === 'node:fs/promises' && importer?.includes('/@bytecodealliance/jco-transpile/')) return NODE_FS_IN_BROWSER
      return undefined
    },
    load(id) {
      if (id !== NODE_FS_IN_BROWSER) return undefined
      return "export function readFile() { throw new Error('node:fs/promises is not available in the browser') }\nexport default { readFile }\n"
    },
  }
}

export default defineConfig({
  root: import.meta.dirname,
  plugins: [jcoNodeFsInBrowser()],
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2023',
    // libp2p and the WASI host are large; the page is served from the requester, not a CDN.
    chunkSizeWarningLimit: 2048,
    rollupOptions: {
      input: { contribute: `${import.meta.dirname}/index.html`, dashboard: `${import.meta.dirname}/dashboard.html` },
      // Rolldown reports plugin callbacks over ~1 s as a warning. The one here is Vite's own
      // asset-import-meta-url transform (one call, 1-5 s measured, depending on load), which
      // handles the wasm engine's `new URL('./engine-worker.ts', import.meta.url)`: build time
      // nobody starting Shoal can act on, printed on many `npm start`s (the worker build below too).
      checks: { bundlerTimings: false },
      onwarn(warning, warn) {
        // jco's vendored transpiler starts with a "use components" directive that bundling drops,
        // harmlessly; say nothing about it on every `npm start`.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE' && warning.message.includes('jco-transpile')) return
        warn(warning)
      },
    },
  },
  // Workers are bundled separately, with their own plugins.
  worker: { format: 'es', plugins: () => [jcoNodeFsInBrowser()], rollupOptions: { checks: { bundlerTimings: false } } },
})
