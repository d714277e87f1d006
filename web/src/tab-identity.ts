import { newNodeId } from '@shoal/models'
import { generateNodeKey, generateNodeKeyJwk, nodeKeyFromJwk, type NodeKey } from '@shoal/protocol'

const ID_KEY = 'shoal.nodeId'
const NODE_KEY_KEY = 'shoal.nodeKey'

/** This tab's identity as a compute node: its node ID and the key the requester binds it to. */
export interface TabIdentity {
  nodeId: string
  key: NodeKey
}

/**
 * This tab's node ID and identity key, kept together in sessionStorage: a reload keeps both (the
 * requester sees the same node come back and proving the same key), while two tabs of one
 * browser are two nodes. An ID is never reused without its key: the requester would refuse it.
 */
export async function tabIdentity(storage: Storage | undefined = globalThis.sessionStorage): Promise<TabIdentity> {
  try {
    const id = storage?.getItem(ID_KEY)
    const jwk = storage?.getItem(NODE_KEY_KEY)
    if (storage && id && jwk) return { nodeId: id, key: await nodeKeyFromJwk(JSON.parse(jwk) as JsonWebKey) }
    if (!storage) throw new Error('no session storage')
    const fresh = await generateNodeKeyJwk()
    const nodeId = newNodeId()
    storage.setItem(NODE_KEY_KEY, JSON.stringify(fresh))
    storage.setItem(ID_KEY, nodeId)
    return { nodeId, key: await nodeKeyFromJwk(fresh) }
  } catch {
    // Storage can be disabled (privacy settings) or hold a damaged key: a fresh identity per load is fine.
    return { nodeId: newNodeId(), key: await generateNodeKey() }
  }
}
