import type { OfferedPlugins } from '../explain.ts'
import type { NodeCandidate, NodeRejection } from './node-selector.ts'

const union = (lists: readonly (readonly string[] | undefined)[]): string[] => [...new Set(lists.flatMap((list) => list ?? []))].sort()

/**
 * What the nodes left out for lacking an engine, input storage or publisher offer instead, so
 * the explanation can name it (`3 lack engine docker (they offer noop, wasm)`). Only kinds some
 * node was rejected for appear.
 */
export function offeredPlugins(rejections: readonly NodeRejection[], nodes: readonly NodeCandidate[]): OfferedPlugins {
  const byId = new Map(nodes.map((node) => [node.state.Info.NodeID, node.state.Info.ComputeNodeInfo]))
  const infosOf = (kind: 'engine' | 'storage' | 'publisher') => rejections.filter((r) => r.reason.kind === kind).map((r) => byId.get(r.nodeId))
  const offered: OfferedPlugins = {}
  const engines = infosOf('engine')
  if (engines.length > 0) offered.engine = union(engines.map((info) => info?.ExecutionEngines))
  const storages = infosOf('storage')
  if (storages.length > 0) offered.storage = union(storages.map((info) => info?.StorageSources))
  const publishers = infosOf('publisher')
  if (publishers.length > 0) offered.publisher = union(publishers.map((info) => info?.Publishers))
  return offered
}
