import { ShoalError, type Job } from '@shoal/models'
import type { ShoalClient } from '@shoal/client'
import type { CliContext } from './cli-context.ts'

/** The user answered no when asked to update an existing job; nothing was submitted. */
export class UpdateNotConfirmedError extends ShoalError {
  override readonly code = 'UpdateNotConfirmed'
  override readonly status = 409
}

/** A submission that updates a job which already has the spec's Name. */
export interface JobUpdate {
  /** The job that will be (or was) updated. */
  jobId: string
  name: string
  /** Its version before this submission. */
  version: number
}

/** Options of previewJobUpdate. */
export interface PreviewJobUpdateOptions {
  /** Show the diff and ask before updating, when stdin and stderr are terminals (job run). */
  confirm?: boolean
  signal?: AbortSignal
}

/**
 * Before a submission: whether the spec's Name already names a job, which submitting then updates
 * to a new version (Bacalhau's PUT /jobs semantics). With `confirm` and a terminal on stdin and
 * stderr, prints the changes (PUT /orchestrator/jobs/diff) and asks; a no throws
 * UpdateNotConfirmedError. Resolves undefined for a new job, or when the requester cannot tell
 * (then the submission goes ahead as it would without this check).
 */
export async function previewJobUpdate(ctx: CliContext, api: ShoalClient, job: Job, options: PreviewJobUpdateOptions = {}): Promise<JobUpdate | undefined> {
  if (!job.Name) return undefined
  let diff: string
  let existing: Job
  try {
    ;({ Diff: diff } = await api.diffJob(job, { signal: options.signal }))
    existing = (await api.getJob(job.Name, { namespace: job.Namespace || undefined, signal: options.signal })).Job
  } catch (error) {
    // NotFound: a new job. Anything else (an older requester without the diff endpoint) must not
    // stop a submission that would otherwise work.
    if (options.signal?.aborted) throw error
    return undefined
  }
  if (existing.Name !== job.Name) return undefined
  const update: JobUpdate = { jobId: existing.ID, name: existing.Name, version: existing.Version }
  const interactive = options.confirm === true && ctx.io.stdinIsTTY === true && ctx.io.stderr.isTTY === true && ctx.io.prompt !== undefined
  // An unchanged spec is refused by the requester (unless --force): nothing to confirm.
  if (!interactive || diff.trim() === '') return update
  ctx.err(`Job ${update.name} (${update.jobId}) exists at version ${update.version}. Submitting this spec updates it to version ${update.version + 1}:\n`)
  for (const line of diff.replace(/\n$/, '').split('\n')) ctx.err(`  ${line}\n`)
  const answer = (await ctx.io.prompt!(`Update job ${update.name} to version ${update.version + 1}? [y/N] `, { signal: options.signal })).trim().toLowerCase()
  if (answer !== 'y' && answer !== 'yes') {
    throw new UpdateNotConfirmedError(`job ${update.name} was not updated (it stays at version ${update.version}); nothing was submitted`, {
      hint: 'Answer y to update it, or give the spec another Name to submit a new job.',
    })
  }
  return update
}

/** The line printed after a submission that updated an existing job. */
export function updatedJobLine(update: JobUpdate, newVersion: number): string {
  return `Updated job ${update.name} (${update.jobId}) to version ${newVersion}.`
}
