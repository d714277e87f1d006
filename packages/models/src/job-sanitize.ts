/**
 * What a submitter may not set. Like Bacalhau's Job.SanitizeSubmission, server-owned fields
 * (State, Version, Revision, Create/ModifyTime, the ID of batch/ops jobs) are reset and reserved
 * Meta keys removed, each with a warning — so a job printed by `job describe` can be resubmitted.
 * A job runs one task: tasks after the first are dropped with a warning, as Bacalhau does.
 */
import { joinPath } from './issue-path.ts'
import { META_RESERVED_PREFIX } from './plugin-types.ts'
import type { Job } from './types.ts'

/** A copy of a normalized job without the fields a submitter may not set, and why. */
export function sanitizeJobSubmission(job: Job): { job: Job; warnings: string[] } {
  const out = structuredClone(job)
  const warnings: string[] = []
  if (out.State.StateType !== 'Undefined') {
    warnings.push('State: the job state is set by the orchestrator; the submitted one is ignored')
    out.State = { StateType: 'Undefined' }
  }
  const serverOwned = [
    ['Revision', 'job revision'],
    ['Version', 'job version'],
    ['CreateTime', 'job create time'],
    ['ModifyTime', 'job modify time'],
  ] as const
  for (const [field, what] of serverOwned) {
    if (out[field] !== 0) {
      warnings.push(`${field}: the ${what} is set by the orchestrator; the submitted one is ignored`)
      out[field] = 0
    }
  }
  if ((out.Type === 'batch' || out.Type === 'ops') && out.ID !== '') {
    warnings.push(`ID: the ID of a ${out.Type} job is assigned by the orchestrator; the submitted one is ignored (jobs are updated by Name)`)
    out.ID = ''
  }
  if (out.Tasks.length > 1) {
    const dropped = out.Tasks.slice(1).map((task) => task.Name || '(unnamed)')
    warnings.push(`Tasks: only one task per job is supported; running the first (${out.Tasks[0].Name || 'unnamed'}) and ignoring ${dropped.join(', ')}`)
    out.Tasks = out.Tasks.slice(0, 1)
  }
  for (const key of Object.keys(out.Meta)) {
    if (key.startsWith(META_RESERVED_PREFIX)) {
      warnings.push(`${joinPath('Meta', key)}: keys starting with ${META_RESERVED_PREFIX} are reserved for the orchestrator; removed`)
      delete out.Meta[key]
    }
  }
  return { job: out, warnings }
}
