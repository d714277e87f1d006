import { Option, type Command } from 'commander'
import { stringify as toYaml } from 'yaml'
import { ExecutionError, executionStateName, shortId, TimeoutError, type Execution, type Job } from '@shoal/models'
import type { CliContext } from '../cli-context.ts'
import type { ShoalClient } from '@shoal/client'
import { isSettled, waitForJob } from '../job-progress.ts'
import { ensureNewline } from '../job-views.ts'
import { wholeNumber } from '../command-flags.ts'
import { previewJobUpdate, updatedJobLine } from '../job-update.ts'

/** Default seconds `--wait` waits before giving up (Bacalhau's 600). */
export const DEFAULT_WAIT_SECONDS = 600

/** Flags controlling what happens after submission (Bacalhau's RunTimeSettings). */
export interface RunTimeFlags {
  wait?: boolean
  waitTimeoutSecs?: number
  idOnly?: boolean
  follow?: boolean
  dryRun?: boolean
  hideWarnings?: boolean
  force?: boolean
  nodeDetails?: boolean
  groupEvents?: boolean
}

/**
 * Adds Bacalhau's run-time settings: --wait/--no-wait, --wait-timeout-secs, --id-only, -f/--follow,
 * --node-details, --group-events; with `dryRun` (job run, wasm run, not job rerun) also --dry-run
 * and --hide-warnings.
 */
export function addRunTimeFlags(command: Command, { dryRun = true }: { dryRun?: boolean } = {}): Command {
  command.option('--wait', 'wait for the job to finish and print its output (default; --wait=false or --no-wait to return at once)', true)
  command.option('--no-wait', 'print the job ID and return as soon as the job is submitted')
  command.option('--wait-timeout-secs <seconds>', 'how long --wait waits before giving up (the job keeps running; exit 0 with a warning)', wholeNumber('--wait-timeout-secs'), DEFAULT_WAIT_SECONDS)
  command.option('--id-only', 'print only the job ID')
  command.option('-f, --follow', 'stream the job\'s logs while it runs')
  if (dryRun) {
    command.option('--dry-run', 'print the normalised job as YAML instead of submitting it')
    command.option('--hide-warnings', 'do not print warnings about the job spec')
  }
  command.option('--node-details', 'after waiting, list the nodes that ran the job')
  command.addOption(new Option('--group-events', 'accepted for Bacalhau compatibility: progress is one summary line either way').hideHelp())
  return command
}

/** Prints the job as `--dry-run` shows it: YAML of the normalised job, without server-set fields. */
export function dryRunYaml(job: Job): string {
  const copy: Record<string, unknown> = { ...job }
  for (const key of ['ID', 'State', 'Version', 'Revision', 'CreateTime', 'ModifyTime']) {
    const value = copy[key]
    if (value === '' || value === 0 || value === undefined || key === 'State') delete copy[key]
  }
  return toYaml(copy, { aliasDuplicateObjects: false })
}

function printWarnings(ctx: CliContext, warnings: readonly string[] | undefined): void {
  for (const warning of warnings ?? []) ctx.err(`Warning: ${warning}\n`)
}

async function followLogs(ctx: CliContext, api: ShoalClient, jobId: string): Promise<void> {
  for await (const line of api.logs(jobId, { follow: true, signal: ctx.signal })) {
    const text = ensureNewline(line.Line)
    if (line.Type === 2) ctx.err(text)
    else ctx.out(text)
  }
}

function printOutcome(ctx: CliContext, job: Job, executions: Execution[], printStdout: boolean): void {
  const ordered = [...executions].sort((a, b) => a.PartitionIndex - b.PartitionIndex || a.CreateTime - b.CreateTime)
  const withOutput = ordered.filter((e) => e.RunOutput)
  const state = job.State?.StateType
  if (state === 'Completed' || state === 'Running') {
    let truncated = false
    for (const execution of withOutput) {
      const run = execution.RunOutput!
      if (printStdout && run.Stdout) ctx.out(ensureNewline(run.Stdout))
      if (run.ExitCode !== 0) ctx.err(`Execution ${shortId(execution.ID)} exited with code ${run.ExitCode}.\n`)
      truncated ||= run.StdoutTruncated || run.StderrTruncated
    }
    if (printStdout && truncated) ctx.err(`Output truncated; download it in full with: shoal job get ${job.ID}\n`)
    if (printStdout) ctx.err(`\nTo get more details about the run: shoal job describe ${job.ID}\nTo download the results:          shoal job get ${job.ID}\n`)
    return
  }
  const failures = withOutput.map((e) => e.RunOutput!.ErrorMsg).filter((m) => m)
  const failedExecution = ordered.find((e) => e.ComputeState?.Message)
  const reason = job.State?.Message || failures[0] || failedExecution?.ComputeState?.Message || 'no reason given'
  throw new ExecutionError(`job ${job.ID} ${state === 'Stopped' ? 'was stopped' : 'failed'}: ${reason}`, {
    hint: `See \`shoal job describe ${job.ID}\` for its executions and history.`,
  })
}

