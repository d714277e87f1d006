import { readFile } from 'node:fs/promises'
import { Command, Option } from 'commander'
import { BadRequestError, ValidationError } from '@shoal/models'
import type { CliContext, DevstackCommandOptions, ServeCommandOptions } from '../cli-context.ts'
import { CONFIG_KEYS, configFilePath, parseApiTokens, devstackSettings, parseAllowListedPaths, readConfigFile, resolveConfig, serveSettings, type EffectiveConfig } from '../cli-config.ts'
import { collect } from '../command-flags.ts'

export { parseAllowListedPaths }

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

/** A flag that sets a configuration key; its help names the env variable, the key and the default. */
interface ConfigFlag {
  key: string
  /** Commander's flag syntax, e.g. `--port <port>`. */
  flags: string
  text: string
  /** How the default reads in help when it is not a plain value. */
  defaultText?: string
  repeatable?: boolean
  /** Help of the `--no-…` form of a boolean flag, which sets the key to false. */
  negated?: string
}

function configOption(flag: ConfigFlag): Option {
  const spec = CONFIG_KEYS[flag.key]
  const fallback = flag.defaultText ?? (typeof spec.default === 'string' ? spec.default : undefined)
  const where = [`env ${spec.env.join(', ')}`, `config ${flag.key}`, ...(fallback === undefined ? [] : [`default ${fallback}`])].join('; ')
  const option = new Option(flag.flags, `${flag.text} (${where})`)
  // No commander default: an absent flag must not hide the env and the config file.
  return flag.repeatable ? option.argParser(collect) : option
}

/** Adds the flags, returning a function that reads the given ones back as values by config key (a later flag of the same key wins). */
function addConfigFlags(command: Command, flags: readonly ConfigFlag[]): (parsed: Record<string, unknown>) => Record<string, string | undefined> {
  const attributes: [string, string][] = []
  for (const flag of flags) {
    const option = configOption(flag)
    command.addOption(option)
    if (flag.negated) command.addOption(new Option(`--no-${option.name()}`, flag.negated))
    attributes.push([option.attributeName(), flag.key])
  }
  return (parsed) => {
    const byKey: Record<string, string | undefined> = {}
    for (const [attribute, key] of attributes) {
      const value = parsed[attribute]
      if (Array.isArray(value) && value.length > 0) byKey[key] = value.join(',')
      else if (typeof value === 'boolean') byKey[key] = String(value)
      else if (typeof value === 'string') byKey[key] = value
    }
    return byKey
  }
}

async function effectiveConfig(ctx: CliContext, flags: Record<string, string | undefined>): Promise<EffectiveConfig> {
  const path = configFilePath(ctx.io.env, ctx.io.home)
  // Only the keys the command reads are checked, by serveSettings/devstackSettings.
  return resolveConfig({ file: await readConfigFile(path), env: ctx.io.env, flags, path, validate: [] })
}

