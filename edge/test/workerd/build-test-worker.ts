/**
 * Bundles a test worker for workerd with esbuild (the bundler wrangler uses): TypeScript from
 * the workspace, 'cloudflare:*' left to the runtime, and 'vitest' replaced by
 * vitest-in-workerd.ts so a Vitest spec can run inside a Durable Object.
 */
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { buildJobHost, NO_COMPONENT_ALIASES } from '../../scripts/build-job-host.ts'

const VITEST_IN_WORKERD = fileURLToPath(new URL('./vitest-in-workerd.ts', import.meta.url))

/** Bundles `entry` (a path) into one ES module and returns its source. */
export async function buildTestWorker(entry: string): Promise<string> {
  // The requester object imports the edge job host bundle as text.
  await buildJobHost()
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2024',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser', 'import'],
    external: ['cloudflare:*'],
    alias: { vitest: VITEST_IN_WORKERD, ...NO_COMPONENT_ALIASES },
    loader: { '.txt': 'text' },
    logLevel: 'silent',
  })
  return result.outputFiles[0].text
}
