import { join } from 'node:path'
import { Command } from 'commander'
import { BadRequestError, ValidationError } from '@shoal/models'
import type { CliContext, DevstackCommandOptions, ServeCommandOptions } from '../cli-context.ts'
import { configDirectory } from '../cli-config.ts'
import { collect, wholeNumber } from '../command-flags.ts'
import { parseLabels } from '../storage-spec.ts'

/** Parses --allow-listed-local-paths values `path[:ro|:rw]` (read-only unless :rw). */
export function parseAllowListedPaths(values: readonly string[]): { path: string; readWrite: boolean }[] {
  return values.map((value) => {
    const match = /^(.*?)(?::(ro|rw))?$/.exec(value)!
    const path = match[1]
    if (!path.startsWith('/')) throw new ValidationError([{ path: '--allow-listed-local-paths', message: `"${value}" must be an absolute path, optionally followed by :ro or :rw` }])
    return { path, readWrite: match[2] === 'rw' }
  })
}

type Runner<T> = (options: T) => Promise<unknown>

async function loadRunner<T>(specifier: string, name: string): Promise<Runner<T>> {
  let module: Record<string, unknown>
  try {
    module = (await import(specifier)) as Record<string, unknown>
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(specifier)) {
      throw new BadRequestError(`this build of shoal has no ${name} yet (${specifier} is missing)`, { cause: error, hint: 'Update your checkout, or run against an existing requester with SHOAL_API_URL.' })
    }
    throw error
  }
  const fn = module[name]
  if (typeof fn !== 'function') throw new BadRequestError(`${specifier} does not export ${name}`)
  return fn as Runner<T>
}

// Specifiers kept in variables so the CLI loads (and typechecks) before the server modules exist.
const SERVE_MODULE = new URL('../../serve/index.ts', import.meta.url).href
const DEVSTACK_MODULE = new URL('../../devstack/index.ts', import.meta.url).href

/** `shoal serve`: run a requester (orchestrator), a compute node, or both, until interrupted. */
export function serveCommand(ctx: CliContext): Command {
  return new Command('serve')
    .description('Run a Shoal node: a requester (--orchestrator), a compute node (--compute), or both (the default when neither is given)')
    .option('--orchestrator', 'run the requester: REST API, scheduler, job store')
    .option('--compute', 'run a compute node that executes WASM jobs')
    .option('--host <host>', 'interface the API listens on (use 0.0.0.0 to accept other machines)', '127.0.0.1')
    .option('--port <port>', 'port of the REST API', wholeNumber('--port'), 1234)
    .option('--data-dir <dir>', 'where jobs, results and keys are kept (default $SHOAL_DIR/data or ~/.shoal/data)')
    .option('--peer-port <port>', 'port of the compute protocol listener (default: chosen by the node)', wholeNumber('--peer-port'))
    .option('-l, --compute-labels <k=v>', 'labels of this compute node, matched by job constraints (repeatable)', collect, [])
    .option('--allow-listed-local-paths <path[:ro|:rw]>', 'host paths jobs may mount with file:// inputs; read-only unless :rw (repeatable)', collect, [])
    .option('--join-token <token>', 'secret compute nodes must present to join (and that this compute node presents)')
    .option('--manual-approval', 'new compute nodes wait in PENDING until `shoal node approve`')
    .option('--capacity-cpu <quantity>', 'CPU this compute node offers, e.g. 2 or 1500m (default: all cores)')
    .option('--capacity-memory <quantity>', 'memory this compute node offers, e.g. 4Gb (default: most of free memory)')
    .option('--requester <multiaddr>', 'the requester a --compute node connects to, e.g. /ip4/10.0.0.5/tcp/1235/ws')
    .option('--publisher-url <url>', 'public base URL under which this compute node serves `local` published results')
    .addHelpText(
      'after',
      `
Examples:
  shoal serve                                        requester + compute node on 127.0.0.1:1234
  shoal serve --orchestrator --host 0.0.0.0          a requester other machines can reach
  shoal serve --compute --requester /ip4/10.0.0.5/tcp/1235/ws -l region=eu --capacity-cpu 2
  shoal serve --orchestrator --manual-approval --join-token s3cr3t`,
    )
    .action(async (flags: { orchestrator?: boolean; compute?: boolean; host: string; port: number; dataDir?: string; peerPort?: number; computeLabels: string[]; allowListedLocalPaths: string[]; joinToken?: string; manualApproval?: boolean; capacityCpu?: string; capacityMemory?: string; requester?: string; publisherUrl?: string }) => {
      const both = !flags.orchestrator && !flags.compute
      const options: ServeCommandOptions = {
        orchestrator: both || flags.orchestrator === true,
        compute: both || flags.compute === true,
        host: flags.host,
        port: flags.port,
        dataDir: flags.dataDir ?? join(configDirectory(ctx.io.env, ctx.io.home), 'data'),
        peerPort: flags.peerPort,
        computeLabels: parseLabels(flags.computeLabels, '--compute-labels'),
        allowListedLocalPaths: parseAllowListedPaths(flags.allowListedLocalPaths),
        joinToken: flags.joinToken,
        manualApproval: flags.manualApproval === true,
        capacityCpu: flags.capacityCpu,
        capacityMemory: flags.capacityMemory,
        requester: flags.requester,
        publisherUrl: flags.publisherUrl,
        signal: ctx.signal,
      }
      if (options.compute && !options.orchestrator && !options.requester) {
        throw new ValidationError([{ path: '--requester', message: 'a compute-only node needs the requester to connect to' }], { hint: 'Pass --requester <multiaddr>, or also --orchestrator.' })
      }
      const run = ctx.deps.runServe ?? (await loadRunner<ServeCommandOptions>(SERVE_MODULE, 'runServe'))
      await run(options)
    })
}

