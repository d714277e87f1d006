import { Command, Option } from 'commander'
import { BadRequestError, NotFoundError, shortId, ShoalError, ValidationError, type Job } from '@shoal/models'
import type { CliContext } from '../cli-context.ts'
import type { OutputFlags } from '../cli-context.ts'
import { addListFlags, addOutputFlags, collect, wholeNumber } from '../command-flags.ts'
import { parseJobText, readJobSpec, type JobSpecText } from '../job-spec-source.ts'
import { describeJobText, ensureNewline, executionColumns, historyColumns, jobColumns } from '../job-views.ts'
import { renderDocument, renderList } from '../output-format.ts'
import { downloadResults } from '../result-download.ts'
import { applyTemplate, parseKeyValues } from '../template-vars.ts'
import { splitSelector } from '../storage-spec.ts'
import type { ListJobsQuery, ListResponse } from '@shoal/client'
import { addRunTimeFlags, submitAndWatch, type RunTimeFlags } from './job-submit.ts'

/** A page limit so `--all` can never loop forever on a misbehaving server. */
const MAX_PAGES = 1000

/** Rethrows "not found" from the API as `job <id> not found` with what to do. */
export function jobNotFound(id: string) {
  return (error: unknown): never => {
    if (error instanceof NotFoundError || (error instanceof ShoalError && error.status === 404)) {
      throw new NotFoundError(`job ${id} not found`, { cause: error, hint: 'List jobs with `shoal job list`.' })
    }
    throw error
  }
}

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

