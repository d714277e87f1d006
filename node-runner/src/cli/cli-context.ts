import type { Command } from 'commander'
import { createClient, type ShoalClient } from '@shoal/client'
import type { CliIo } from './cli-io.ts'
import { configFilePath, readConfigFile, resolveConfig, type EffectiveConfig } from './cli-config.ts'
import { OUTPUT_FORMATS, type OutputFormat, type OutputOptions } from './output-format.ts'
import { BadRequestError } from '@shoal/models'
import type { IpfsSettings } from '../ipfs/ipfs-settings.ts'
import type { PluginStatus } from '@shoal/interface'
import type { ComputePluginSettings } from '../serve/compute-plugins.ts'

/** Options object passed to `runServe` (node-runner/src/serve). */
export interface ServeCommandOptions {
  orchestrator: boolean
  compute: boolean
  host: string
  port: number
  dataDir?: string
  peerPort?: number
  /** serve.compute-transports: what the requester accepts compute nodes on (default both). */
  computeTransports?: Array<'libp2p' | 'websocket'>
  computeLabels: Record<string, string>
  allowListedLocalPaths: { path: string; readWrite: boolean }[]
  joinToken?: string
  manualApproval: boolean
  /** QueueTimeout (s) of jobs that set none (serve.default-queue-timeout); 0 = fail at once. */
  defaultQueueTimeoutS?: number
  /** Nodes with all of these labels take only verified jobs (serve.verification-required-labels). */
  verificationRequiredLabels?: Record<string, string>
  /** ExecutionTimeout (s) of batch and ops jobs that set none; 0 = none (default 600). */
  defaultExecutionTimeoutS?: number
  /** Bearer tokens the requester's REST API requires; undefined = the API is open. */
  apiTokens?: { token: string; scopes: ('read' | 'write' | 'admin')[] }[]
  capacityCpu?: string
  capacityMemory?: string
  /** Disk budget for job data, e.g. "20GiB"; undefined = the default. */
  diskBudget?: string
  /** The requester a compute-only node joins: API URL, ws(s):// URL or multiaddr. */
  requester?: string
  publisherUrl?: string
  /** compute.docker: auto (offered when dockerd answers), true, false. */
  docker?: 'auto' | 'true' | 'false'
  /** compute.docker-pull. */
  dockerPull?: 'if-missing' | 'always' | 'never'
  /** compute.docker-user: containers run as this user. */
  dockerUser?: string
  /** compute.allow-networks: network types jobs may ask for besides None. */
  allowNetworks?: string[]
  /** compute.disabled-engines / -input-sources / -publishers: plug-in types not offered. */
  disabledEngines?: string[]
  disabledInputSources?: string[]
  disabledPublishers?: string[]
  /** Refused (loopback, private…) hosts URL inputs may still be fetched from. */
  allowUrlHosts: string[]
  /** Listen beyond loopback without API tokens or a join token (warned about on every start). */
  insecure: boolean
  /** PEM certificate and key files: serve the REST API over HTTPS. */
  tlsCert?: string
  tlsKey?: string
  /** IPFS peers and network of the node's Helia, and how the requester keeps ipfs results; hermetic when absent. */
  ipfs?: IpfsSettings
  signal: AbortSignal
}

/** Options object passed to `runDevstack` (node-runner/src/devstack). */
export interface DevstackCommandOptions {
  computes: number
  host: string
  port: number
  /** Undefined = a fresh temporary directory, removed on exit. */
  dataDir?: string
  browsers: number
  /** Host paths the compute nodes let jobs mount (`file://` inputs). */
  allowListedLocalPaths?: { path: string; readWrite: boolean }[]
  /** Refused (loopback, private…) hosts URL inputs may still be fetched from. */
  allowUrlHosts?: string[]
  /** Listen beyond loopback although devstack has no API tokens (warned about on every start). */
  insecure?: boolean
  /** compute.docker of the compute nodes: auto (default), true or false. */
  docker?: 'auto' | 'true' | 'false'
  /** compute.disabled-engines / -input-sources / -publishers of the compute nodes. */
  disabledEngines?: string[]
  disabledInputSources?: string[]
  disabledPublishers?: string[]
  signal: AbortSignal
}

