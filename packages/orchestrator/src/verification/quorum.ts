import type { Execution } from '@shoal/models'
import { verificationQuorum } from '@shoal/models'

/** The verdict on one partition's round of replicas. */
export type QuorumVerdict =
  | {
      kind: 'accepted'
      digest: string
      /** Replicas whose digest is the accepted one; the first publishes. */
      agreeing: Execution[]
      /** Replicas with another digest: their results are rejected. */
      disagreeing: Execution[]
    }
  | { kind: 'disagreement'; groups: Array<{ digest: string; executions: Execution[] }> }

/**
 * Compares the digests of a partition's proposed replicas once all `replicas` have proposed:
 * a digest a strict majority agrees on is accepted; otherwise no result is. Undefined while
 * replicas are still missing. `rank` orders agreeing replicas (best first) to pick the publisher.
 */
export function decideQuorum(replicas: number, proposals: readonly Execution[], rank: (a: Execution, b: Execution) => number = byNodeId): QuorumVerdict | undefined {
  if (proposals.length < replicas) return undefined
  const groups = new Map<string, Execution[]>()
  for (const e of proposals) {
    const digest = e.Verification?.Digest
    if (digest === undefined) continue
    groups.set(digest, [...(groups.get(digest) ?? []), e])
  }
  const sorted = [...groups.entries()]
    .map(([digest, executions]) => ({ digest, executions: [...executions].sort(rank) }))
    .sort((a, b) => b.executions.length - a.executions.length || (a.digest < b.digest ? -1 : 1))
  const best = sorted[0]
  if (best && best.executions.length >= verificationQuorum(replicas)) {
    return { kind: 'accepted', digest: best.digest, agreeing: best.executions, disagreeing: sorted.slice(1).flatMap((g) => g.executions) }
  }
  return { kind: 'disagreement', groups: sorted }
}

function byNodeId(a: Execution, b: Execution): number {
  return a.NodeID < b.NodeID ? -1 : a.NodeID > b.NodeID ? 1 : 0
}
