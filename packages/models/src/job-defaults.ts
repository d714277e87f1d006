/**
 * Server-side defaults of a submitted job, as Bacalhau's orchestrator applies them
 * (pkg/orchestrator/transformer/job.go with the values of pkg/config/defaults.go `JobDefaults`).
 */
import { newJobId } from './ids.ts'
import type { UuidSource } from './ids.ts'
import { DEFAULT_NAMESPACE } from './plugin-types.ts'
import { normalizeQuantity } from './quantities.ts'
import type { JobType } from './states.ts'
import type { Job, ResourcesConfig, SpecConfig, Task } from './types.ts'

/** Defaults of one job type (Bacalhau's JobDefaults.Batch/Ops/Daemon/Service). */
export interface JobTypeDefaults {
  Priority: number
  /** Filled into each empty field of the task's Resources. */
  Resources: Readonly<ResourcesConfig>
  /** Used when the task names no publisher; `undefined` keeps it empty (upstream's default). */
  Publisher?: Readonly<SpecConfig>
  /** Seconds, filled when the task's value is absent or <= 0; 0 = no timeout. Batch/ops only upstream. */
  Timeouts: Readonly<{ ExecutionTimeout: number; TotalTimeout: number }>
}

/** All defaults Shoal applies to jobs, in one place. */
export interface JobDefaults {
  Namespace: string
  /** Count of batch/service jobs whose spec has none (an explicit 0 is kept). */
  Count: number
  /** Network Type when the task names none: the executor decides. */
  NetworkType: string
  /**
   * Function a wasm task calls when its Entrypoint is empty. Upstream only the CLI
   * (cmd/cli/wasm/wasm_run.go) sets `_start`; Shoal also applies it to job files.
   */
  WasmEntrypoint: string
  Types: Readonly<Record<JobType, JobTypeDefaults>>
}

// Values of upstream pkg/config/defaults.go (`Default.JobDefaults`): every job type gets
// Priority 0, CPU "500m", Memory "512Mb" (512 * 10^6 bytes, go-humanize), no Disk/GPU default,
// no publisher and no timeouts (0 = none).
const upstreamTypeDefaults: JobTypeDefaults = Object.freeze({
  Priority: 0,
  Resources: Object.freeze({ CPU: '500m', Memory: '512Mb' }),
  Timeouts: Object.freeze({ ExecutionTimeout: 0, TotalTimeout: 0 }),
})

/** Shoal's job defaults (Bacalhau's, see pkg/config/defaults.go upstream). */
export const JOB_DEFAULTS: Readonly<JobDefaults> = Object.freeze({
  Namespace: DEFAULT_NAMESPACE,
  Count: 1,
  NetworkType: 'Default',
  WasmEntrypoint: '_start',
  Types: Object.freeze({
    batch: upstreamTypeDefaults,
    ops: upstreamTypeDefaults,
    daemon: upstreamTypeDefaults,
    service: upstreamTypeDefaults,
  }),
})

/** Options of applyJobDefaults. */
export interface ApplyJobDefaultsOptions {
  /** Clock in Unix milliseconds (CreateTime/ModifyTime when unset); defaults to Date.now. */
  now?: () => number
  /** UUID source for a new job ID; defaults to crypto.randomUUID. */
  uuid?: UuidSource
  /** Defaults to apply; JOB_DEFAULTS unless the node is configured otherwise. */
  defaults?: Readonly<JobDefaults>
}

const isBatchLike = (type: string): boolean => type === 'batch' || type === 'ops'

function applyTaskDefaults(task: Task, type: JobType, defaults: Readonly<JobDefaults>): void {
  const typeDefaults = defaults.Types[type]
  if (typeDefaults) {
    for (const key of ['CPU', 'Memory', 'Disk', 'GPU'] as const) {
      const value = typeDefaults.Resources[key]
      if ((task.Resources[key] ?? '') === '' && value !== undefined && value !== '') task.Resources[key] = normalizeQuantity(value)
    }
    if (task.Publisher.Type === '' && Object.keys(task.Publisher.Params).length === 0 && typeDefaults.Publisher) {
      task.Publisher = { Type: typeDefaults.Publisher.Type, Params: { ...typeDefaults.Publisher.Params } }
    }
    if (isBatchLike(type)) {
      const { ExecutionTimeout, TotalTimeout } = typeDefaults.Timeouts
      if ((task.Timeouts.ExecutionTimeout ?? 0) <= 0 && ExecutionTimeout > 0) task.Timeouts.ExecutionTimeout = ExecutionTimeout
      if ((task.Timeouts.TotalTimeout ?? 0) <= 0 && TotalTimeout > 0) task.Timeouts.TotalTimeout = TotalTimeout
    }
  }
  if (task.Network.Type === '') task.Network.Type = defaults.NetworkType
  if (task.Engine.Type === 'wasm') {
    const entrypoint = task.Engine.Params.Entrypoint
    if (entrypoint === undefined || entrypoint === null || entrypoint === '') task.Engine.Params.Entrypoint = defaults.WasmEntrypoint
  }
}

/**
 * A copy of a normalized, valid job with server defaults applied: ID `j-<uuid>` when empty,
 * Name = ID when empty, Namespace, Count forced to 0 for ops/daemon jobs (they run on every
 * matching node), Priority/Resources/Publisher/Timeouts from the job type's defaults, wasm
 * Entrypoint `_start`, and Create/ModifyTime when unset.
 */
export function applyJobDefaults(job: Job, options: ApplyJobDefaultsOptions = {}): Job {
  const defaults = options.defaults ?? JOB_DEFAULTS
  const out = structuredClone(job)
  if (out.ID === '') out.ID = newJobId(options.uuid)
  if (out.Name === '') out.Name = out.ID
  if (out.Namespace === '') out.Namespace = defaults.Namespace
  if (out.Type === 'ops' || out.Type === 'daemon') out.Count = 0
  const typeDefaults = defaults.Types[out.Type] as JobTypeDefaults | undefined
  if (typeDefaults && out.Priority === 0) out.Priority = typeDefaults.Priority
  for (const task of out.Tasks) applyTaskDefaults(task, out.Type, defaults)
  const nowNanos = (options.now ?? Date.now)() * 1_000_000
  if (out.CreateTime === 0) out.CreateTime = nowNanos
  if (out.ModifyTime === 0) out.ModifyTime = out.CreateTime
  return out
}
