import type { Job } from '@shoal/models'

/** The requester settings the schedulers apply. */
export interface SchedulerSettings {
  /** Executions a partition may try (the first run plus retries) before the job fails. */
  maxAttempts: number
  /** A node that failed a job this many times is not offered it again. */
  maxFailuresPerNode: number
  /** Delay between re-evaluations of a queued job (node joins re-evaluate at once). */
  queueBackoffMs: number
  /** QueueTimeout (s) of jobs that set none; 0 = none: a job no node can take now fails at once. */
  defaultQueueTimeoutS: number
  /** ExecutionTimeout (s) of jobs that set none; 0 = none. */
  defaultExecutionTimeoutS: number
  /** TotalTimeout (s) of jobs that set none; 0 = none. */
  defaultTotalTimeoutS: number
  /** Nodes with all of these labels take only verified jobs (the operator's policy for untrusted nodes). */
  verificationRequiredLabels?: Readonly<Record<string, string>>
}

/**
 * ExecutionTimeout (s) of batch and ops jobs that set none: 10 minutes, the default execution
 * timeout Bacalhau's compute nodes applied (DefaultJobExecutionTimeout). Without one, an endless
 * job holds its node's worker for good.
 */
export const DEFAULT_EXECUTION_TIMEOUT_S = 600

/** A job's effective timeouts in seconds (0 = none), defaults applied. */
export interface EffectiveTimeouts {
  executionS: number
  queueS: number
  totalS: number
}

/**
 * The timeouts that apply to `job`. Long-running jobs (service, daemon) have no execution or
 * total timeout, as in Bacalhau.
 */
export function effectiveTimeouts(job: Job, settings: SchedulerSettings): EffectiveTimeouts {
  const t = job.Tasks[0]?.Timeouts ?? {}
  const longRunning = job.Type === 'service' || job.Type === 'daemon'
  return {
    executionS: longRunning ? 0 : t.ExecutionTimeout || settings.defaultExecutionTimeoutS,
    queueS: t.QueueTimeout || settings.defaultQueueTimeoutS,
    totalS: longRunning ? 0 : t.TotalTimeout || settings.defaultTotalTimeoutS,
  }
}
