/**
 * Decoding what the API returns (from Shoal or a Bacalhau server) into the model types, for the
 * CLI and the client. Each function throws ValidationError naming the bad field.
 */
import type { z } from 'zod'
import { ValidationError } from './errors.ts'
import { EvaluationSchema, ExecutionSchema, JobHistorySchema } from './execution-schema.ts'
import { issuesFromZod } from './issue-path.ts'
import { JobSchema } from './job-schema.ts'
import { normalizeJob } from './job-normalize.ts'
import { NodeInfoSchema, NodeStateSchema } from './node-schema.ts'
import { canonicalizeKeys } from './schema-keys.ts'
import type { Evaluation, Execution, Job, JobHistory, NodeInfo, NodeState } from './types.ts'

function decode<T>(schema: z.ZodType, value: unknown, what: string): T {
  const result = schema.safeParse(value, { reportInput: true })
  if (!result.success) throw new ValidationError(issuesFromZod(result.error), { hint: `the server sent a malformed ${what}` })
  return result.data as T
}

/** A Job from the API (keys matched case-insensitively, unknown fields ignored), normalized. */
export function jobFromWire(value: unknown): Job {
  const canonical = canonicalizeKeys(value, JobSchema, '', [])
  return normalizeJob(decode<z.output<typeof JobSchema>>(JobSchema, canonical, 'job'))
}

/** An Execution from the API; ComputeState/DesiredState as integers (names accepted). */
export function executionFromWire(value: unknown): Execution {
  return decode<Execution>(ExecutionSchema, value, 'execution')
}

/** An Evaluation from the API. */
export function evaluationFromWire(value: unknown): Evaluation {
  return decode<Evaluation>(EvaluationSchema, value, 'evaluation')
}

/** A job history item from the API. */
export function jobHistoryFromWire(value: unknown): JobHistory {
  return decode<JobHistory>(JobHistorySchema, value, 'job history item')
}

/** A NodeInfo from the API. */
export function nodeInfoFromWire(value: unknown): NodeInfo {
  return decode<NodeInfo>(NodeInfoSchema, value, 'node info')
}

/** A NodeState from the API. */
export function nodeStateFromWire(value: unknown): NodeState {
  return decode<NodeState>(NodeStateSchema, value, 'node')
}
