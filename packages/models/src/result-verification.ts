/**
 * Verified results: a job that sets Meta `shoal.verify/replicas` runs, in deterministic mode, on
 * that many distinct nodes; the requester publishes only the result a quorum of them agrees on.
 */
import type { Job } from './types.ts'
import type { ValidationIssue } from './errors.ts'

/** The Meta key that asks for verification; its value is the number of replicas, "2".."7". */
export const VERIFY_REPLICAS_META = 'shoal.verify/replicas'
/** Fewest replicas a verified job may ask for (one replica would verify nothing). */
export const MIN_VERIFY_REPLICAS = 2
/** Most replicas a verified job may ask for (each is a full run of the job). */
export const MAX_VERIFY_REPLICAS = 7

/** What the requester knows of an execution's result digest and the verdict on it (Shoal only; upstream has no such field). */
export interface ExecutionVerification {
  /** `sha256:<hex>` over the canonical manifest of stdout, stderr, exit code and every result file. */
  Digest: string
  /** proposed: waiting for the other replicas; accepted: in the quorum; rejected: outvoted, or no quorum. */
  Outcome: 'proposed' | 'accepted' | 'rejected'
  /** The accepted execution asked to publish the result (exactly one per partition). */
  Publisher?: boolean
}

/** Problems with the verification Meta of a job (empty when it is absent or valid). */
export function verificationIssues(job: Pick<Job, 'Meta' | 'Type'>): ValidationIssue[] {
  const raw = job.Meta?.[VERIFY_REPLICAS_META]
  if (raw === undefined) return []
  const path = `Meta["${VERIFY_REPLICAS_META}"]`
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN
  if (!Number.isInteger(n) || n < MIN_VERIFY_REPLICAS || n > MAX_VERIFY_REPLICAS) {
    return [{ path, message: `must be a whole number of replicas from ${MIN_VERIFY_REPLICAS} to ${MAX_VERIFY_REPLICAS} (got ${JSON.stringify(raw)}); e.g. "3" runs the job on 3 nodes and keeps the result 2 of them agree on` }]
  }
  if ((job.Type ?? 'batch') !== 'batch') {
    return [{ path, message: `verification applies to batch jobs only (this job is ${job.Type}); remove the key or submit a batch job` }]
  }
  return []
}

/** Replicas a (validated) job asks for: 0 when it asks for no verification. */
export function verificationReplicas(job: Pick<Job, 'Meta'> | undefined): number {
  const raw = job?.Meta?.[VERIFY_REPLICAS_META]
  if (raw === undefined) return 0
  const n = Number(raw)
  return Number.isInteger(n) && n >= MIN_VERIFY_REPLICAS && n <= MAX_VERIFY_REPLICAS ? n : 0
}

/** Agreeing replicas needed to accept a result: a strict majority of the replicas. */
export function verificationQuorum(replicas: number): number {
  return Math.floor(replicas / 2) + 1
}

/** A node's record in verified jobs: agreement raises its score, disagreement lowers it more. */
export interface NodeReputation {
  /** Agreed minus DISAGREEMENT_PENALTY times disagreed, within ±REPUTATION_BOUND. */
  Score: number
  /** Verdicts its result was in the accepted quorum. */
  Agreed: number
  /** Verdicts its result was rejected (outvoted, or no quorum). */
  Disagreed: number
}

/** Score lost per disagreement (one lie costs three agreements). */
export const DISAGREEMENT_PENALTY = 3
/** Largest magnitude of a score, so a long honest past cannot pay for many lies. */
export const REPUTATION_BOUND = 20
/** A node whose score is at or below this gets no work (its operator can only start over under a new node ID). */
export const REPUTATION_FLOOR = -6

/** A reputation after one more verdict. */
export function nextReputation(previous: NodeReputation | undefined, agreed: boolean): NodeReputation {
  const r = previous ?? { Score: 0, Agreed: 0, Disagreed: 0 }
  const score = Math.max(-REPUTATION_BOUND, Math.min(REPUTATION_BOUND, r.Score + (agreed ? 1 : -DISAGREEMENT_PENALTY)))
  return { Score: score, Agreed: r.Agreed + (agreed ? 1 : 0), Disagreed: r.Disagreed + (agreed ? 0 : 1) }
}