const SERVE_FLAGS: readonly ConfigFlag[] = [
  { key: 'serve.host', flags: '--host <host>', text: 'interface every listener binds (use 0.0.0.0 to accept other machines)' },
  { key: 'serve.port', flags: '--port <port>', text: 'port of the REST API' },
  { key: 'serve.data-dir', flags: '--data-dir <dir>', text: 'where jobs, results and keys are kept', defaultText: '$SHOAL_DIR/data or ~/.shoal/data' },
  { key: 'serve.peer-port', flags: '--peer-port <port>', text: 'port of the compute protocol listener', defaultText: 'API port + 1' },
  { key: 'compute.labels', flags: '-l, --compute-labels <k=v>', text: 'labels of this compute node, matched by job constraints (repeatable)', repeatable: true },
  { key: 'compute.allow-listed-local-paths', flags: '--allow-listed-local-paths <path[:ro|:rw]>', text: 'host paths jobs may mount with file:// inputs; read-only unless :rw (repeatable)', repeatable: true },
  { key: 'serve.join-token', flags: '--join-token <token>', text: 'secret compute nodes must present to join (and that this compute node presents)' },
  { key: 'serve.api-tokens', flags: '--api-tokens <token:scopes;...>', text: 'require bearer tokens on the REST API, e.g. "t1:read,write;t2:read"', defaultText: 'none: the API is open' },
  { key: 'serve.api-tokens-file', flags: '--api-tokens-file <file>', text: 'file of API tokens, one "token:read,write" a line; added to --api-tokens' },
  { key: 'serve.insecure', flags: '--insecure', text: 'listen beyond loopback without API tokens or a join token (prints why it is unsafe on every start)' },
  { key: 'serve.tls-cert', flags: '--tls-cert <file>', text: 'PEM certificate: serve the REST API and dashboard over HTTPS (with --tls-key)' },
  { key: 'serve.tls-key', flags: '--tls-key <file>', text: 'PEM private key of --tls-cert' },
  { key: 'serve.default-queue-timeout', flags: '--default-queue-timeout <seconds>', text: 'how long a job that sets no QueueTimeout may wait for a node (0: a job no node can run fails at once, as Bacalhau)' },
  { key: 'serve.default-execution-timeout', flags: '--default-execution-timeout <duration>', text: 'ExecutionTimeout of batch and ops jobs that set none, e.g. 10m or 600 (0 = none)' },
  { key: 'serve.manual-approval', flags: '--manual-approval', text: 'new compute nodes wait in PENDING until `shoal node approve`', negated: 'admit new compute nodes at once, whatever env and config file say' },
  { key: 'compute.capacity-cpu', flags: '--capacity-cpu <quantity>', text: 'CPU this compute node offers, e.g. 2 or 1500m', defaultText: 'all cores' },
  { key: 'compute.capacity-memory', flags: '--capacity-memory <quantity>', text: 'memory this compute node offers, e.g. 4Gb', defaultText: '80% of free memory' },
  { key: 'compute.disk-budget', flags: '--disk-budget <quantity>', text: 'disk this compute node offers for job data in its data dir, e.g. 20GiB', defaultText: '10 GiB, at most half the free space' },
  { key: 'compute.requester', flags: '--requester <multiaddr>', text: 'the requester a --compute node connects to, e.g. /ip4/10.0.0.5/tcp/1235/ws' },
  { key: 'compute.allow-url-hosts', flags: '--allow-url-hosts <hosts>', text: 'loopback/link-local/private hosts, addresses or CIDR ranges URL inputs may still be fetched from (repeatable)', repeatable: true },
  { key: 'compute.publisher-url', flags: '--publisher-url <url>', text: 'public base URL under which this compute node serves `local` published results' },
  { key: 'ipfs.peers', flags: '--ipfs-peers <multiaddrs>', text: 'IPFS peers to keep connected, each ending in /p2p/<peer id> (repeatable)', defaultText: 'none: hermetic', repeatable: true },
  { key: 'ipfs.public', flags: '--ipfs-public', text: 'join the public IPFS network (bootstrap peers, delegated routing)' },
  { key: 'ipfs.read-timeout', flags: '--ipfs-read-timeout <duration>', text: 'longest a compute node waits for an ipfs input\'s root block before the input fails, e.g. 30s' },
  { key: 'ipfs.pin-timeout', flags: '--ipfs-pin-timeout <duration>', text: 'longest a requester fetches an ipfs-published result before the execution fails, e.g. 10m (0 = no limit)' },
  { key: 'ipfs.pin-max-size', flags: '--ipfs-pin-max-size <size>', text: 'largest ipfs-published result a requester keeps, e.g. 10Gi' },
  { key: 'compute.docker', flags: '--docker <auto|true|false>', text: 'run docker jobs on the local dockerd (auto: when it answers)' },
  { key: 'compute.docker-pull', flags: '--docker-pull <policy>', text: 'when docker images are pulled: if-missing, always, never' },
  { key: 'compute.docker-user', flags: '--docker-user <uid[:gid]>', text: 'user containers run as', defaultText: "the image's" },
  { key: 'compute.allow-networks', flags: '--allow-networks <types>', text: 'network types jobs may ask for besides None, e.g. Host,Full (repeatable)', repeatable: true },
]

/** The tokens of `--api-tokens` plus those of the tokens file; a token in both must be listed once. */
async function withTokensFile(tokens: ServeCommandOptions['apiTokens'], path: string): Promise<NonNullable<ServeCommandOptions['apiTokens']>> {
  let content: string
  try {
    content = await readFile(path, 'utf8')
  } catch (error) {
    throw new BadRequestError(`cannot read the API tokens file ${path}: ${(error as Error).message}`, {
      cause: error,
      hint: 'Check serve.api-tokens-file (--api-tokens-file, SHOAL_API_TOKENS_FILE) names a readable file.',
    })
  }
  const fromFile = parseApiTokens(content, `serve.api-tokens-file ${path}`)
  if (fromFile.length === 0) throw new BadRequestError(`the API tokens file ${path} lists no token`, { hint: 'Write one "token:read,write" a line, or unset serve.api-tokens-file.' })
  const all = [...(tokens ?? []), ...fromFile]
  // parseApiTokens rejects a token listed twice; check across both sources the same way.
  parseApiTokens(all.map((t) => `${t.token}:${t.scopes.join(',')}`).join(';'))
  return all
}

