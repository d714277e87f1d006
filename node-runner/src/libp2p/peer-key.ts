import { chmod, link, readFile, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ShoalError } from '@shoal/models'
import { generatePeerKey, peerKeyFromBytes, peerKeyToBytes, type PrivateKey } from '@shoal/transport-libp2p'
import { DataDirError, ensureDataDir } from '../config/data-dir.ts'

/** File name of the libp2p identity key inside the data dir. */
export const PEER_KEY_FILE = 'libp2p-peer.key'

/** The stored identity key cannot be read as a libp2p private key. */
export class PeerKeyError extends ShoalError {
  override readonly code = 'PeerKeyError'
  override readonly status = 500
}

/**
 * The node's libp2p identity, stable across restarts: read from `<dataDir>/libp2p-peer.key`
 * (libp2p protobuf encoding, mode 0600), or generated (Ed25519) and stored there on first use.
 * DataDirError when the dir cannot be created or written; PeerKeyError when the file is corrupt.
 */
export async function loadOrCreatePeerKey(dataDir: string): Promise<PrivateKey> {
  const dir = await ensureDataDir(dataDir)
  const path = join(dir, PEER_KEY_FILE)
  const existing = await readKey(path)
  if (existing !== undefined) return existing
  const key = await generatePeerKey()
  // Write aside, then link into place: link fails if another process created the key first,
  // so two processes sharing a data dir never end up with different identities.
  const temp = `${path}.${crypto.randomUUID()}.tmp`
  try {
    await writeFile(temp, peerKeyToBytes(key), { mode: 0o600, flag: 'wx' })
    await link(temp, path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return (await readKey(path))!
    throw new DataDirError(`cannot store the peer key in ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
      cause: err,
      hint: 'choose a writable directory with --data-dir or SHOAL_DIR',
    })
  } finally {
    await unlink(temp).catch(() => {})
  }
  return key
}

async function readKey(path: string): Promise<PrivateKey | undefined> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new DataDirError(`cannot read the peer key ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
      cause: err,
      hint: 'make the file readable by the user running shoal',
    })
  }
  let key: PrivateKey
  try {
    key = peerKeyFromBytes(bytes)
  } catch (err) {
    throw new PeerKeyError(`${path} is not a libp2p private key`, {
      cause: err,
      hint: `restore it from a backup, or delete it to start with a new peer ID (compute nodes must then be given the new requester address)`,
    })
  }
  // A key readable by others is an identity others can take: keep it private.
  if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600).catch(() => {})
  return key
}
