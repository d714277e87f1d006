/**
 * Runs a test worker's collected tests (see vitest-in-workerd.ts) as Vitest tests: each one
 * inside its own Durable Object of a miniflare (workerd) instance, offline.
 */
import { Miniflare } from 'miniflare'
import { afterAll, it } from 'vitest'
import { buildTestWorker } from './build-test-worker.ts'

/** Options of defineWorkerdTests. */
export interface WorkerdTestsOptions {
  /** The test worker's entry file (a path). */
  entry: string
  /** Its Durable Object binding and class. */
  binding: string
  className: string
}

/** Starts the worker, lists its tests and defines one Vitest test per collected test. */
export async function defineWorkerdTests(options: WorkerdTestsOptions): Promise<string[]> {
  const script = await buildTestWorker(options.entry)
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: '2026-07-30',
    durableObjects: { [options.binding]: { className: options.className, useSQLite: true } },
  })
  afterAll(() => mf.dispose())
  const names = (await (await mf.dispatchFetch('http://workerd-tests/tests')).json()) as string[]
  names.forEach((name, index) => {
    it(name, async () => {
      const url = `http://workerd-tests/run?test=${encodeURIComponent(name)}&object=test-${index}`
      const outcome = (await (await mf.dispatchFetch(url)).json()) as { ok: boolean; message?: string; stack?: string }
      if (!outcome.ok) throw Object.assign(new Error(outcome.message), { stack: outcome.stack })
    })
  })
  return names
}