/** What the CLI depends on; tests replace any part. */
export interface CliDependencies {
  io: CliIo
  runServe?: (options: ServeCommandOptions) => Promise<unknown>
  runDevstack?: (options: DevstackCommandOptions) => Promise<unknown>
  /**
   * Checks what a compute node with these settings would offer, for `config list` (default:
   * node-runner's plug-ins, checked for real: dockerd, git, AWS credentials with `probe`).
   */
  checkPlugins?: (settings: ComputePluginSettings, options: { signal?: AbortSignal; probe?: boolean }) => Promise<PluginStatus[]>
  /** Aborted on SIGINT/SIGTERM. */
  signal?: AbortSignal
}

/** Global flags, as commander parses them on the root program. */
export interface GlobalFlags {
  apiHost?: string
  apiPort?: string
  apiUrl?: string
  apiToken?: string
}

/** Per-invocation state shared by the commands: configuration, API client, streams. */
export class CliContext {
  readonly io: CliIo
  readonly deps: CliDependencies
  readonly signal: AbortSignal
  /** The requester URL in use, once resolved (for error messages). */
  apiUrl?: string
  /** Whether an API token is configured for requests, once the configuration is resolved. */
  apiTokenSent = false
  #config?: EffectiveConfig

  constructor(deps: CliDependencies) {
    this.deps = deps
    this.io = deps.io
    this.signal = deps.signal ?? new AbortController().signal
  }

  /** The effective configuration: flags > env > config file > defaults. */
  async config(command: Command): Promise<EffectiveConfig> {
    if (this.#config) return this.#config
    const flags = command.optsWithGlobals<GlobalFlags>()
    const path = configFilePath(this.io.env, this.io.home)
    const file = await readConfigFile(path)
    this.#config = resolveConfig({
      file,
      env: this.io.env,
      path,
      flags: { 'api.host': flags.apiHost, 'api.port': flags.apiPort, 'api.url': flags.apiUrl, 'api.token': flags.apiToken },
    })
    this.apiUrl = this.#config.apiUrl.value
    this.apiTokenSent = this.#config.apiToken !== undefined
    return this.#config
  }

  /** The API client for the configured requester. */
  async api(command: Command): Promise<ShoalClient> {
    const config = await this.config(command)
    return createClient({ baseUrl: config.apiUrl.value, token: config.apiToken?.value, fetch: this.io.fetch })
  }

  /** Output options from flags; tables are plain (no bold header) unless stdout is a terminal. */
  output(flags: OutputFlags, allowed: readonly OutputFormat[] = OUTPUT_FORMATS, fallback: OutputFormat = allowed[0]): OutputOptions {
    const options = outputOptions(flags, allowed, fallback)
    if (this.io.stdout.isTTY !== true || (this.io.env.NO_COLOR ?? '') !== '') options.noStyle = true
    return options
  }

  /** Writes to stdout. */
  out(text: string): void {
    this.io.stdout.write(text)
  }

  /** Writes to stderr. */
  err(text: string): void {
    this.io.stderr.write(text)
  }
}

/** Output flags shared by commands that print data. */
export interface OutputFlags {
  output?: string
  wide?: boolean
  hideHeader?: boolean
  style?: boolean
  pretty?: boolean
}

/** Reads --output/--pretty/--wide/--hide-header/--no-style; `allowed` narrows the formats. */
export function outputOptions(flags: OutputFlags, allowed: readonly OutputFormat[] = OUTPUT_FORMATS, fallback: OutputFormat = allowed[0]): OutputOptions {
  const output = (flags.output ?? fallback).toLowerCase() as OutputFormat
  if (!allowed.includes(output)) {
    throw new BadRequestError(`--output ${flags.output} is not supported here`, { hint: `Use one of: ${allowed.join(', ')}.` })
  }
  return { output, pretty: flags.pretty ?? false, wide: flags.wide ?? false, hideHeader: flags.hideHeader ?? false, noStyle: flags.style === false }
}