/** `shoal job …`: run, describe, list, logs, executions, history, stop, get, validate, rerun. */
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
  shoal job run job.yaml -V name=world        fill {{.name}} in the spec`,
    )
    .action(async (file: string | undefined, flags: RunFlags, command: Command) => {
      const spec = await readJobSpec(file, ctx.io)
      fillTemplate(spec, flags, ctx)
      const { job: parsed, warnings } = parseJobText(spec)
      await submitAndWatch(ctx, command, parsed, { ...flags, waitTimeoutSecs: flags.timeout ?? flags.waitTimeoutSecs }, warnings)
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
  addOutputFlags(describe, ['table', 'json', 'yaml'])
  describe.addHelpText('after', '\nExamples:\n  shoal job describe j-1234abcd\n  shoal job describe j-1234abcd --output yaml')
  describe.action(async (id: string, flags: OutputFlags, command: Command) => {
    const options = ctx.output(flags, ['table', 'json', 'yaml'])
    const api = await ctx.api(command)
    const view = await api.getJob(id, { include: ['executions', 'history'], signal: ctx.signal }).catch(jobNotFound(id))
    if (options.output !== 'table') {
      ctx.out(renderDocument({ Job: view.Job, Executions: view.Executions?.Items ?? [], History: view.History?.Items ?? [] }, options.output === 'json' ? 'json' : 'yaml'))
      return
    }
    ctx.out(describeJobText(view.Job, view.Executions?.Items ?? [], view.History?.Items ?? [], options, ctx.io.now()))
  })
  job.addCommand(describe)

  // job list
  const list = new Command('list').description('List jobs, newest first')
  addListFlags(list, ['created_at', 'modified_at', 'id', 'name'], 10)
  addOutputFlags(list)
  list
    .option('--labels <selector>', 'only jobs whose labels match, e.g. "env=prod,region in (a,b)"')
    .option('--namespace <ns>', 'only jobs of this namespace')
    .addHelpText('after', '\nExamples:\n  shoal job list\n  shoal job list --limit 50 --wide\n  shoal job list --labels env=prod --output json\n  shoal job list --all --output csv > jobs.csv')
    .action(async (flags: ListFlags & { labels?: string; namespace?: string }, command: Command) => {
      const options = ctx.output(flags)
      const api = await ctx.api(command)
      const query: ListJobsQuery = { namespace: flags.namespace, limit: flags.limit, orderBy: flags.orderBy as ListJobsQuery['orderBy'], reverse: flags.reverse || flags.orderReversed, labels: flags.labels ? splitSelector(flags.labels) : undefined, signal: ctx.signal }
      const first = await api.listJobs({ ...query, nextToken: flags.nextToken })
      const items = flags.all ? await allPages(first, (nextToken) => api.listJobs({ ...query, nextToken })) : first.Items
      ctx.out(renderList(items, jobColumns(ctx.io.now()), options))
      if (!flags.all && first.NextToken && options.output === 'table') ctx.err(`More jobs: shoal job list --next-token ${first.NextToken} (or --all)\n`)
    })
  job.addCommand(list)

  // job executions
  const executions = new Command('executions').description("List a job's executions").argument('<id>', 'job ID or name')
  addListFlags(executions, ['created_at', 'modified_at'], 20)
  addOutputFlags(executions)
  executions.addHelpText('after', '\nExamples:\n  shoal job executions j-1234abcd\n  shoal job executions j-1234abcd --output json')
  executions.action(async (id: string, flags: ListFlags, command: Command) => {
    const options = ctx.output(flags)
    const api = await ctx.api(command)
    const first = await api.jobExecutions(id, { limit: flags.limit, nextToken: flags.nextToken }).catch(jobNotFound(id))
    const items = flags.all ? await allPages(first, (nextToken) => api.jobExecutions(id, { limit: flags.limit, nextToken })) : first.Items
    ctx.out(renderList(items, executionColumns(ctx.io.now()), options))
  })
  job.addCommand(executions)

  // job history
  const history = new Command('history').description("List a job's history events").argument('<id>', 'job ID or name')
  addListFlags(history, ['time'], 100)
  addOutputFlags(history)
  history
    .addOption(new Option('--event-type <type>', 'which events').choices(['all', 'job', 'execution']).default('all'))
    .option('--execution-id <id>', 'only events of this execution')
    .addHelpText('after', '\nExamples:\n  shoal job history j-1234abcd\n  shoal job history j-1234abcd --event-type execution --wide')
    .action(async (id: string, flags: ListFlags & { eventType: string; executionId?: string }, command: Command) => {
      const options = ctx.output(flags)
      const api = await ctx.api(command)
      const query = { eventType: flags.eventType as 'all' | 'job' | 'execution', executionId: flags.executionId, limit: flags.limit, signal: ctx.signal }
      const first = await api.jobHistory(id, { ...query, nextToken: flags.nextToken }).catch(jobNotFound(id))
      const items = flags.all ? await allPages(first, (nextToken) => api.jobHistory(id, { ...query, nextToken })) : first.Items
      ctx.out(renderList(items, historyColumns(ctx.io.now()), options))
    })
  job.addCommand(history)

  // job logs
  job.addCommand(
    new Command('logs')
      .description("Print a job's logs (stdout to stdout, stderr to stderr)")
      .argument('<id>', 'job ID or name')
      .option('-f, --follow', 'keep streaming until the execution ends')
      .option('--execution-id <id>', 'only this execution')
      .option('--tail <n>', 'only the last N lines', wholeNumber('--tail'))
      .addHelpText('after', '\nExamples:\n  shoal job logs j-1234abcd\n  shoal job logs j-1234abcd --follow\n  shoal job logs j-1234abcd --tail 20 --execution-id e-5678abcd')
      .action(async (id: string, flags: { follow?: boolean; executionId?: string; tail?: number }, command: Command) => {
        const api = await ctx.api(command)
        await api.getJob(id, { signal: ctx.signal }).catch(jobNotFound(id))
        for await (const line of api.logs(id, { follow: flags.follow, executionId: flags.executionId, tail: flags.tail, signal: ctx.signal })) {
          if (line.Type === 2) ctx.err(ensureNewline(line.Line))
          else ctx.out(ensureNewline(line.Line))
        }
      }),
  )

  // job stop
  job.addCommand(
    new Command('stop')
      .description('Stop a job and its executions')
      .argument('<id>', 'job ID')
      .option('--reason <text>', 'why, recorded in the job history')
      .option('--quiet', 'print nothing on success')
      .addHelpText('after', '\nExamples:\n  shoal job stop j-1234abcd\n  shoal job stop j-1234abcd --reason "wrong input" --quiet')
      .action(async (id: string, flags: { reason?: string; quiet?: boolean }, command: Command) => {
        const api = await ctx.api(command)
        const answer = await api.stopJob(id, { reason: flags.reason, signal: ctx.signal }).catch(jobNotFound(id))
        if (!flags.quiet) ctx.out(`Job stop successfully submitted with evaluation ID: ${answer.EvaluationID}\n`)
      }),
  )

  // job rerun
  job.addCommand(
    new Command('rerun')
      .description("Run a job's current version again")
      .argument('<id>', 'job ID or name')
      .option('--reason <text>', 'why, recorded in the job history')
      .option('--id-only', 'print only the job ID')
      .addHelpText('after', '\nExamples:\n  shoal job rerun j-1234abcd')
      .action(async (id: string, flags: { reason?: string; idOnly?: boolean }, command: Command) => {
        const api = await ctx.api(command)
        const answer = await api.rerunJob(id, { reason: flags.reason, signal: ctx.signal }).catch(jobNotFound(id))
        for (const warning of answer.Warnings ?? []) ctx.err(`Warning: ${warning}\n`)
        ctx.out(flags.idOnly ? `${answer.JobID}\n` : `Job successfully rerun: ${answer.JobID} (version ${answer.JobVersion}, evaluation ${answer.EvaluationID})\n`)
      }),
  )

  // job get
  job.addCommand(
    new Command('get')
      .description("Download a job's published results into ./job-<short id>/ (stdout, stderr, exitCode and one folder per output)")
      .argument('<id>', 'job ID or name')
      .option('--output-dir <dir>', 'where to write the results (default ./job-<short id>)')
      .option('--download-timeout-secs <seconds>', 'give up downloading after this long', wholeNumber('--download-timeout-secs'), 300)
      .addHelpText(
        'after',
        `
