import { Command, Option } from 'commander'
import { BadRequestError, ConflictError, ExecutionError, NotFoundError, TERMINAL_JOB_STATES, ValidationError, type Execution, type Job } from '@shoal/models'
import type { CliContext } from '../cli-context.ts'
import type { OutputFlags } from '../cli-context.ts'
import { addListFlags, addNamespaceFlag, addOutputFlags, collect, wholeNumber } from '../command-flags.ts'
import { parseJobText, readJobSpec, type JobSpecText } from '../job-spec-source.ts'
import { describeJobText, ensureNewline, executionColumns, historyColumns, jobColumns, versionColumns } from '../job-views.ts'
import { renderDocument, renderList } from '../output-format.ts'
import { applyTemplate, parseKeyValues } from '../template-vars.ts'
import { splitSelector } from '../storage-spec.ts'
import type { ListJobsQuery, ListResponse, ShoalClient } from '@shoal/client'
import { addRunTimeFlags, submitAndWatch, watchJob, type RunTimeFlags } from './job-submit.ts'
import { jobGetCommand } from './job-get-command.ts'
import { jobNotFound } from './job-not-found.ts'
import { hasStarted, isSettled, waitForJob } from '../job-progress.ts'

/** A page limit so `--all` can never loop forever on a misbehaving server. */
const MAX_PAGES = 1000

async function allPages<T>(first: ListResponse<T>, next: (token: string) => Promise<ListResponse<T>>): Promise<T[]> {
  const items = [...first.Items]
  let token = first.NextToken
  for (let page = 1; token && page < MAX_PAGES; page++) {
    const more = await next(token)
    items.push(...more.Items)
    token = more.NextToken
  }
  return items
}

interface ListFlags extends OutputFlags {
  limit: number
  nextToken?: string
  orderBy?: string
  reverse?: boolean
  orderReversed?: boolean
  all?: boolean
}

function warningsOf(error: ValidationError): string[] {
  const warnings = error.details?.warnings
  return Array.isArray(warnings) ? warnings.map(String) : []
}

function validateSummary(job: Job, source: string): string {
  const task = job.Tasks[0]
  const tasks = job.Tasks.length === 1 ? '1 task' : `${job.Tasks.length} tasks`
  return `${source}: valid ${job.Type} job "${job.Name || '(unnamed)'}" (${task?.Engine.Type ?? 'no engine'}, ${tasks}, Count ${job.Count})`
}

/** --namespace and -v/--version of the commands that look at one job (Bacalhau's flags). */
interface JobLookupFlags {
  namespace?: string
  /** 0 or absent = the latest version. */
  version?: number
}

/** Adds -v/--version <n>: a job version (0 or absent = the latest). */
function addVersionFlag(command: Command, what: string): Command {
  return command.option('-v, --version <n>', `${what} (default: the latest version)`, wholeNumber('--version'))
}

interface TemplateFlags {
  templateVars?: string[]
  templateEnvs?: string
  template?: boolean
}

interface RunFlags extends RunTimeFlags, TemplateFlags {
  timeout?: number
}

/** Adds -V/--template-vars, -E/--template-envs and --no-template (Bacalhau's job run templating). */
function addTemplateFlags(command: Command): Command {
  return command
    .option('-V, --template-vars <K=V>', 'replace {{.K}} in the spec with V (repeatable, or K=V,K2=V2)', collect, [])
    .option('-E, --template-envs <regex>', 'also use environment variables whose names match as template values ("*" = all)')
    .option('--no-template', 'use the spec as-is, without {{.Var}} substitution')
}

/** Fills the spec's {{.Var}} placeholders from the template flags, unless --no-template. */
function fillTemplate(spec: JobSpecText, flags: TemplateFlags, ctx: CliContext): void {
  if (flags.template === false) return
  spec.text = applyTemplate(spec.text, { vars: parseKeyValues(flags.templateVars ?? [], '--template-vars'), envPattern: flags.templateEnvs, env: ctx.io.env })
}

