import { access, constants, mkdir } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { ShoalError } from '@shoal/models'

/** The data dir is missing and cannot be created, or is not writable. */
export class DataDirError extends ShoalError {
  override readonly code = 'DataDirError'
  override readonly status = 500
}

/** The default data dir: $SHOAL_DIR, else ~/.shoal. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SHOAL_DIR ? resolve(env.SHOAL_DIR) : join(homedir(), '.shoal')
}

/** Creates `dir` if needed and checks it is writable; DataDirError says what to do otherwise. */
export async function ensureDataDir(dir: string): Promise<string> {
  const path = resolve(dir)
  try {
    await mkdir(path, { recursive: true })
    await access(path, constants.W_OK | constants.R_OK)
  } catch (err) {
    throw new DataDirError(`data dir ${path} is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
      cause: err,
      hint: 'choose a writable directory with --data-dir or SHOAL_DIR',
    })
  }
  return path
}