Results are downloaded from the compute nodes that ran the executions, which works when the
job was published with the local publisher (the default of \`shoal wasm run\`). With several
executions, stdout, stderr and exitCode are appended in order and the output folders merged.

Examples:
  shoal job get j-1234abcd
  shoal job get j-1234abcd --output-dir ./results`,
      )
      .action(async (id: string, flags: { outputDir?: string; downloadTimeoutSecs: number }, command: Command) => {
        const api = await ctx.api(command)
        const view = await api.getJob(id, { signal: ctx.signal }).catch(jobNotFound(id))
        const publisher = view.Job.Tasks?.[0]?.Publisher?.Type ?? ''
        const answer = await api.jobResults(view.Job.ID, { signal: ctx.signal }).catch(jobNotFound(id))
        // A noop publisher still reports a (noop) result per execution: there is nothing behind it.
        const results = answer.Items.filter((result) => result.Type !== '' && result.Type !== 'noop')
        if (results.length === 0) {
          if (publisher === '' || publisher === 'noop' || answer.Items.length > 0) {
            const why = publisher === '' || publisher === 'noop' ? `its publisher is ${publisher || 'not set'}` : 'its executions published nothing (noop)'
            throw new BadRequestError(`job ${view.Job.ID} has nothing to download: ${why}, so no results were kept`, {
              hint: 'Results are kept only when the job publishes with local, ipfs or s3 (e.g. `shoal wasm run -p local …`, or Publisher.Type: local in the spec); `shoal job describe` shows the first 2 KiB of stdout.',
            })
          }
          throw new BadRequestError(`job ${view.Job.ID} has no published results yet (state ${view.Job.State?.StateType ?? 'unknown'})`, {
            hint: 'Results appear once an execution completes; wait with `shoal job describe` and retry.',
          })
        }
        const { extractTarGz } = await import('@shoal/compute')
        const outputDir = flags.outputDir ?? `job-${shortId(view.Job.ID).slice(2)}`
        const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(flags.downloadTimeoutSecs * 1000)])
        const written = await downloadResults(results, { outputDir: outputDir.startsWith('/') ? outputDir : `${ctx.io.cwd}/${outputDir}`, fetch: ctx.io.fetch, extract: extractTarGz, signal })
        ctx.err(`Results for job ${view.Job.ID} (${results.length} execution${results.length === 1 ? '' : 's'}, ${written.files} files) written to:\n`)
        ctx.out(`${written.dir}\n`)
      }),
  )

  return job
}