/** The most recent execution of `version` of `job` (for `job logs --version`). */
async function executionOfVersion(api: ShoalClient, job: Job, version: number, signal: AbortSignal): Promise<Execution> {
  const page = await api.jobExecutions(job.ID, { jobVersion: version, orderBy: 'created_at', reverse: true, limit: 1, signal })
  const execution = page.Items[0]
  if (!execution) {
    throw new NotFoundError(`job ${job.ID} has no execution of version ${version} (latest is ${job.Version})`, {
      hint: `List its versions with \`shoal job versions ${job.ID}\`.`,
    })
  }
  return execution
}

/** `shoal job …`: run, describe, list, logs, executions, history, versions, stop, get, validate, rerun. */
export function jobCommand(ctx: CliContext): Command {
  const job = new Command('job').description('Submit, inspect and manage jobs')

  // job run
  const run = new Command('run')
    .description('Submit a job spec (YAML or JSON) from a file or stdin, wait for it and print its output')
    .argument('[file]', 'the job spec; `-` (or nothing, when piped) reads stdin')
  addRunTimeFlags(run)
  run.option('--timeout <seconds>', 'same as --wait-timeout-secs', wholeNumber('--timeout'))
  addTemplateFlags(run)
  run
    .option('--force', 'submit even if the spec did not change')
    .addHelpText(
      'after',
      `
Examples:
  shoal job run job.yaml                      submit, wait, print stdout
  cat job.yaml | shoal job run -              read the spec from stdin
  shoal job run job.yaml --no-wait            print the job ID and return
  shoal job run job.yaml --id-only --wait=false
  shoal job run job.yaml --follow             stream logs while it runs
  shoal job run job.yaml --dry-run            print the normalised job, submit nothing
  shoal job run job.yaml -V name=world        fill {{.name}} in the spec

A spec whose Name already names a job in its namespace updates that job to a new version (as
Bacalhau does). On a terminal, job run first shows what changes and asks; otherwise (a pipe, a
script) it submits and prints "Updated job <name> (<id>) to version <N>." on stderr.`,
    )
    .action(async (file: string | undefined, flags: RunFlags, command: Command) => {
      const spec = await readJobSpec(file, ctx.io)
      fillTemplate(spec, flags, ctx)
      const { job: parsed, warnings } = parseJobText(spec)
      await submitAndWatch(ctx, command, parsed, { ...flags, waitTimeoutSecs: flags.timeout ?? flags.waitTimeoutSecs }, warnings, { confirmUpdate: true })
    })
  job.addCommand(run)

  // job validate
  job.addCommand(
    addTemplateFlags(
      new Command('validate')
        .description('Check a job spec offline: prints a one-line summary, or every problem with its field path')
        .argument('[file]', 'the job spec; `-` reads stdin'),
    )
      .addHelpText(
        'after',
        '\nExamples:\n  shoal job validate job.yaml\n  cat job.json | shoal job validate -\n  shoal job validate job.yaml -V name=world   fill {{.name}} first, as job run does\n\nExit code 0 when valid, 1 when not.',
      )
      .action(async (file: string | undefined, flags: TemplateFlags) => {
        const spec = await readJobSpec(file, ctx.io)
        fillTemplate(spec, flags, ctx)
        let parsed: Job
        let warnings: string[]
        try {
          ;({ job: parsed, warnings } = parseJobText(spec))
        } catch (error) {
          if (error instanceof ValidationError) for (const warning of warningsOf(error)) ctx.err(`Warning: ${warning}\n`)
          throw error
        }
        for (const warning of warnings) ctx.err(`Warning: ${warning}\n`)
        ctx.out(`${validateSummary(parsed, spec.source)}\n`)
      }),
  )

  // job describe
  const describe = new Command('describe')
    .description('Show a job: its spec summary, executions, recent history and output')
    .argument('<id>', 'job ID (full or short) or name')
  addVersionFlag(describe, 'the job version to show')
  addNamespaceFlag(describe)
  addOutputFlags(describe, ['table', 'json', 'yaml'])
  describe.addHelpText(
    'after',
    '\nWith --output json|yaml it prints the API\'s answer as is: {Job, Executions: {Items, NextToken}, History: {Items, NextToken}}.\n\nExamples:\n  shoal job describe j-1234abcd\n  shoal job describe j-1234abcd --version 1\n  shoal job describe j-1234abcd --output json --pretty',
  )
  describe.action(async (id: string, flags: OutputFlags & JobLookupFlags, command: Command) => {
    const options = ctx.output(flags, ['table', 'json', 'yaml'])
    const api = await ctx.api(command)
    const view = await api.getJob(id, { include: ['executions', 'history'], namespace: flags.namespace, jobVersion: flags.version || undefined, signal: ctx.signal }).catch(jobNotFound(id))
    if (options.output !== 'table') {
      ctx.out(renderDocument(view, options.output === 'json' ? 'json' : 'yaml', options))
      return
    }
    ctx.out(describeJobText(view.Job, view.Executions?.Items ?? [], view.History?.Items ?? [], options, ctx.io.now()))
  })
  job.addCommand(describe)

  // job list
  const list = new Command('list').description('List jobs, oldest first (by creation time; --reverse for newest first)')
  addListFlags(list, ['created_at', 'modified_at', 'id', 'name'], 10)
  addOutputFlags(list)
  list
    .option('--labels <selector>', 'only jobs whose labels match, e.g. "env=prod,region in (a,b)"')
    .option('--namespace <ns>', 'only jobs of this namespace')
    .addHelpText('after', '\nExamples:\n  shoal job list\n  shoal job list --reverse --limit 5        the five newest\n  shoal job list --limit 50 --wide\n  shoal job list --labels env=prod --output json\n  shoal job list --all --output csv > jobs.csv')
    .action(async (flags: ListFlags & { labels?: string; namespace?: string }, command: Command) => {
      const options = ctx.output(flags)
      const api = await ctx.api(command)
      const query: ListJobsQuery = { namespace: flags.namespace, limit: flags.limit, orderBy: flags.orderBy as ListJobsQuery['orderBy'], reverse: flags.reverse || flags.orderReversed, labels: flags.labels ? splitSelector(flags.labels) : undefined, signal: ctx.signal }
      const first = await api.listJobs({ ...query, nextToken: flags.nextToken })
      const items = flags.all ? await allPages(first, (nextToken) => api.listJobs({ ...query, nextToken })) : first.Items
      ctx.out(renderList(items, jobColumns(ctx.io.now()), options))
      if (!flags.all && first.NextToken && options.output === 'table') ctx.err(`More jobs: shoal job list --limit ${flags.limit} --next-token ${first.NextToken} (or --all)\n`)
    })
  job.addCommand(list)

  // job executions
  const executions = new Command('executions').description("List a job's executions (the latest version's unless --version or --all-versions)").argument('<id>', 'job ID or name')
  addListFlags(executions, ['created_at', 'modified_at'], 20)
  addVersionFlag(executions, 'only executions of this job version')
  executions.option('--all-versions', 'executions of every job version')
  addNamespaceFlag(executions)
  addOutputFlags(executions)
  executions.addHelpText('after', '\nExamples:\n  shoal job executions j-1234abcd\n  shoal job executions j-1234abcd --all-versions --output json')
  executions.action(async (id: string, flags: ListFlags & JobLookupFlags & { allVersions?: boolean }, command: Command) => {
    const options = ctx.output(flags)
    const api = await ctx.api(command)
    const query = {
      namespace: flags.namespace,
      limit: flags.limit,
      orderBy: flags.orderBy as 'created_at' | 'modified_at' | undefined,
      reverse: flags.reverse || flags.orderReversed,
      jobVersion: flags.version || undefined,
      allJobVersions: flags.allVersions,
      signal: ctx.signal,
    }
    const first = await api.jobExecutions(id, { ...query, nextToken: flags.nextToken }).catch(jobNotFound(id))
    const items = flags.all ? await allPages(first, (nextToken) => api.jobExecutions(id, { ...query, nextToken })) : first.Items
    ctx.out(renderList(items, executionColumns(ctx.io.now()), options))
    if (!flags.all && first.NextToken && options.output === 'table') ctx.err(`More executions: shoal job executions ${id} --limit ${flags.limit} --next-token ${first.NextToken} (or --all)\n`)
  })
  job.addCommand(executions)

  // job history
  const history = new Command('history').description("List a job's history events (the latest version's unless --version or --all-versions)").argument('<id>', 'job ID or name')
  addListFlags(history, ['time'], 100)
  addOutputFlags(history)
  addVersionFlag(history, 'only events of this job version')
  addNamespaceFlag(history)
  history
    .option('--all-versions', 'events of every job version')
    .addOption(new Option('--event-type <type>', 'which events').choices(['all', 'job', 'execution']).default('all'))
    .option('--execution-id <id>', 'only events of this execution')
    .addHelpText('after', '\nExamples:\n  shoal job history j-1234abcd\n  shoal job history j-1234abcd --event-type execution --wide\n  shoal job history j-1234abcd --all-versions')
    .action(async (id: string, flags: ListFlags & JobLookupFlags & { eventType: string; executionId?: string; allVersions?: boolean }, command: Command) => {
      const options = ctx.output(flags)
      const api = await ctx.api(command)
      const query = {
        eventType: flags.eventType as 'all' | 'job' | 'execution',
        executionId: flags.executionId,
        limit: flags.limit,
        namespace: flags.namespace,
        jobVersion: flags.version || undefined,
        allJobVersions: flags.allVersions,
        signal: ctx.signal,
      }
      const first = await api.jobHistory(id, { ...query, nextToken: flags.nextToken }).catch(jobNotFound(id))
      const items = flags.all ? await allPages(first, (nextToken) => api.jobHistory(id, { ...query, nextToken })) : first.Items
      ctx.out(renderList(items, historyColumns(ctx.io.now()), options))
    })
  job.addCommand(history)

  // job versions
  const versions = new Command('versions').description('List every version of a job, oldest first').argument('<id>', 'job ID or name')
  addNamespaceFlag(versions)
  addOutputFlags(versions)
  versions.addHelpText('after', '\nExamples:\n  shoal job versions my-job\n  shoal job versions j-1234abcd --output json')
  versions.action(async (id: string, flags: OutputFlags & JobLookupFlags, command: Command) => {
    const options = ctx.output(flags)
    const api = await ctx.api(command)
    const answer = await api.jobVersions(id, { namespace: flags.namespace, signal: ctx.signal }).catch(jobNotFound(id))
    ctx.out(renderList(answer.Items, versionColumns(ctx.io.now()), options))
  })
  job.addCommand(versions)

  // job logs
  const logs = new Command('logs')
    .description("Print a job's logs (stdout to stdout, stderr to stderr)")
    .argument('<id>', 'job ID or name')
    .option('-f, --follow', 'keep streaming until the execution ends')
    .option('-e, --execution-id <id>', 'only this execution')
    .option('-t, --tail', 'skip the lines already written: only new ones (with --follow), as Bacalhau')
    .option('--tail-lines <n>', '★ Shoal: only the last N lines written so far', wholeNumber('--tail-lines'))
  addVersionFlag(logs, "logs of an execution of this job version")
  addNamespaceFlag(logs)
  logs
    .addHelpText('after', '\nExamples:\n  shoal job logs j-1234abcd\n  shoal job logs j-1234abcd --follow\n  shoal job logs j-1234abcd --tail --follow        only what is written from now on\n  shoal job logs j-1234abcd --tail-lines 20 -e e-5678abcd')
    .action(async (id: string, flags: JobLookupFlags & { follow?: boolean; executionId?: string; tail?: boolean; tailLines?: number }, command: Command) => {
      if (flags.tail && flags.tailLines !== undefined) throw new BadRequestError('--tail and --tail-lines cannot be used together', { hint: '--tail shows only new lines; --tail-lines N the last N lines.' })
      const api = await ctx.api(command)
      const view = await api.getJob(id, { namespace: flags.namespace, signal: ctx.signal }).catch(jobNotFound(id))
      let executionId = flags.executionId
      if (!executionId && flags.version) executionId = (await executionOfVersion(api, view.Job, flags.version, ctx.signal)).ID
      const tail = flags.tail ? true : flags.tailLines
      if (flags.follow && !executionId && !hasStarted(view.Job)) {
        // Until a node takes the job, the progress line on stderr says why it waits (until Ctrl+C).
        const started = await waitForJob(api, view.Job.ID, ctx.io, { timeoutSeconds: Number.POSITIVE_INFINITY, progress: true, until: 'started', signal: ctx.signal })
        if (isSettled(started.job) && !started.executions.some((e) => e.RunOutput)) {
          const { StateType: state, Message: reason } = started.job.State
          throw new ExecutionError(`job ${started.job.ID} ${state === 'Stopped' ? 'was stopped' : 'failed'} before it ran, so it has no logs: ${reason || 'no reason given'}`, {
            hint: `See \`shoal job describe ${started.job.ID}\` for its history.`,
          })
        }
      }
      for await (const line of api.logs(view.Job.ID, { follow: flags.follow, executionId, tail, namespace: flags.namespace, signal: ctx.signal })) {
        if (line.Type === 2) ctx.err(ensureNewline(line.Line))
        else ctx.out(ensureNewline(line.Line))
      }
    })
  job.addCommand(logs)

  // job stop
  const stop = new Command('stop')
    .description('Stop a job and its executions')
    .argument('<id>', 'job ID or name')
    .option('--reason <text>', 'why, recorded in the job history')
    .option('--quiet', 'print nothing on success')
  addNamespaceFlag(stop)
  stop
    .addHelpText('after', '\nA job that already ended (Completed, Failed or Stopped) is not stopped again: exit 1.\n\nExamples:\n  shoal job stop j-1234abcd\n  shoal job stop my-job --namespace dev\n  shoal job stop j-1234abcd --reason "wrong input" --quiet')
    .action(async (id: string, flags: { reason?: string; quiet?: boolean; namespace?: string }, command: Command) => {
      const api = await ctx.api(command)
      // As Bacalhau: look first, and send nothing for a job that already ended.
      const view = await api.getJob(id, { namespace: flags.namespace, signal: ctx.signal }).catch(jobNotFound(id))
      const state = view.Job.State?.StateType
      if (TERMINAL_JOB_STATES.includes(state)) {
        throw new ConflictError(`job ${view.Job.ID} is already in a terminal state (${state}); there is nothing to stop`, {
          hint: state === 'Stopped' ? 'It was stopped before.' : 'Run it again with `shoal job rerun`.',
        })
      }
      const answer = await api.stopJob(view.Job.ID, { reason: flags.reason, namespace: flags.namespace, signal: ctx.signal }).catch(jobNotFound(id))
      if (!flags.quiet) ctx.out(`Job stop successfully submitted with evaluation ID: ${answer.EvaluationID}\n`)
    })
  job.addCommand(stop)

  // job rerun
  const rerun = new Command('rerun')
    .description("Run a job again (its latest version, or --version's spec), then wait and print its output as job run does")
    .argument('<id>', 'job ID or name')
    .option('--reason <text>', 'why, recorded in the job history')
  addVersionFlag(rerun, 'the job version to run again')
  addNamespaceFlag(rerun)
  addRunTimeFlags(rerun, { dryRun: false })
  rerun
    .addHelpText('after', '\nExamples:\n  shoal job rerun j-1234abcd\n  shoal job rerun j-1234abcd --version 1          run version 1\'s spec again\n  shoal job rerun j-1234abcd --wait=false          print the job ID and return\n  shoal job rerun j-1234abcd --follow')
    .action(async (id: string, flags: RunTimeFlags & JobLookupFlags & { reason?: string }, command: Command) => {
      const api = await ctx.api(command)
      const answer = await api.rerunJob(id, { reason: flags.reason, jobVersion: flags.version || undefined, namespace: flags.namespace, signal: ctx.signal }).catch(jobNotFound(id))
      if (!flags.idOnly) for (const warning of answer.Warnings ?? []) ctx.err(`Warning: ${warning}\n`)
      await watchJob(ctx, api, answer.JobID, flags, { line: `Job successfully rerun. Job ID: ${answer.JobID} (version ${answer.JobVersion}, evaluation ${answer.EvaluationID})` })
    })
  job.addCommand(rerun)

  // job get
  job.addCommand(jobGetCommand(ctx))

  return job
}

