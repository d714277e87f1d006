import { mkdtempSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const created = new Set<string>()

/** Creates a fresh directory under the OS temp dir; {@link removeTempDirs} deletes it later. */
export async function tempDir(prefix = 'shoal-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  created.add(dir)
  return dir
}

/** Like {@link tempDir}, synchronously (for set-up code that cannot await). */
export function tempDirSync(prefix = 'shoal-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  created.add(dir)
  return dir
}

/** Deletes every directory made by {@link tempDir} in this process (call from afterAll). */
export async function removeTempDirs(): Promise<void> {
  const dirs = [...created]
  created.clear()
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true, maxRetries: 3 })))
}
