import { describe, expect, it } from 'vitest'
import type { Execution } from '@shoal/models'
import { decideQuorum } from '../../src/verification/quorum.ts'

const A = `sha256:${'a'.repeat(64)}`
const B = `sha256:${'b'.repeat(64)}`
const C = `sha256:${'c'.repeat(64)}`
const proposal = (nodeId: string, digest: string) => ({ ID: `e-${nodeId}`, NodeID: nodeId, Verification: { Digest: digest, Outcome: 'proposed' } }) as Execution

describe('decideQuorum', () => {
  it('waits until every replica proposed', () => {
    expect(decideQuorum(3, [proposal('n1', A), proposal('n2', A)])).toBeUndefined()
  })

  it('accepts the digest a strict majority agrees on and names the dissenters', () => {
    const verdict = decideQuorum(3, [proposal('n3', A), proposal('n2', B), proposal('n1', A)])
    expect(verdict).toMatchObject({ kind: 'accepted', digest: A })
    if (verdict?.kind !== 'accepted') throw new Error('not accepted')
    expect(verdict.agreeing.map((e) => e.NodeID)).toEqual(['n1', 'n3'])
    expect(verdict.disagreeing.map((e) => e.NodeID)).toEqual(['n2'])
  })

  it('accepts nothing without a strict majority: a 2–2 tie, or three different results', () => {
    expect(decideQuorum(4, [proposal('n1', A), proposal('n2', A), proposal('n3', B), proposal('n4', B)])?.kind).toBe('disagreement')
    const verdict = decideQuorum(3, [proposal('n1', A), proposal('n2', B), proposal('n3', C)])
    expect(verdict?.kind).toBe('disagreement')
    if (verdict?.kind !== 'disagreement') throw new Error('agreed')
    expect(verdict.groups.map((g) => g.digest)).toEqual([A, B, C])
  })

  it('two replicas must both agree', () => {
    expect(decideQuorum(2, [proposal('n1', A), proposal('n2', B)])?.kind).toBe('disagreement')
    expect(decideQuorum(2, [proposal('n1', A), proposal('n2', A)])?.kind).toBe('accepted')
  })
})
