import type { Job, UuidSource } from '@shoal/models'
import { ValidationError, applyJobDefaults, jobSpecFromValue, parseJobSpec, verificationIssues } from '@shoal/models'

/** A submitted job ready to store, and the warnings for the submitter. */
export interface PreparedJob {
  job: Job
  warnings: string[]
}

/**
 * Turns an untrusted submission (a decoded request body, bare or `{Job: ...}`, or YAML/JSON
 * text) into a valid job with server defaults; ValidationError names every bad field.
 */
export function prepareJob(submission: unknown, options: { now: () => number; uuid: UuidSource }): PreparedJob {
  const parsed = typeof submission === 'string' ? parseJobSpec(submission) : jobSpecFromValue(submission)
  // Meta is free-form upstream (clients pass it through untouched), so the one key Shoal reads is checked here.
  const issues = verificationIssues(parsed.job)
  if (issues.length > 0) throw new ValidationError(issues)
  return { job: applyJobDefaults(parsed.job, { now: options.now, uuid: options.uuid }), warnings: parsed.warnings }
}
