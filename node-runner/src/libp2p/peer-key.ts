import { ShoalError } from '@shoal/models'
import { generatePeerKey, peerKeyFromBytes, peerKeyToBytes, type PrivateKey } from '@shoal/transport-libp2p'
import { loadOrCreatePrivateFile } from '../config/private-file.ts'

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
  return loadOrCreatePrivateFile(dataDir, PEER_KEY_FILE, {
    what: 'peer key',
    create: async () => {
      const key = await generatePeerKey()
      return { value: key, bytes: peerKeyToBytes(key) }
    },
    decode: (bytes) => peerKeyFromBytes(bytes),
    corrupt: (path, cause) =>
      new PeerKeyError(`${path} is not a libp2p private key`, {
        cause,
        hint: 'restore it from a backup, or delete it to start with a new peer ID (compute nodes must then be given the new requester address)',
      }),
  })
}
