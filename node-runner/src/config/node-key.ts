import { ShoalError } from '@shoal/models'
import { generateNodeKeyJwk, nodeKeyFromJwk, type NodeKey } from '@shoal/protocol'
import { loadOrCreatePrivateFile } from './private-file.ts'

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
  return loadOrCreatePrivateFile(dataDir, NODE_KEY_FILE, {
    what: 'node key',
    create: async () => {
      const jwk = await generateNodeKeyJwk()
      return { value: await nodeKeyFromJwk(jwk), bytes: JSON.stringify(jwk) + '\n' }
    },
    decode: (bytes) => nodeKeyFromJwk(JSON.parse(new TextDecoder().decode(bytes)) as JsonWebKey),
    corrupt: (path, cause) =>
      new NodeKeyError(`${path} is not an Ed25519 private key (JWK)`, {
        cause,
        hint: 'restore it from a backup; or delete it together with node-id to join as a new node (the requester refuses the old ID with a new key)',
      }),
  })
}
