import { Command, CommanderError, Help, Option } from 'commander'
import { AbortError } from '@shoal/models'
import { CliContext, type CliDependencies } from './cli-context.ts'
import { reportFailure } from './cli-errors.ts'
import { ExitCode } from './exit-codes.ts'
import { agentCommand } from './commands/agent-command.ts'
import { configCommand } from './commands/config-command.ts'
import { dockerCommand } from './commands/docker-command.ts'
import { jobCommand } from './commands/job-command.ts'
import { nodeCommand } from './commands/node-command.ts'
import { devstackCommand, serveCommand } from './commands/server-commands.ts'
import { CLIENT_VERSION, versionCommand } from './commands/version-command.ts'
import { wasmCommand } from './commands/wasm-command.ts'

/** Boolean flags that also accept Bacalhau/pflag's `--flag=true|false` spelling. */
const BOOLEAN_FLAGS = new Set([
  'wait', 'follow', 'id-only', 'dry-run', 'wide', 'hide-header', 'client', 'quiet', 'force', 'all', 'reverse',
  'order-reversed', 'manual-approval', 'deterministic', 'hide-warnings', 'orchestrator', 'compute', 'template', 'style', 'node-details',
  'pretty', 'raw', 'tail', 'all-versions', 'group-events',
])

/** Root options that take a value (their value is not a command name). */
const ROOT_VALUE_OPTIONS = new Set(['--api-host', '--api-port', '--api-url', '--api-token'])

/**
 * True when `--version` comes before any command (`shoal --version`). The root program does not
 * declare --version as an option: commander would take it from anywhere on the line, and
 * `job describe|logs|rerun|… --version N` is Bacalhau's job version flag.
 */
export function asksForClientVersion(args: readonly string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg === '--version') return true
    if (arg === '--' || !arg.startsWith('-')) return false
    if (ROOT_VALUE_OPTIONS.has(arg)) i++
  }
  return false
}

/** Rewrites `--wait=false` to `--no-wait` and `--wait=true` to `--wait` (pflag syntax), up to `--`. */
export function normalizeBooleanFlags(args: readonly string[]): string[] {
  const out: string[] = []
  let passthrough = false
  for (const arg of args) {
    if (passthrough || arg === '--') {
      passthrough = true
      out.push(arg)
      continue
    }
    const match = /^--([a-z-]+)=(true|false|1|0)$/i.exec(arg)
    if (match && BOOLEAN_FLAGS.has(match[1])) out.push(/^(true|1)$/i.test(match[2]) ? `--${match[1]}` : `--no-${match[1]}`)
    else out.push(arg)
  }
  return out
}

function eachCommand(command: Command, fn: (command: Command) => void): void {
  fn(command)
  for (const sub of command.commands) eachCommand(sub, fn)
}

/** The `shoal` program with every command, writing through `ctx.io`. */
export function createProgram(ctx: CliContext): Command {
  const program = new Command('shoal')
    .description('Shoal: a WebAssembly compute network that speaks Bacalhau. Submit jobs, watch them, fetch their results.')
    .configureHelp({
      // --version is handled before parsing (see asksForClientVersion); list it with the root's options.
      visibleOptions(command: Command): Option[] {
        const options = Help.prototype.visibleOptions.call(this, command)
        return command.parent ? options : [new Option('--version', 'print the client version'), ...options]
      },
    })
    .addOption(new Option('--api-host <host>', 'requester host (env BACALHAU_API_HOST; default 127.0.0.1)'))
    .addOption(new Option('--api-port <port>', 'requester port (env BACALHAU_API_PORT; default 1234)'))
    .addOption(new Option('--api-url <url>', 'requester URL, e.g. https://shoal.example.com (env SHOAL_API_URL)'))
    .addOption(new Option('--api-token <token>', 'bearer token for the requester (env SHOAL_API_TOKEN)'))
    .addHelpText(
      'after',
      `
The requester is found from, highest first: flags, env (SHOAL_API_URL, BACALHAU_API_HOST,
BACALHAU_API_PORT, SHOAL_API_TOKEN), the config file (~/.shoal/config.yaml or
$SHOAL_DIR/config.yaml; see \`shoal config list\`), then http://127.0.0.1:1234.

Examples:
  shoal devstack                          start a local network (requester + 3 compute nodes)
  shoal wasm run hello.wasm               run a module, wait, print its output
  shoal docker run ubuntu echo hello      run a container image (needs a node offering docker)
  shoal job run job.yaml                  run a Bacalhau job spec
  shoal job list                          recent jobs
  shoal job get j-1234abcd                download a job's results
  shoal --api-url http://10.0.0.5:1234 node list

Exit codes: 0 ok, 1 failed (invalid input, job failed, not found), 2 usage error,
3 requester unreachable, 130 interrupted. SHOAL_DEBUG=1 prints stack traces.`,
    )
  program.addCommand(versionCommand(ctx))
  program.addCommand(jobCommand(ctx))
  program.addCommand(wasmCommand(ctx))
  program.addCommand(dockerCommand(ctx))
  program.addCommand(nodeCommand(ctx))
  program.addCommand(agentCommand(ctx))
  program.addCommand(configCommand(ctx))
  program.addCommand(serveCommand(ctx))
  program.addCommand(devstackCommand(ctx))
  eachCommand(program, (command) => {
    command
      .exitOverride()
      .showHelpAfterError('(add --help for usage)')
      .configureOutput({
        writeOut: (text) => ctx.io.stdout.write(text),
        writeErr: (text) => ctx.io.stderr.write(text),
        outputError: (text, write) => write(text.replace(/^error: /, 'Error: ')),
      })
    if (command !== program) command.helpCommand(false)
  })
  return program
}

/** Runs the CLI with `args` (without node and script); resolves with the exit code. Never throws. */
export async function runCli(args: readonly string[], deps: CliDependencies): Promise<number> {
  const ctx = new CliContext(deps)
  const program = createProgram(ctx)
  if (asksForClientVersion(args)) {
    deps.io.stdout.write(`v${CLIENT_VERSION}\n`)
    return ExitCode.Ok
  }
  try {
    await program.parseAsync(normalizeBooleanFlags(args), { from: 'user' })
    return ExitCode.Ok
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed') return ExitCode.Ok
      return ExitCode.Usage
    }
    if (ctx.signal.aborted && (error === ctx.signal.reason || error instanceof AbortError || (error as Error)?.name === 'AbortError')) {
      deps.io.stderr.write('\nInterrupted. A submitted job keeps running; see `shoal job list`.\n')
      return ExitCode.Interrupted
    }
    const report = reportFailure(error, { apiUrl: ctx.apiUrl, apiTokenSent: ctx.apiTokenSent, debug: deps.io.env.SHOAL_DEBUG === '1' })
    deps.io.stderr.write(`${report.lines.join('\n')}\n`)
    return report.exitCode
  }
}
