import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { newNodeId } from '@shoal/models'

/** The node ID kept in `<dataDir>/node-id`, created on first start so it survives restarts. */
export async function loadOrCreateNodeId(dataDir: string): Promise<string> {
  const file = join(dataDir, 'node-id')
  try {
    const id = (await readFile(file, 'utf8')).trim()
    if (id !== '') return id
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const id = newNodeId()
  await writeFile(file, id + '\n', { mode: 0o644 })
  return id
}
