import { chmod, link, readFile, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ShoalError } from '@shoal/models'
import { generateNodeKeyJwk, nodeKeyFromJwk, type NodeKey } from '@shoal/protocol'
import { DataDirError, ensureDataDir } from './data-dir.ts'

/** File name of the compute node's identity key inside the data dir, next to `node-id`. */
export const NODE_KEY_FILE = 'node-key.jwk'

/** The stored node key cannot be read as an Ed25519 private key. */
export class NodeKeyError extends ShoalError {
  override readonly code = 'NodeKeyError'
  override readonly status = 500
}

/**
 * The compute node's identity key, stable across restarts: read from `<dataDir>/node-key.jwk`
 * (a private Ed25519 JWK, mode 0600), or generated and stored there on first use. The requester
 * binds the node's ID to this key, so a node whose `node-id` was copied elsewhere is refused
 * there. DataDirError when the dir cannot be written; NodeKeyError when the file is corrupt.
 */
export async function loadOrCreateNodeKey(dataDir: string): Promise<NodeKey> {
  const dir = await ensureDataDir(dataDir)
  const path = join(dir, NODE_KEY_FILE)
  const existing = await readKey(path)
  if (existing !== undefined) return existing
  const jwk = await generateNodeKeyJwk()
  // Write aside, then link into place: link fails if another process created the key first, so
  // two processes sharing a data dir never end up with different keys.
  const temp = `${path}.${crypto.randomUUID()}.tmp`
  try {
    await writeFile(temp, JSON.stringify(jwk) + '\n', { mode: 0o600, flag: 'wx' })
    await link(temp, path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return (await readKey(path))!
    throw new DataDirError(`cannot store the node key in ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
      cause: err,
      hint: 'choose a writable directory with --data-dir or SHOAL_DIR',
    })
  } finally {
    await unlink(temp).catch(() => {})
  }
  return nodeKeyFromJwk(jwk)
}

async function readKey(path: string): Promise<NodeKey | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new DataDirError(`cannot read the node key ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
      cause: err,
      hint: 'make the file readable by the user running shoal',
    })
  }
  let key: NodeKey
  try {
    key = await nodeKeyFromJwk(JSON.parse(text) as JsonWebKey)
  } catch (err) {
    throw new NodeKeyError(`${path} is not an Ed25519 private key (JWK)`, {
      cause: err,
      hint: 'restore it from a backup; or delete it together with node-id to join as a new node (the requester refuses the old ID with a new key)',
    })
  }
  // A key readable by others is an identity others can take: keep it private.
  if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600).catch(() => {})
  return key
}
