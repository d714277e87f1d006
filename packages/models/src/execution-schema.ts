/**
 * Zod schemas of executions, evaluations and job history as the API returns them. Execution
 * states are integers on the wire; names are accepted too and encoded as integers. Go's nil
 * pointers arrive as null and decode to the types' empty values.
 */
import { z } from 'zod'
import { JobSchema, SpecConfigSchema } from './job-schema.ts'
import { normalizeJob } from './job-normalize.ts'
import { ExecutionDesiredStateTypeSchema, ExecutionStateTypeSchema, JobStateTypeSchema } from './state-codec.ts'
import { JOB_HISTORY_TYPES } from './states.ts'
import type { EvaluationStatus, JobHistoryType, JobType } from './states.ts'

/** Treats null like an absent value (Go's nil pointers and slices). */
export const nullAsAbsent = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === null ? undefined : value), schema)

const text = z.string().default('')
const count = z.number().default(0)

/** Resources as numbers (CPU cores, Memory/Disk bytes, GPU count); Go omits zero fields. */
export const ResourcesSchema = z.object({ CPU: count, Memory: count, Disk: count, GPU: count })

/** Resources allocated to an execution, per task name. */
export const AllocatedResourcesSchema = z.object({ Tasks: nullAsAbsent(z.record(z.string(), ResourcesSchema).default({})) })

/** What a run produced; note Bacalhau's lower-case `stderr` key (an upper-case one is accepted). */
export const RunCommandResultSchema = z.preprocess(
  (value) => {
    if (typeof value !== 'object' || value === null || 'stderr' in value || !('Stderr' in value)) return value
    const { Stderr, ...rest } = value as Record<string, unknown>
    return { ...rest, stderr: Stderr }
  },
  z.object({
    Stdout: text,
    StdoutTruncated: z.boolean().default(false),
    stderr: text,
    StderrTruncated: z.boolean().default(false),
    ExitCode: z.number().int().default(0),
    ErrorMsg: text,
  }),
)

const stateOf = <T extends z.ZodType>(stateType: T, fallback: z.output<T>) =>
  z.object({
    StateType: nullAsAbsent(stateType.default(fallback as never)),
    Message: z.string().optional(),
    Details: z.record(z.string(), z.string()).optional(),
  })

/** An execution compute state {StateType (integer), Message, Details}. */
export const ExecutionComputeStateSchema = stateOf(ExecutionStateTypeSchema, 0)
/** An execution desired state {StateType (integer), Message, Details}. */
export const ExecutionDesiredStateSchema = stateOf(ExecutionDesiredStateTypeSchema, 0)

/** An execution as the API returns it. */
export const ExecutionSchema = z.object({
  ID: text,
  Namespace: text,
  EvalID: text,
  Name: text,
  NodeID: text,
  JobID: text,
  Job: nullAsAbsent(JobSchema.transform((job) => normalizeJob(job)).optional()),
  JobVersion: count,
  PartitionIndex: count,
  AllocatedResources: nullAsAbsent(AllocatedResourcesSchema.default({ Tasks: {} })),
  DesiredState: ExecutionDesiredStateSchema.default({ StateType: 0 }),
  ComputeState: ExecutionComputeStateSchema.default({ StateType: 0 }),
  PublishedResult: SpecConfigSchema.nullable().default(null),
  RunOutput: RunCommandResultSchema.nullable().default(null),
  PreviousExecution: z.string().optional(),
  NextExecution: z.string().optional(),
  FollowupEvalID: z.string().optional(),
  Verification: z
    .object({ Digest: z.string(), Outcome: z.enum(['proposed', 'accepted', 'rejected']), Publisher: z.boolean().optional() })
    .optional(),
  Revision: count,
  CreateTime: count,
  ModifyTime: count,
})

/** Go's zero time.Time, which Bacalhau sends for "not set". */
const GO_ZERO_TIME = /^0001-01-01T00:00:00/

/** An evaluation as the API returns it; WaitUntil (RFC 3339 upstream) becomes Unix nanoseconds. */
export const EvaluationSchema = z.object({
  ID: text,
  Namespace: text,
  JobID: text,
  TriggeredBy: text,
  Priority: count,
  Type: text.transform((type) => type as JobType),
  Status: text.transform((status) => status as EvaluationStatus),
  Comment: z.string().optional(),
  WaitUntil: nullAsAbsent(
    z
      .union([z.number(), z.string()])
      .transform((value) => (typeof value === 'number' ? value : GO_ZERO_TIME.test(value) ? undefined : Date.parse(value) * 1_000_000))
      .optional(),
  ),
  CreateTime: count,
  ModifyTime: count,
})

/** A job history item type, any case. */
const JobHistoryTypeSchema = z.string().transform((value, ctx): JobHistoryType => {
  const match = JOB_HISTORY_TYPES.find((type) => type.toLowerCase() === value.trim().toLowerCase())
  if (match) return match
  ctx.addIssue({ code: 'custom', message: `unknown history type ${JSON.stringify(value)}: use one of ${JOB_HISTORY_TYPES.join(', ')}` })
  return z.NEVER
})

/** A job history item as the API returns it. */
export const JobHistorySchema = z.object({
  SeqNum: z.number().optional(),
  Type: JobHistoryTypeSchema,
  JobID: text,
  JobVersion: z.number().optional(),
  ExecutionID: z.string().optional(),
  JobState: nullAsAbsent(z.object({ Previous: JobStateTypeSchema.default('Undefined'), New: JobStateTypeSchema.default('Undefined') }).optional()),
  ExecutionState: nullAsAbsent(z.object({ Previous: ExecutionStateTypeSchema.default(0), New: ExecutionStateTypeSchema.default(0) }).optional()),
  Event: z.object({
    Message: text,
    Topic: text,
    Timestamp: text,
    Details: z.record(z.string(), z.string()).optional(),
  }),
  Time: text,
})
