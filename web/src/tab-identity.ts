import { newNodeId } from '@shoal/models'

const KEY = 'shoal.nodeId'

/**
 * This tab's node ID: kept in sessionStorage, so a reload keeps it (the requester sees the same
 * node come back) while two tabs of one browser are two nodes.
 */
export function tabNodeId(storage: Storage | undefined = globalThis.sessionStorage): string {
  try {
    const existing = storage?.getItem(KEY)
    if (existing) return existing
    const id = newNodeId()
    storage?.setItem(KEY, id)
    return id
  } catch {
    // Storage can be disabled (privacy settings): a fresh ID per load is fine.
    return newNodeId()
  }
}
