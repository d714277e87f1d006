import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'

/** A new Ed25519 libp2p identity key. */
export async function generatePeerKey(): Promise<PrivateKey> {
  return generateKeyPair('Ed25519')
}

/** The key as libp2p's protobuf encoding, for storage (a file, IndexedDB). */
export function peerKeyToBytes(key: PrivateKey): Uint8Array {
  return privateKeyToProtobuf(key)
}

/** A key stored with peerKeyToBytes; throws when the bytes are not a libp2p private key. */
export function peerKeyFromBytes(bytes: Uint8Array): PrivateKey {
  return privateKeyFromProtobuf(bytes)
}

/** The peer ID string (12D3KooW...) of a key. */
export function peerIdOf(key: PrivateKey): string {
  return peerIdFromPrivateKey(key).toString()
}