/** `shoal devstack`: a requester and N compute nodes in one process, for trying Shoal locally. */
export function devstackCommand(ctx: CliContext): Command {
  return new Command('devstack')
    .description('Run a local network in one process: a requester and N compute nodes (what `npm start` runs)')
    .option('--computes <n>', 'number of compute nodes', wholeNumber('--computes'), 3)
    .option('--compute-nodes <n>', 'same as --computes (Bacalhau spelling)', wholeNumber('--compute-nodes'))
    .option('--host <host>', 'interface the API listens on', '127.0.0.1')
    .option('--port <port>', 'port of the REST API', wholeNumber('--port'), 1234)
    .option('--data-dir <dir>', 'keep state here (default: a fresh temporary directory, removed on exit)')
    .option('--browsers <n>', 'headless browser compute nodes to start (for later; 0 today)', wholeNumber('--browsers'), 0)
    .option('--allow-listed-local-paths <path[:ro|:rw]>', 'host paths jobs may mount with file:// inputs; read-only unless :rw (repeatable)', collect, [])
    .addHelpText(
      'after',
      `
Examples:
  shoal devstack                        requester + 3 compute nodes on 127.0.0.1:1234
  shoal devstack --computes 1 --port 8080
  # in another terminal:
  shoal wasm run hello.wasm`,
    )
    .action(async (flags: { computes: number; computeNodes?: number; host: string; port: number; dataDir?: string; browsers: number; allowListedLocalPaths: string[] }) => {
      const options: DevstackCommandOptions = {
        computes: flags.computeNodes ?? flags.computes,
        host: flags.host,
        port: flags.port,
        dataDir: flags.dataDir,
        browsers: flags.browsers,
        allowListedLocalPaths: parseAllowListedPaths(flags.allowListedLocalPaths),
        signal: ctx.signal,
      }
      const run = ctx.deps.runDevstack ?? (await loadRunner<DevstackCommandOptions>(DEVSTACK_MODULE, 'runDevstack'))
      await run(options)
    })
}