/** What watchJob prints about the job before waiting (the first line on stderr). */
export interface WatchIntro {
  /** Printed to stderr unless --id-only, e.g. "Job successfully submitted. Job ID: j-…". */
  line: string
}

/** Options of submitAndWatch beyond the flags. */
export interface SubmitOptions {
  /** When the spec's Name is taken, show the diff and ask before updating (only on a terminal; see previewJobUpdate). */
  confirmUpdate?: boolean
}

/**
 * Submits a job and then, as Bacalhau's CLI does: prints its ID (--no-wait / --id-only), streams
 * its logs (--follow), or waits with a progress line on stderr and prints the executions' stdout.
 * A failed or stopped job throws ExecutionError (exit code 1).
 */
export async function submitAndWatch(ctx: CliContext, command: Command, job: Job, flags: RunTimeFlags, warnings: readonly string[] = [], options: SubmitOptions = {}): Promise<void> {
  if (!flags.hideWarnings && !flags.idOnly) printWarnings(ctx, warnings)
  if (flags.dryRun) {
    ctx.out(dryRunYaml(job))
    return
  }
  const api = await ctx.api(command)
  const update = await previewJobUpdate(ctx, api, job, { confirm: options.confirmUpdate, signal: ctx.signal })
  const submitted = await api.putJob(job, { force: flags.force, signal: ctx.signal })
  if (!flags.hideWarnings && !flags.idOnly) printWarnings(ctx, submitted.Warnings)
  if (update && !flags.idOnly) {
    const version = await api.getJob(submitted.JobID, { signal: ctx.signal }).then((view) => view.Job.Version, () => update.version + 1)
    ctx.err(`${updatedJobLine(update, version)}\n`)
  }
  await watchJob(ctx, api, submitted.JobID, flags, { line: `Job successfully submitted. Job ID: ${submitted.JobID}` })
}

/**
 * What happens after a job was submitted or rerun (Bacalhau's job progress printer): with
 * --wait=false print its ID and return; else print `intro` (or only the ID with --id-only),
 * stream logs with --follow, wait for the job and print its output. Waiting longer than
 * --wait-timeout-secs prints a warning and returns (exit 0, as Bacalhau); the job keeps running.
 */
export async function watchJob(ctx: CliContext, api: ShoalClient, jobId: string, flags: RunTimeFlags, intro: WatchIntro): Promise<void> {
  if (flags.wait === false) {
    ctx.out(`${jobId}\n`)
    return
  }
  if (flags.idOnly) ctx.out(`${jobId}\n`)
  else ctx.err(`${intro.line}\n`)
  const timeoutSeconds = flags.waitTimeoutSecs ?? DEFAULT_WAIT_SECONDS
  let finished: Job
  let executions: Execution[]
  try {
    if (flags.follow) {
      // While it waits for a node the progress line shows why; a job that ends without running has no logs.
      const started = await waitForJob(api, jobId, ctx.io, { timeoutSeconds, progress: !flags.idOnly, until: 'started', signal: ctx.signal })
      if (!isSettled(started.job) || started.executions.some((e) => e.RunOutput)) {
        if (!flags.idOnly) ctx.err('Streaming logs (Ctrl+C stops watching; the job keeps running):\n\n')
        await followLogs(ctx, api, jobId)
      }
    }
    ;({ job: finished, executions } = await waitForJob(api, jobId, ctx.io, { timeoutSeconds, progress: !flags.idOnly, signal: ctx.signal }))
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error
    ctx.err(
      `Warning: stopped waiting for job ${jobId} after ${timeoutSeconds}s (--wait-timeout-secs); it keeps running.\n` +
        `Check it with \`shoal job describe ${jobId}\`, or wait longer with --wait-timeout-secs <seconds>.\n`,
    )
    return
  }
  if (flags.nodeDetails && !flags.idOnly) printNodeDetails(ctx, executions)
  printOutcome(ctx, finished, executions, !flags.idOnly && !flags.follow)
}

/** --node-details: which node ran which execution, and how it ended. */
function printNodeDetails(ctx: CliContext, executions: readonly Execution[]): void {
  if (executions.length === 0) return
  ctx.err('\nNodes:\n')
  for (const execution of executions) {
    ctx.err(`  ${execution.NodeID}  execution ${shortId(execution.ID)}  ${executionStateName(execution.ComputeState?.StateType ?? 0)}\n`)
  }
}
