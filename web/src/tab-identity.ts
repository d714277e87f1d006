import { newNodeId } from '@shoal/models'
import { nodeKeyFromSigner, type NodeKey } from '@shoal/protocol'
import { generatePeerKey, peerKeyFromBytes, peerKeyToBytes, type PrivateKey } from '@shoal/transport-libp2p'

const ID_KEY = 'shoal.nodeId'
const NODE_KEY_KEY = 'shoal.nodeKey'

/** This tab's identity as a compute node: its node ID and the key the requester binds it to. */
export interface TabIdentity {
  nodeId: string
  key: NodeKey
}

/**
 * This tab's node ID and identity key, kept together in sessionStorage: a reload keeps both (the
 * requester sees the same node come back, proving the same key), while two tabs of one browser
 * are two nodes. An ID is never reused without its key: the requester would refuse it. The key
 * is an Ed25519 libp2p key, which signs with pure JavaScript where the page has no WebCrypto
 * (served over plain HTTP from a LAN address).
 */
export async function tabIdentity(storage: Storage | undefined = globalThis.sessionStorage): Promise<TabIdentity> {
  try {
    const id = storage?.getItem(ID_KEY)
    const stored = storage?.getItem(NODE_KEY_KEY)
    if (storage && id && stored) return { nodeId: id, key: asNodeKey(peerKeyFromBytes(fromBase64(stored))) }
    if (!storage) throw new Error('no session storage')
    const key = await generatePeerKey()
    const nodeId = newNodeId()
    storage.setItem(NODE_KEY_KEY, toBase64(peerKeyToBytes(key)))
    storage.setItem(ID_KEY, nodeId)
    return { nodeId, key: asNodeKey(key) }
  } catch {
    // Storage can be disabled (privacy settings) or hold a damaged key: a fresh identity per load is fine.
    return { nodeId: newNodeId(), key: asNodeKey(await generatePeerKey()) }
  }
}

function asNodeKey(key: PrivateKey): NodeKey {
  return nodeKeyFromSigner({ publicKey: key.publicKey.raw, sign: (data) => key.sign(data) })
}

function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text)
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}
