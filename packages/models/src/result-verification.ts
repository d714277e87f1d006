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
