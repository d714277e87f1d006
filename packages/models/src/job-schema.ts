/**
 * Zod schemas of the job model as it arrives from outside (a job file, a PUT body, an API
 * answer). They check structure and types only; keys must already be in their PascalCase wire
 * form (see canonicalizeKeys). Fields Bacalhau may omit are optional here; normalizeJob fills
 * them. The rules of a valid job (known types, paths, counts...) live in validateJob.
 */
import { z } from 'zod'
import { JobStateTypeSchema } from './state-codec.ts'
import type { SpecKind } from './spec-params.ts'

/** Marks which SpecConfig schemas configure which kind of plug-in (read by canonicalizeKeys). */
export const specKindRegistry = z.registry<{ specKind: SpecKind }>()

/** A string, or a number/boolean that YAML produced where a string was meant (`CPU: 2`). */
const Scalar = z.union([z.string(), z.number(), z.boolean()]).transform((value) => String(value))
const StringMap = z.record(z.string(), Scalar)

const specConfig = (kind: SpecKind) => {
  const schema = z.object({
    Type: z.string().default(''),
    Params: z.record(z.string(), z.unknown()).default({}),
  })
  specKindRegistry.add(schema, { specKind: kind })
  return schema
}

/** An engine reference {Type, Params}. */
export const EngineSpecSchema = specConfig('engine')
/** A publisher reference {Type, Params}. */
export const PublisherSpecSchema = specConfig('publisher')
/** An input source's storage reference {Type, Params}. */
export const StorageSourceSpecSchema = specConfig('inputSource')

/** A SpecConfig whose kind is not known from context (e.g. an execution's PublishedResult). */
export const SpecConfigSchema = z.object({
  Type: z.string().default(''),
  Params: z.record(z.string(), z.unknown()).default({}),
})

/** One input of a task. */
export const InputSourceSchema = z.object({
  Source: StorageSourceSpecSchema.default({ Type: '', Params: {} }),
  Alias: z.string().default(''),
  Target: z.string().default(''),
})

/** A result directory of a task. */
export const ResultPathSchema = z.object({ Name: z.string().default(''), Path: z.string().default('') })

/** Requested resources as quantities. */
export const ResourcesConfigSchema = z.object({
  CPU: Scalar.optional(),
  Memory: Scalar.optional(),
  Disk: Scalar.optional(),
  GPU: Scalar.optional(),
})

/** A port a task asks for (Host/Bridge networks). */
export const PortSchema = z.object({
  Name: z.string().default(''),
  Static: z.number().int().optional(),
  Target: z.number().int().optional(),
  HostNetwork: z.string().optional(),
})

/** Network access of a task. */
export const NetworkConfigSchema = z.object({
  Type: z.string().optional(),
  Domains: z.array(z.string()).optional(),
  Ports: z.array(PortSchema).optional(),
})

/** Timeouts in seconds. */
export const TimeoutConfigSchema = z.object({
  ExecutionTimeout: z.number().int().optional(),
  QueueTimeout: z.number().int().optional(),
  TotalTimeout: z.number().int().optional(),
})

/** A constraint on node labels. */
export const LabelSelectorRequirementSchema = z.object({
  Key: z.string().default(''),
  Operator: z.string().default(''),
  Values: z.array(Scalar).optional(),
})

/** A task as submitted; normalizeJob fills the optional parts. */
export const TaskSchema = z.object({
  Name: z.string().default(''),
  Engine: EngineSpecSchema.optional(),
  Publisher: PublisherSpecSchema.optional(),
  Env: StringMap.optional(),
  Meta: StringMap.optional(),
  InputSources: z.array(InputSourceSchema).optional(),
  ResultPaths: z.array(ResultPathSchema).optional(),
  Resources: ResourcesConfigSchema.optional(),
  Network: NetworkConfigSchema.optional(),
  Timeouts: TimeoutConfigSchema.optional(),
})

/** A job state {StateType, Message, Details}. */
export const JobStateSchema = z.object({
  StateType: JobStateTypeSchema.default('Undefined'),
  Message: z.string().optional(),
  Details: z.record(z.string(), z.string()).optional(),
})

/** A job as submitted or as returned by the API; normalizeJob turns it into a Job. */
export const JobSchema = z.object({
  ID: z.string().default(''),
  Name: z.string().default(''),
  Namespace: z.string().default(''),
  Type: z.string().default(''),
  Priority: z.number().int().optional(),
  /** Optional on purpose: an absent Count means 1 for batch/service jobs, an explicit 0 stays 0. */
  Count: z.number().int().optional(),
  Constraints: z.array(LabelSelectorRequirementSchema).optional(),
  Meta: StringMap.optional(),
  Labels: StringMap.optional(),
  Tasks: z.array(TaskSchema).optional(),
  State: JobStateSchema.optional(),
  Version: z.number().int().nonnegative().optional(),
  Revision: z.number().int().nonnegative().optional(),
  CreateTime: z.number().optional(),
  ModifyTime: z.number().optional(),
})

/** A job as the schema decodes it, before normalizeJob. */
export type JobInput = z.output<typeof JobSchema>
/** A task as the schema decodes it, before normalizeJob. */
export type TaskInput = z.output<typeof TaskSchema>
