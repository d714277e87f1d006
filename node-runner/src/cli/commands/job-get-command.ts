import { Command } from 'commander'
import { BadRequestError, parseBytes, ValidationError } from '@shoal/models'
import type { CliContext } from '../cli-context.ts'
import { addNamespaceFlag, wholeNumber } from '../command-flags.ts'
import { DEFAULT_MAX_RESULT_BYTES, downloadResults, RAW_FOLDER } from '../result-download.ts'
import { jobNotFound } from './job-not-found.ts'

interface GetFlags {
  outputDir?: string
  downloadTimeoutSecs: number
  raw?: boolean
  maxResultSize?: string
  namespace?: string
}

/** The --max-result-size bound in bytes; ValidationError naming the flag when it is not a size. */
function maxResultBytes(text: string | undefined): number {
  if (text === undefined) return DEFAULT_MAX_RESULT_BYTES
  try {
    const bytes = parseBytes(text)
    if (bytes > 0) return bytes
  } catch {}
  throw new ValidationError([{ path: '--max-result-size', message: `${JSON.stringify(text)} is not a size: use e.g. 500Mb, 4Gi or 10GB` }])
}

/**
 * The folder `job get` writes to without --output-dir, as Bacalhau names it: `job-<ID or name as
 * typed>`, or `job-<namespace>-<…>` outside the default namespace.
 */
export function defaultJobFolder(idOrName: string, namespace?: string): string {
  const safe = idOrName.replace(/[/\\]/g, '_')
  return !namespace || namespace === 'default' ? `job-${safe}` : `job-${namespace.replace(/[/\\]/g, '_')}-${safe}`
}

/** `shoal job get ID`: download a job's published results. */
export function jobGetCommand(ctx: CliContext): Command {
  const get = new Command('get')
    .description("Download a job's published results into ./job-<id or name as typed>/: stdout, stderr, exitCode and one folder per ResultPath (empty when the job wrote nothing there)")
    .argument('<id>', 'job ID or name')
    .option('--output-dir <dir>', 'where to write the results (default ./job-<id as given>)')
    .option('--raw', `each execution's result in its own folder, ${RAW_FOLDER}/<execution id>/, instead of one merged result`)
    .option('--download-timeout-secs <seconds>', 'give up downloading after this long', wholeNumber('--download-timeout-secs'), 300)
    .option('--max-result-size <size>', 'refuse results that unpack to more than this, all executions together (e.g. 500Mb, 10Gi)', '4Gi')
  addNamespaceFlag(get)
  get.addHelpText(
    'after',
    `
Results are downloaded from the compute nodes that ran the executions, which works when the
job was published with the local publisher (the default of \`shoal wasm run\`). The folder is
named after the ID or name exactly as you typed it (a short ID from \`shoal job list\` gives
./job-<short id>/), in the current directory, as Bacalhau names it. Every ResultPath gets its
folder, empty when the job wrote nothing there. With several
executions, stdout, stderr and exitCode are appended in order and the output folders merged;
a file that more than one execution wrote cannot be merged (exit 1, nothing written): use --raw.

Examples:
  shoal job get j-1234abcd                    writes ./job-j-1234abcd/ (the short ID \`job list\` shows)
  shoal job get my-job                        writes ./job-my-job/
  shoal job get j-1234abcd --output-dir ./results
  shoal job get j-1234abcd --raw              ./job-j-1234abcd/raw/<execution id>/ per execution`,
  )
  get.action(async (id: string, flags: GetFlags, command: Command) => {
    const maxBytes = maxResultBytes(flags.maxResultSize)
    const api = await ctx.api(command)
    const view = await api.getJob(id, { namespace: flags.namespace, signal: ctx.signal }).catch(jobNotFound(id))
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
    const outputDir = flags.outputDir ?? defaultJobFolder(id, flags.namespace)
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(flags.downloadTimeoutSecs * 1000)])
    const config = await ctx.config(command)
    const written = await downloadResults(results, {
      outputDir: outputDir.startsWith('/') ? outputDir : `${ctx.io.cwd}/${outputDir}`,
      fetch: ctx.io.fetch,
      // ipfs results come from the requester's gateway, which pinned them when they completed.
      gateway: { url: config.apiUrl.value, token: config.apiToken?.value },
      raw: flags.raw,
      maxBytes,
      signal,
    })
    ctx.err(`Results for job ${view.Job.ID} (${results.length} execution${results.length === 1 ? '' : 's'}, ${written.files} files${flags.raw ? `, one folder each under ${RAW_FOLDER}/` : ''}) written to:\n`)
    ctx.out(`${written.dir}\n`)
  })
  return get
}
