/**
 * normalizeJob: the canonical in-memory form of a job, as Bacalhau's Job.Normalize and its
 * JSON decoding make it — every collection present (never null), strings trimmed, resource
 * quantities lower-cased without spaces, plug-in types spelled canonically, Count defaulted.
 * It never rejects anything: validateJob says what is wrong.
 */
import { JOB_DEFAULTS } from './job-defaults.ts'
import type { JobInput, TaskInput } from './job-schema.ts'
import { canonicalType, INPUT_SOURCE_TYPE_ALIASES, KNOWN_ENGINE_TYPES, KNOWN_INPUT_SOURCE_TYPES, KNOWN_PUBLISHER_TYPES, NETWORK_TYPES } from './plugin-types.ts'
import { normalizeQuantity } from './quantities.ts'
import { JOB_TYPES } from './states.ts'
import type { JobType } from './states.ts'
import type { InputSource, Job, NetworkConfig, ResourcesConfig, SpecConfig, Task } from './types.ts'

/** Job types whose absent Count means 1 (Bacalhau's Job.UnmarshalJSON). */
const COUNTED_TYPES: readonly string[] = ['batch', 'service']

function normalizeSpec(spec: Partial<SpecConfig> | undefined, known: readonly string[]): SpecConfig {
  const type = (spec?.Type ?? '').trim()
  return { Type: canonicalType(type, known) ?? type, Params: { ...(spec?.Params ?? {}) } }
}

function normalizeInputSource(input: Partial<InputSource>): InputSource {
  const source = normalizeSpec(input.Source, KNOWN_INPUT_SOURCE_TYPES)
  const alias = canonicalType(source.Type, Object.keys(INPUT_SOURCE_TYPE_ALIASES))
  if (alias !== undefined) source.Type = INPUT_SOURCE_TYPE_ALIASES[alias]
  return { Source: source, Alias: (input.Alias ?? '').trim(), Target: (input.Target ?? '').trim() }
}

function normalizeResources(resources: ResourcesConfig | undefined): ResourcesConfig {
  const out: ResourcesConfig = {}
  for (const key of ['CPU', 'Memory', 'Disk', 'GPU'] as const) {
    const value = resources?.[key]
    if (value !== undefined) out[key] = normalizeQuantity(value)
  }
  return out
}

function normalizeNetwork(network: Partial<NetworkConfig> | undefined): NetworkConfig {
  const type = (network?.Type ?? '').trim()
  const out: NetworkConfig = {
    Type: type === '' ? JOB_DEFAULTS.NetworkType : (canonicalType(type, NETWORK_TYPES) ?? type),
    Domains: (network?.Domains ?? []).map((domain) => domain.trim().toLowerCase()),
  }
  if (network?.Ports !== undefined) out.Ports = network.Ports.map((port) => ({ ...port }))
  return out
}

function normalizeTask(task: TaskInput | Task): Task {
  return {
    Name: task.Name ?? '',
    Engine: normalizeSpec(task.Engine, KNOWN_ENGINE_TYPES),
    Publisher: normalizeSpec(task.Publisher, KNOWN_PUBLISHER_TYPES),
    Env: { ...(task.Env ?? {}) },
    Meta: { ...(task.Meta ?? {}) },
    InputSources: (task.InputSources ?? []).map(normalizeInputSource),
    ResultPaths: (task.ResultPaths ?? []).map((result) => ({ Name: (result.Name ?? '').trim(), Path: (result.Path ?? '').trim() })),
    Resources: normalizeResources(task.Resources),
    Network: normalizeNetwork(task.Network),
    Timeouts: { ...(task.Timeouts ?? {}) },
  }
}

/**
 * The canonical form of a decoded job (a JobInput from JobSchema, or a Job). Returns a new
 * object. An absent Count becomes 1 for batch/service jobs and 0 otherwise; an explicit Count
 * is kept (applyJobDefaults later forces ops/daemon to 0, after validation has seen it).
 */
export function normalizeJob(input: JobInput | Job): Job {
  const rawType = (input.Type ?? '').trim()
  const type = (canonicalType(rawType, JOB_TYPES) ?? rawType) as JobType
  const state = input.State ?? { StateType: 'Undefined' as const }
  return {
    ID: (input.ID ?? '').trim(),
    Name: input.Name === '' || input.Name === undefined ? (input.ID ?? '') : input.Name,
    Namespace: (input.Namespace ?? '').trim() === '' ? JOB_DEFAULTS.Namespace : (input.Namespace as string).trim(),
    Type: type,
    Priority: input.Priority ?? 0,
    Count: input.Count ?? (COUNTED_TYPES.includes(type) ? JOB_DEFAULTS.Count : 0),
    Constraints: (input.Constraints ?? []).map((constraint) => ({
      Key: constraint.Key.trim(),
      Operator: constraint.Operator.trim(),
      ...(constraint.Values === undefined ? {} : { Values: [...constraint.Values] }),
    })),
    Meta: { ...(input.Meta ?? {}) },
    Labels: { ...(input.Labels ?? {}) },
    Tasks: (input.Tasks ?? []).map(normalizeTask),
    State: { ...state, ...(state.Details ? { Details: { ...state.Details } } : {}) },
    Version: input.Version ?? 0,
    Revision: input.Revision ?? 0,
    CreateTime: input.CreateTime ?? 0,
    ModifyTime: input.ModifyTime ?? 0,
  }
}