/** `shoal serve`: run a requester (orchestrator), a compute node, or both, until interrupted. */
export function serveCommand(ctx: CliContext): Command {
  const command = new Command('serve')
    .description('Run a Shoal node: a requester (--orchestrator), a compute node (--compute), or both (the default when neither is given)')
    .option('--orchestrator', 'run the requester: REST API, scheduler, job store')
    .option('--compute', 'run a compute node that executes WASM jobs')
  const readFlags = addConfigFlags(command, SERVE_FLAGS)
  return command
    .addHelpText(
      'after',
      `
Every setting also comes from the environment or the config file (see \`shoal config list\`);
flags override env, env overrides the file, the file overrides the defaults.

Examples:
  shoal serve                                        requester + compute node on 127.0.0.1:1234
  shoal serve --orchestrator --host 0.0.0.0          a requester other machines can reach
  shoal serve --compute --requester /ip4/10.0.0.5/tcp/1235/ws -l region=eu --capacity-cpu 2
  shoal serve --orchestrator --manual-approval --join-token s3cr3t
  shoal serve --orchestrator --api-tokens 'ops-7f3a:read,write,admin;viewer-91c2:read'
  shoal serve --orchestrator --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem --api-tokens-file tokens --join-token s3cr3t
  SHOAL_PORT=8080 shoal serve`,
    )
    .action(async (flags: Record<string, unknown> & { orchestrator?: boolean; compute?: boolean }) => {
      const { apiTokensFile, ...settings } = serveSettings(await effectiveConfig(ctx, readFlags(flags)))
      const both = !flags.orchestrator && !flags.compute
      const options: ServeCommandOptions = {
        orchestrator: both || flags.orchestrator === true,
        compute: both || flags.compute === true,
        ...settings,
        apiTokens: apiTokensFile === undefined ? settings.apiTokens : await withTokensFile(settings.apiTokens, apiTokensFile),
        signal: ctx.signal,
      }
      if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
        const [given, missing] = options.tlsCert === undefined ? ['--tls-key', '--tls-cert'] : ['--tls-cert', '--tls-key']
        throw new ValidationError([{ path: missing, message: `${given} needs ${missing} too: HTTPS takes a certificate and its private key` }], {
          hint: 'Pass both (or set SHOAL_TLS_CERT and SHOAL_TLS_KEY, or serve.tls-cert and serve.tls-key in the config file), or neither for plain HTTP.',
        })
      }
      if (options.compute && !options.orchestrator && !options.requester) {
        throw new ValidationError([{ path: '--requester', message: 'a compute-only node needs the requester to connect to' }], {
          hint: 'Pass --requester <multiaddr> (or set SHOAL_REQUESTER, or compute.requester in the config file), or also --orchestrator.',
        })
      }
      const run = ctx.deps.runServe ?? (await loadRunner<ServeCommandOptions>(SERVE_MODULE, 'runServe'))
      await run(options)
    })
}

const DEVSTACK_FLAGS: readonly ConfigFlag[] = [
  { key: 'devstack.computes', flags: '--computes <n>', text: 'number of compute nodes' },
  // After --computes, so that given both, --compute-nodes wins as it always has.
  { key: 'devstack.computes', flags: '--compute-nodes <n>', text: 'same as --computes (Bacalhau spelling)' },
  { key: 'serve.host', flags: '--host <host>', text: 'interface every listener binds' },
  { key: 'serve.port', flags: '--port <port>', text: 'port of the REST API' },
  { key: 'devstack.data-dir', flags: '--data-dir <dir>', text: 'keep state here', defaultText: 'a fresh temporary directory, removed on exit' },
  { key: 'devstack.browsers', flags: '--browsers <n>', text: 'headless Chromium tabs to start as compute nodes (needs the built page: npm run build:web)' },
  { key: 'compute.allow-listed-local-paths', flags: '--allow-listed-local-paths <path[:ro|:rw]>', text: 'host paths jobs may mount with file:// inputs; read-only unless :rw (repeatable)', repeatable: true },
  { key: 'compute.allow-url-hosts', flags: '--allow-url-hosts <hosts>', text: 'loopback/link-local/private hosts, addresses or CIDR ranges URL inputs may still be fetched from (repeatable)', repeatable: true },
  { key: 'serve.insecure', flags: '--insecure', text: 'listen beyond loopback although devstack has no API tokens (prints why it is unsafe on every start)' },
  { key: 'compute.docker', flags: '--docker <auto|true|false>', text: 'let the compute nodes run docker jobs on the local dockerd (auto: when it answers)' },
]

/** `shoal devstack`: a requester and N compute nodes in one process, for trying Shoal locally. */
export function devstackCommand(ctx: CliContext): Command {
  const command = new Command('devstack').description('Run a local network in one process: a requester and N compute nodes (what `npm start` runs)')
  const readFlags = addConfigFlags(command, DEVSTACK_FLAGS)
  return command
    .addHelpText(
      'after',
      `
Settings also come from the environment or the config file (see \`shoal config list\`):
devstack.* keys, plus serve.host, serve.port, compute.allow-listed-local-paths,
compute.allow-url-hosts and compute.docker.

Examples:
  shoal devstack                        requester + 3 compute nodes on 127.0.0.1:1234
  shoal devstack --computes 1 --port 8080
  # in another terminal:
  shoal wasm run hello.wasm`,
    )
    .action(async (flags: Record<string, unknown>) => {
      const settings = devstackSettings(await effectiveConfig(ctx, readFlags(flags)))
      const options: DevstackCommandOptions = { ...settings, signal: ctx.signal }
      const run = ctx.deps.runDevstack ?? (await loadRunner<DevstackCommandOptions>(DEVSTACK_MODULE, 'runDevstack'))
      await run(options)
    })
}
