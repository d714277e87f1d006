/**
 * Bundles the edge job host (edge/src/job-host-worker.ts, with the WASM engine's worker-job code)
 * into one ES module at edge/build/job-host.txt, which edge/src/worker.ts imports as text (a
 * Text module in wrangler's default rules) and hands to the Worker Loader as the loaded worker's
 * main module. `wrangler dev`/`deploy` run it first (wrangler.jsonc `build`); so do the tests.
 * Run: `node edge/scripts/build-job-host.ts`.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ENTRY = fileURLToPath(new URL('../src/job-host-worker.ts', import.meta.url))
const NO_COMPONENTS = fileURLToPath(new URL('../src/no-components.ts', import.meta.url))
/**
 * jco and preview2-shim replaced by a stub in every edge bundle (also wrangler.jsonc `alias`):
 * components do not run on workerd, and jco's Node build imports node:fs.
 */
export const NO_COMPONENT_ALIASES: Record<string, string> = {
  '@bytecodealliance/jco/component': NO_COMPONENTS,
  '@bytecodealliance/preview2-shim/instantiation': NO_COMPONENTS,
  '@bytecodealliance/preview2-shim': NO_COMPONENTS,
}
/** Where the bundle is written. */
export const JOB_HOST_BUNDLE = fileURLToPath(new URL('../build/job-host.txt', import.meta.url))

/** Bundles the job host and returns its source (also written to JOB_HOST_BUNDLE). */
export async function buildJobHost(): Promise<string> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2024',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser', 'import'],
    // The job's module is the loaded worker's other module; the runtime provides cloudflare:*.
    external: ['cloudflare:*', './job.wasm'],
    alias: NO_COMPONENT_ALIASES,
    minify: true,
    logLevel: 'silent',
  })
  const source = result.outputFiles[0]!.text
  await mkdir(fileURLToPath(new URL('../build/', import.meta.url)), { recursive: true })
  await writeFile(JOB_HOST_BUNDLE, source)
  return source
}

if (import.meta.url === `file://${process.argv[1]}`) await buildJobHost()
