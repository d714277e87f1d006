import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { parse as parseYaml, stringify as toYaml } from 'yaml'
import { BadRequestError, pluginTypeProblems, ValidationError, tryParseBytes, tryParseCpu } from '@shoal/models'
import { parseLabels } from './storage-spec.ts'
import type { IpfsSettings } from '../ipfs/ipfs-settings.ts'
import type { ComputePluginSettings } from '../serve/compute-plugins.ts'

/** Where a configuration value came from, lowest precedence first. */
export const CONFIG_SOURCES = ['default', 'file', 'env', 'flag'] as const
/** Where a configuration value came from. */
export type ConfigSource = (typeof CONFIG_SOURCES)[number]

/** The commands a configuration key belongs to, in the order `config list` prints them. */
export const CONFIG_GROUPS = ['api', 'serve', 'compute', 'ipfs', 'devstack'] as const
/** The command a configuration key belongs to: the CLI client, a node, its compute side, its IPFS node, devstack. */
export type ConfigGroup = (typeof CONFIG_GROUPS)[number]

/** How a value is stored in the config file: a YAML string, number, boolean, list or mapping. */
export type ConfigValueType = 'string' | 'number' | 'boolean' | 'list' | 'map'

/** What a computed default may depend on. */
export interface ConfigDefaultContext {
  /** The directory of the config file: $SHOAL_DIR, else ~/.shoal. */
  configDirectory: string
}

/** One configuration key the CLI understands. */
export interface ConfigKeySpec {
  description: string
  /** Environment variables that set it, first one found wins. */
  env: string[]
  /** The command-line flag that sets it, e.g. `--port`. */
  flag?: string
  default?: string | ((context: ConfigDefaultContext) => string)
  /** Printed masked by `config list`. */
  secret?: boolean
  /** How `config set` writes it; lists and maps are comma-separated text everywhere else. Default string. */
  type?: ConfigValueType
  /** Bacalhau's key for the same setting; also accepted in the config file and by `config set`. */
  bacalhau?: string[]
  validate?: (value: string) => string | undefined
}

/** A host path jobs may mount through `file://` inputs. */
export interface AllowListedPath {
  path: string
  readWrite: boolean
}

const PORT_MESSAGE = 'must be a port number between 1 and 65535'
const validPort = (value: string): string | undefined => (/^\d+$/.test(value) && Number(value) > 0 && Number(value) < 65536 ? undefined : PORT_MESSAGE)
// Listeners also take 0: the operating system picks a free port (tests, several nodes on one machine).
const validListenPort = (value: string): string | undefined =>
  /^\d+$/.test(value) && Number(value) < 65536 ? undefined : `${PORT_MESSAGE}, or 0 for any free port`
const validUrl = (value: string): string | undefined => {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : 'must be an http:// or https:// URL'
  } catch {
    return 'must be an http:// or https:// URL'
  }
}
const validHost = (value: string): string | undefined =>
  /^([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[?[0-9A-Fa-f:.]+\]?)$/.test(value) ? undefined : 'must be a host name or IP address, e.g. 127.0.0.1 or 0.0.0.0'
const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = { true: true, false: false, '1': true, '0': false, yes: true, no: false }
const validBoolean = (value: string): string | undefined => (value.toLowerCase() in BOOLEAN_WORDS ? undefined : 'must be true or false (1/0 and yes/no also work)')
const validWholeNumber = (value: string): string | undefined => (/^\d+$/.test(value) ? undefined : 'must be a whole number (0, 1, 2, ...)')
const validRequesterAddress = (value: string): string | undefined => {
  if (/^\/[a-z0-9]+\/[^/\s]+\/(tcp|udp)\/\d+(\/\S*)?$/.test(value)) return undefined
  try {
    if (['http:', 'https:', 'ws:', 'wss:'].includes(new URL(value).protocol)) return undefined
  } catch {}
  return 'must be the requester API URL (http://10.0.0.5:1234), its compute WebSocket (ws://10.0.0.5:1234/api/v1/shoal/compute) or a multiaddr such as /ip4/10.0.0.5/tcp/1235/ws'
}
const validComputeTransports = (value: string): string | undefined => {
  const names = splitList(value).map((name) => name.toLowerCase())
  const bad = names.filter((name) => !['libp2p', 'websocket'].includes(name))
  if (bad.length > 0) return `${bad.join(', ')}: not a compute transport (libp2p, websocket)`
  return names.length === 0 ? 'name at least one of libp2p, websocket' : undefined
}
const validDockerSwitch = (value: string): string | undefined => (['auto', 'true', 'false'].includes(value.toLowerCase()) ? undefined : 'must be auto, true or false')
const validPullPolicy = (value: string): string | undefined => (['if-missing', 'always', 'never'].includes(value.toLowerCase()) ? undefined : 'must be if-missing, always or never')
const validNetworks = (value: string): string | undefined => {
  const bad = splitList(value).filter((type) => !['host', 'full', 'bridge', 'http'].includes(type.toLowerCase()))
  return bad.length === 0 ? undefined : `${bad.join(', ')}: not a network type to allow (Host, Full, Bridge, HTTP)`
}
const validPluginTypes =
  (kind: 'engine' | 'storage' | 'publisher') =>
  (value: string): string | undefined =>
    pluginTypeProblems(kind, splitList(value))[0]
const validCpu = (value: string): string | undefined =>
  (tryParseCpu(value) ?? 0) > 0 ? undefined : 'must be a CPU quantity above zero: cores ("0.5", "2") or millicores ("1500m")'
const validMemory = (value: string): string | undefined =>
  (tryParseBytes(value) ?? 0) > 0 ? undefined : 'must be a memory quantity above zero, e.g. "512Mb", "4Gb" or "1Gi"'
const validDisk = (value: string): string | undefined =>
  (tryParseBytes(value) ?? 0) > 0 ? undefined : 'must be a disk quantity above zero, e.g. "500Mb", "20Gb" or "20Gi"'
/** Seconds of a duration written as whole seconds ("600") or Go-style ("10m", "1h30m", "90s"); undefined if malformed. */
export function tryParseDurationSeconds(value: string): number | undefined {
  if (/^\d+$/.test(value)) return Number(value)
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value)
  if (!match || value === '') return undefined
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0)
}
const validSize = (value: string): string | undefined => ((tryParseBytes(value) ?? 0) > 0 ? undefined : 'must be a size above zero, e.g. "512Mb", "10Gi"')
const validIpfsPeers = (value: string): string | undefined =>
  splitList(value).find((entry) => !/^\/\S+\/p2p\/[1-9A-HJ-NP-Za-km-z]+$/.test(entry)) === undefined
    ? undefined
    : 'must be multiaddrs that end in the peer ID, comma-separated (e.g. /ip4/10.0.0.5/tcp/4002/ws/p2p/12D3KooW…)'
const validDuration = (value: string): string | undefined =>
  tryParseDurationSeconds(value) === undefined ? 'must be a duration: seconds ("600") or with units ("10m", "1h30m", "90s"); 0 means none' : undefined
const firstIssue = (parse: () => unknown): string | undefined => {
  try {
    parse()
    return undefined
  } catch (error) {
    if (error instanceof ValidationError) return error.issues[0]?.message ?? error.message
    throw error
  }
}
/** The items of a comma-separated setting, trimmed, empty ones dropped. */
const splitList = (value: string): string[] => value.split(',').map((item) => item.trim()).filter((item) => item !== '')
const validLabels = (value: string): string | undefined => firstIssue(() => parseLabels(splitList(value)))
const validPaths = (value: string): string | undefined => firstIssue(() => parseAllowListedPaths(splitList(value)))
const validApiTokens = (value: string): string | undefined => firstIssue(() => parseApiTokens(value))
const validUrlHosts = (value: string): string | undefined =>
  splitList(value).find((entry) => !/^[A-Za-z0-9.:_\-/[\]]+$/.test(entry)) === undefined ? undefined : 'must be host names, IP addresses or CIDR ranges, comma-separated (e.g. 127.0.0.1,files.internal,10.0.0.0/8)'

/** A token `shoal serve` accepts on its REST API and what it may do (read: GET; write: submit, stop...; admin: node approve/reject/delete). */
export interface ApiTokenGrant {
  token: string
  scopes: ('read' | 'write' | 'admin')[]
}

const TOKEN_SCOPES = ['read', 'write', 'admin']

/**
 * Parses API tokens `token:read,write;token2:read` (also one per line, as in a tokens file; `#` starts a comment).
 * A token without scopes gets every scope (read, write and admin), as it did before admin existed.
 */
export function parseApiTokens(value: string, name = 'serve.api-tokens'): ApiTokenGrant[] {
  const entries = value
    .split(/[;\n]/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line !== '')
  const seen = new Set<string>()
  return entries.map((entry) => {
    const colon = entry.lastIndexOf(':')
    const token = (colon < 0 ? entry : entry.slice(0, colon)).trim()
    const scopeText = colon < 0 ? 'read,write,admin' : entry.slice(colon + 1)
    const scopes = splitList(scopeText).map((scope) => scope.toLowerCase())
    const shown = token.length > 4 ? `${token.slice(0, 2)}…` : '…'
    if (token === '' || /\s/.test(token)) {
      throw new ValidationError([{ path: name, message: `"${shown}" is not a token: write token:read,write; tokens have no spaces` }])
    }
    if (scopes.length === 0 || scopes.some((scope) => !TOKEN_SCOPES.includes(scope))) {
      throw new ValidationError([{ path: name, message: `the token ${shown} has scopes "${scopeText}"; use read, write and admin, comma-separated (e.g. read,write)` }])
    }
    if (seen.has(token)) throw new ValidationError([{ path: name, message: `the token ${shown} is listed twice` }])
    seen.add(token)
    return { token, scopes: [...new Set(scopes)] as ApiTokenGrant['scopes'] }
  })
}

/** The configuration keys, as `config set` and `config list` know them, grouped by command. */
export const CONFIG_KEYS: Readonly<Record<string, ConfigKeySpec>> = Object.freeze({
  'api.host': { description: 'Host of the requester API', env: ['BACALHAU_API_HOST', 'SHOAL_API_HOST'], flag: '--api-host', default: '127.0.0.1', bacalhau: ['API.Host'] },
  'api.port': { description: 'Port of the requester API', env: ['BACALHAU_API_PORT', 'SHOAL_API_PORT'], flag: '--api-port', default: '1234', type: 'number', bacalhau: ['API.Port'], validate: validPort },
  'api.url': { description: 'Full URL of the requester API; overrides api.host/api.port from the same or a lower source', env: ['SHOAL_API_URL'], flag: '--api-url', validate: validUrl },
  'api.token': { description: 'Bearer token sent to the requester API', env: ['SHOAL_API_TOKEN'], flag: '--api-token', secret: true },

  'serve.host': { description: 'Interface every listener of `shoal serve`/`devstack` binds (0.0.0.0 accepts other machines)', env: ['SHOAL_HOST'], flag: '--host', default: '127.0.0.1', validate: validHost },
  'serve.port': { description: 'Port of the REST API and dashboard (0 = any free port)', env: ['SHOAL_PORT'], flag: '--port', default: '1234', type: 'number', validate: validListenPort },
  'serve.peer-port': { description: 'Port of the compute-protocol listener (libp2p); unset = API port + 1', env: ['SHOAL_PEER_PORT'], flag: '--peer-port', type: 'number', bacalhau: ['Orchestrator.Port'], validate: validListenPort },
  'serve.data-dir': { description: 'Where jobs, results and node keys are kept', env: ['SHOAL_DATA_DIR'], flag: '--data-dir', default: ({ configDirectory }) => join(configDirectory, 'data'), bacalhau: ['DataDir'] },
  'serve.join-token': { description: 'Secret compute nodes present to join (requester), and that this compute node presents', env: ['SHOAL_JOIN_TOKEN'], flag: '--join-token', secret: true, bacalhau: ['Orchestrator.Auth.Token', 'Compute.Auth.Token'] },
  'serve.manual-approval': { description: 'New compute nodes wait in PENDING until `shoal node approve`', env: ['SHOAL_MANUAL_APPROVAL'], flag: '--manual-approval', default: 'false', type: 'boolean', bacalhau: ['Orchestrator.NodeManager.ManualApproval'], validate: validBoolean },
  'serve.default-queue-timeout': { description: 'Seconds a job that sets no Timeouts.QueueTimeout may wait for a node; 0 = none: a job no node can run now fails at once (Bacalhau\'s default)', env: ['SHOAL_DEFAULT_QUEUE_TIMEOUT'], flag: '--default-queue-timeout', default: '0', type: 'number', validate: validWholeNumber },
  'serve.verification-required-labels': { description: 'Nodes with all of these labels take only verified jobs (Meta shoal.verify/replicas), e.g. "runtime=browser" so tabs never run unverified work ("k=v,k2=v2"; default none)', env: ['SHOAL_VERIFICATION_REQUIRED_LABELS'], flag: '--verification-required-labels', type: 'map', validate: validLabels },
  'serve.api-tokens': { description: 'Bearer tokens the REST API requires, with their scopes ("token:read,write;token2:read"); unset = no auth', env: ['SHOAL_API_TOKENS'], flag: '--api-tokens', secret: true, validate: validApiTokens },
  'serve.default-execution-timeout': { description: 'ExecutionTimeout of batch and ops jobs that set none ("10m", "600", 0 = none)', env: ['SHOAL_DEFAULT_EXECUTION_TIMEOUT'], flag: '--default-execution-timeout', default: '10m', bacalhau: ['JobDefaults.Batch.Task.Timeouts.ExecutionTimeout', 'JobDefaults.Ops.Task.Timeouts.ExecutionTimeout'], validate: validDuration },
  'serve.api-tokens-file': { description: 'File of API tokens, one "token:read,write" a line (# comments); added to serve.api-tokens', env: ['SHOAL_API_TOKENS_FILE'], flag: '--api-tokens-file' },
  'serve.insecure': { description: 'Listen on a non-loopback address without API tokens or a join token (a warning is printed on every start)', env: ['SHOAL_INSECURE'], flag: '--insecure', default: 'false', type: 'boolean', validate: validBoolean },
  'serve.tls-cert': { description: 'PEM certificate (chain) file: the REST API and dashboard are served over HTTPS; needs serve.tls-key', env: ['SHOAL_TLS_CERT'], flag: '--tls-cert' },
  'serve.tls-key': { description: 'PEM private key file of serve.tls-cert', env: ['SHOAL_TLS_KEY'], flag: '--tls-key' },
  'serve.compute-transports': { description: 'Transports the requester accepts compute nodes and tabs on: libp2p (its own port: WebSockets, WebRTC-direct) and websocket (GET /api/v1/shoal/compute on the API port)', env: ['SHOAL_COMPUTE_TRANSPORTS'], flag: '--compute-transports', default: 'libp2p,websocket', type: 'list', validate: validComputeTransports },

  'compute.requester': { description: 'The requester a compute-only node joins: its API URL (http(s)://; the node asks it for its transports and prefers libp2p), its compute WebSocket (ws(s)://) or a libp2p multiaddr', env: ['SHOAL_REQUESTER'], flag: '--requester', validate: validRequesterAddress },
  'compute.labels': { description: 'Labels of the compute node, matched by job constraints ("k=v,k2=v2")', env: ['SHOAL_COMPUTE_LABELS'], flag: '--compute-labels', type: 'map', bacalhau: ['Labels'], validate: validLabels },
  'compute.allow-listed-local-paths': { description: 'Host paths jobs may mount with file:// inputs ("path[:ro|:rw],..."; read-only unless :rw)', env: ['SHOAL_ALLOW_LISTED_LOCAL_PATHS'], flag: '--allow-listed-local-paths', type: 'list', bacalhau: ['Compute.AllowListedLocalPaths'], validate: validPaths },
  'compute.capacity-cpu': { description: 'CPU the compute node offers; unset = all cores', env: ['SHOAL_CAPACITY_CPU'], flag: '--capacity-cpu', bacalhau: ['Compute.AllocatedCapacity.CPU'], validate: validCpu },
  'compute.capacity-memory': { description: 'Memory the compute node offers; unset = 80% of free memory', env: ['SHOAL_CAPACITY_MEMORY'], flag: '--capacity-memory', bacalhau: ['Compute.AllocatedCapacity.Memory'], validate: validMemory },
  'compute.disk-budget': { description: 'Disk the compute node offers for job data (downloaded inputs, outputs) in its data dir; unset = 10 GiB, at most half the free space there', env: ['SHOAL_DISK_BUDGET'], flag: '--disk-budget', bacalhau: ['Compute.AllocatedCapacity.Disk'], validate: validDisk },
  'compute.allow-url-hosts': { description: 'Loopback, link-local or private hosts URL inputs may still be fetched from ("127.0.0.1,files.internal,10.0.0.0/8"); unset = all refused', env: ['SHOAL_ALLOW_URL_HOSTS'], flag: '--allow-url-hosts', type: 'list', validate: validUrlHosts },
  'compute.publisher-url': { description: 'Public base URL of the compute node\'s `local` published results; unset = its own result server', env: ['SHOAL_PUBLISHER_URL'], flag: '--publisher-url', validate: validUrl },
  'compute.docker': { description: 'Docker engine: auto = offered when dockerd answers on /var/run/docker.sock, true = the same but its absence is an error in the log, false = off', env: ['SHOAL_DOCKER'], flag: '--docker', default: 'auto', validate: validDockerSwitch },
  'compute.docker-pull': { description: 'When the docker engine pulls an image: if-missing (a local image is used as it is), always, never', env: ['SHOAL_DOCKER_PULL'], flag: '--docker-pull', default: 'if-missing', validate: validPullPolicy },
  'compute.docker-user': { description: 'User containers run as ("uid[:gid]" or a name in the image); unset = the image\'s user', env: ['SHOAL_DOCKER_USER'], flag: '--docker-user' },
  'compute.disabled-engines': { description: 'Engine types this compute node does not offer ("docker,wasm"); unset = every engine that works here', env: ['SHOAL_DISABLED_ENGINES'], flag: '--disabled-engines', type: 'list', bacalhau: ['Engines.Disabled'], validate: validPluginTypes('engine') },
  'compute.disabled-input-sources': { description: 'Input source types this compute node does not offer ("s3,repoclone"); unset = every input source that works here', env: ['SHOAL_DISABLED_INPUT_SOURCES'], flag: '--disabled-input-sources', type: 'list', bacalhau: ['InputSources.Disabled'], validate: validPluginTypes('storage') },
  'compute.disabled-publishers': { description: 'Publisher types this compute node does not offer ("ipfs,s3"); unset = every publisher that works here', env: ['SHOAL_DISABLED_PUBLISHERS'], flag: '--disabled-publishers', type: 'list', bacalhau: ['Publishers.Disabled'], validate: validPluginTypes('publisher') },
  'compute.allow-networks': { description: 'Network types jobs may ask for besides None ("Host,Full"); unset = None only', env: ['SHOAL_ALLOW_NETWORKS'], flag: '--allow-networks', type: 'list', validate: validNetworks },

  'ipfs.peers': { description: 'IPFS peers this node keeps connected, as multiaddrs ending in /p2p/<peer id> (reachable over WebSockets or WebRTC-direct); unset = none', env: ['SHOAL_IPFS_PEERS'], flag: '--ipfs-peers', type: 'list', validate: validIpfsPeers },
  'ipfs.public': { description: 'Join the public IPFS network (its bootstrap peers and delegated routing at delegated-ipfs.dev); off = hermetic: blocks come only from connected peers', env: ['SHOAL_IPFS_PUBLIC'], flag: '--ipfs-public', default: 'false', type: 'boolean', validate: validBoolean },
  'ipfs.read-timeout': { description: 'Compute node: longest wait for an ipfs input\'s root block and listing before the input fails, naming the CID and the peers asked', env: ['SHOAL_IPFS_READ_TIMEOUT'], flag: '--ipfs-read-timeout', default: '5m', bacalhau: ['InputSources.ReadTimeout'], validate: validDuration },
  'ipfs.pin-timeout': { description: 'Requester: longest time to fetch and pin an ipfs-published result before its execution fails', env: ['SHOAL_IPFS_PIN_TIMEOUT'], flag: '--ipfs-pin-timeout', default: '10m', validate: validDuration },
  'ipfs.pin-max-size': { description: 'Requester: largest ipfs-published result it keeps; a larger one fails its execution', env: ['SHOAL_IPFS_PIN_MAX_SIZE'], flag: '--ipfs-pin-max-size', default: '10Gi', validate: validSize },

  'devstack.computes': { description: 'Number of compute nodes `shoal devstack` starts', env: ['SHOAL_DEVSTACK_COMPUTES'], flag: '--computes', default: '3', type: 'number', validate: validWholeNumber },
  'devstack.browsers': { description: 'Headless browser compute nodes `shoal devstack` starts', env: ['SHOAL_DEVSTACK_BROWSERS'], flag: '--browsers', default: '0', type: 'number', validate: validWholeNumber },
  'devstack.data-dir': { description: 'Where `shoal devstack` keeps state; unset = a fresh temporary directory, removed on exit', env: ['SHOAL_DEVSTACK_DATA_DIR'], flag: '--data-dir' },
})

/** The keys `shoal serve` reads. */
export const SERVE_CONFIG_KEYS: readonly string[] = Object.keys(CONFIG_KEYS).filter((key) => key.startsWith('serve.') || key.startsWith('compute.') || key.startsWith('ipfs.'))
/** The keys `shoal devstack` reads: its own, plus the listener address and allow-listed paths of `serve`. */
export const DEVSTACK_CONFIG_KEYS: readonly string[] = ['serve.host', 'serve.port', 'serve.insecure', 'compute.allow-listed-local-paths', 'compute.allow-url-hosts', 'compute.docker', 'compute.disabled-engines', 'compute.disabled-input-sources', 'compute.disabled-publishers', ...Object.keys(CONFIG_KEYS).filter((key) => key.startsWith('devstack.'))]
const CLIENT_CONFIG_KEYS: readonly string[] = Object.keys(CONFIG_KEYS).filter((key) => key.startsWith('api.'))

/** The group (command) of a configuration key. */
export function configGroup(key: string): ConfigGroup {
  return key.slice(0, key.indexOf('.')) as ConfigGroup
}

// Keys match ignoring case, '-' and '_', so `compute.AllowListedLocalPaths` is `compute.allow-listed-local-paths`.
const squash = (key: string): string => key.toLowerCase().replace(/[-_]/g, '')
const CANONICAL = new Map(Object.keys(CONFIG_KEYS).map((key) => [squash(key), key]))
const BACALHAU_ALIASES = new Map(Object.entries(CONFIG_KEYS).flatMap(([key, spec]) => (spec.bacalhau ?? []).map((alias) => [squash(alias), key] as const)))

/** The canonical spelling of a configuration key (case, '-' and '_' ignored), or undefined if unknown. */
export function canonicalConfigKey(key: string): string | undefined {
  return CANONICAL.get(squash(key))
}

/** Parses a boolean setting: true/false, 1/0, yes/no, any case. */
export function parseConfigBoolean(value: string): boolean {
  const parsed = BOOLEAN_WORDS[value.toLowerCase()]
  if (parsed === undefined) throw new ValidationError([{ path: '', message: validBoolean(value) as string }])
  return parsed
}

/** Parses allow-listed local paths `path[:ro|:rw]` (read-only unless :rw). */
export function parseAllowListedPaths(values: readonly string[], name = '--allow-listed-local-paths'): AllowListedPath[] {
  return values
    .filter((value) => value !== '')
    .map((value) => {
      const match = /^(.*?)(?::(ro|rw))?$/.exec(value)!
      const path = match[1]
      if (!path.startsWith('/')) throw new ValidationError([{ path: name, message: `"${value}" must be an absolute path, optionally followed by :ro or :rw` }])
      return { path, readWrite: match[2] === 'rw' }
    })
}

/** A configuration value and where it came from. */
export interface ConfigValue {
  value: string
  source: ConfigSource
  /** What set it: the environment variable, the config file path or the flag. */
  origin?: string
}

/** The configuration in effect for one CLI invocation. */
export interface EffectiveConfig {
  /** Every known key that has a value. */
  values: Record<string, ConfigValue>
  /** The requester base URL (no trailing slash) and where it came from. */
  apiUrl: ConfigValue
  /** The API token, if any. */
  apiToken?: ConfigValue
  /** The config file consulted. */
  path: string
}

/** The directory holding Shoal's CLI state: $SHOAL_DIR, else ~/.shoal. */
export function configDirectory(env: Record<string, string | undefined>, home: string): string {
  return env.SHOAL_DIR && env.SHOAL_DIR !== '' ? env.SHOAL_DIR : join(home, '.shoal')
}

/** The config file path: <config directory>/config.yaml. */
export function configFilePath(env: Record<string, string | undefined>, home: string): string {
  return join(configDirectory(env, home), 'config.yaml')
}

const isMapping = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value)

function flatten(value: unknown, prefix: string, into: Record<string, string>): void {
  const key = prefix === '' ? undefined : (canonicalConfigKey(prefix) ?? BACALHAU_ALIASES.get(squash(prefix)))
  const type = key === undefined ? undefined : CONFIG_KEYS[key].type
  if (isMapping(value) && type === 'map') {
    // A mapping under a map-typed key (compute.labels) is the value itself; its keys keep their case.
    into[prefix] = Object.entries(value).map(([k, v]) => (v === null || v === undefined || v === '' ? k : `${k}=${String(v)}`)).join(',')
  } else if (isMapping(value)) {
    for (const [inner, nested] of Object.entries(value)) flatten(nested, prefix ? `${prefix}.${inner.toLowerCase()}` : inner.toLowerCase(), into)
  } else if (Array.isArray(value) && prefix) {
    into[prefix] = value.map(String).join(',')
  } else if (value !== null && value !== undefined && prefix) {
    into[prefix] = String(value)
  }
}

/** Renames known keys (and Bacalhau's spellings of them) to their canonical form; others stay as they are. */
function canonicalise(flat: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  const aliased: [string, string][] = []
  for (const [key, value] of Object.entries(flat)) {
    const canonical = canonicalConfigKey(key)
    if (canonical) out[canonical] = value
    else if (BACALHAU_ALIASES.has(squash(key))) aliased.push([BACALHAU_ALIASES.get(squash(key))!, value])
    else out[key] = value
  }
  // Shoal's own spelling wins over Bacalhau's when a file has both.
  for (const [key, value] of aliased) out[key] ??= value
  return out
}

/** Reads the config file as dotted keys (canonical where known); a missing file is an empty config. */
export async function readConfigFile(path: string): Promise<Record<string, string>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new BadRequestError(`cannot read the config file ${path}: ${(error as Error).message}`, { cause: error })
  }
  let parsed: unknown
  try {
    parsed = parseYaml(text)
  } catch (error) {
    throw new BadRequestError(`the config file ${path} is not valid YAML: ${(error as Error).message}`, {
      cause: error,
      hint: 'Fix or delete the file, or rewrite a value with `shoal config set KEY VALUE`.',
    })
  }
  if (parsed !== null && parsed !== undefined && !isMapping(parsed)) {
    throw new BadRequestError(`the config file ${path} must be a YAML mapping of keys to values`, { hint: 'See docs/CONFIGURATION.md for an example.' })
  }
  const flat: Record<string, string> = {}
  flatten(parsed ?? {}, '', flat)
  return canonicalise(flat)
}

/** Checks a key and value for `config set`; throws ValidationError naming the problem; returns the canonical key. */
export function checkConfigValue(key: string, value: string): string {
  const canonical = canonicalConfigKey(key) ?? BACALHAU_ALIASES.get(squash(key))
  if (!canonical) {
    throw new ValidationError([{ path: key, message: `unknown configuration key; known keys: ${Object.keys(CONFIG_KEYS).join(', ')}` }])
  }
  const problem = value === '' ? undefined : CONFIG_KEYS[canonical].validate?.(value)
  if (problem) throw new ValidationError([{ path: canonical, message: problem }])
  return canonical
}

function fileValue(key: string, value: string): unknown {
  const type = CONFIG_KEYS[key]?.type
  if (type === 'boolean' && validBoolean(value) === undefined) return parseConfigBoolean(value)
  if (type === 'number' && /^\d+$/.test(value)) return Number(value)
  return value
}

/** Sets one key in the config file (creating it), writing atomically; returns the canonical key. An empty value removes the key. */
export async function writeConfigValue(path: string, key: string, value: string): Promise<string> {
  const canonical = checkConfigValue(key, value)
  const current = await readConfigFile(path)
  if (value === '') delete current[canonical]
  else current[canonical] = value
  const nested: Record<string, unknown> = {}
  for (const [dotted, v] of Object.entries(current).sort(([a], [b]) => a.localeCompare(b))) {
    const parts = dotted.split('.')
    let node = nested
    for (const part of parts.slice(0, -1)) node = (isMapping(node[part]) ? node[part] : (node[part] = {})) as Record<string, unknown>
    node[parts[parts.length - 1]] = fileValue(dotted, v)
  }
  await mkdir(dirname(path), { recursive: true })
  const temporary = `${path}.${process.pid}.tmp`
  await writeFile(temporary, toYaml(nested), { mode: 0o600 })
  await rename(temporary, path)
  return canonical
}

/** Inputs of configuration resolution, highest precedence last. */
export interface ResolveConfigInit {
  file: Record<string, string>
  env: Record<string, string | undefined>
  /** Values given as flags, by config key. */
  flags: Record<string, string | undefined>
  path: string
  /** The keys whose values must be valid; default the `api.*` keys every client command uses. */
  validate?: readonly string[]
}

const rank = (source: ConfigSource): number => CONFIG_SOURCES.indexOf(source)

/** How an error names a value: `serve.port (from env SHOAL_PORT)`. */
export function describeConfigValue(key: string, value: ConfigValue): string {
  return `${key} (${value.source === 'default' ? 'default' : `from ${value.source}${value.origin ? ` ${value.origin}` : ''}`})`
}

/** Throws one ValidationError listing every invalid value among `keys`, each with where it came from. */
export function checkConfigKeys(config: Pick<EffectiveConfig, 'values' | 'path'>, keys: readonly string[]): void {
  const issues = keys.flatMap((key) => {
    const value = config.values[key]
    const problem = value ? CONFIG_KEYS[key]?.validate?.(value.value) : undefined
    return problem && value ? [{ path: describeConfigValue(key, value), message: problem }] : []
  })
  if (issues.length > 0) {
    throw new ValidationError(issues, {
      hint: `Fix each value where it came from: the flag, the environment variable, or the config file ${config.path} (\`shoal config set KEY VALUE\` rewrites one key).`,
    })
  }
}

/** Combines default < file < env < flag into the configuration in effect, checking the keys in `init.validate`. */
export function resolveConfig(init: ResolveConfigInit): EffectiveConfig {
  const values: Record<string, ConfigValue> = {}
  const file = canonicalise(init.file)
  const context: ConfigDefaultContext = { configDirectory: dirname(init.path) }
  for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
    const fallback = typeof spec.default === 'function' ? spec.default(context) : spec.default
    let found: ConfigValue | undefined = fallback === undefined ? undefined : { value: fallback, source: 'default' }
    const fromFile = file[key]
    if (fromFile !== undefined && fromFile !== '') found = { value: fromFile, source: 'file', origin: init.path }
    const envName = spec.env.find((name) => init.env[name] !== undefined && init.env[name] !== '')
    if (envName) found = { value: init.env[envName] as string, source: 'env', origin: envName }
    const fromFlag = init.flags[key]
    if (fromFlag !== undefined && fromFlag !== '') found = { value: fromFlag, source: 'flag', origin: spec.flag }
    if (found) values[key] = found
  }
  checkConfigKeys({ values, path: init.path }, init.validate ?? CLIENT_CONFIG_KEYS)
  const host = values['api.host']
  const port = values['api.port']
  const url = values['api.url']
  let apiUrl: ConfigValue
  if (url && rank(url.source) >= Math.max(rank(host.source), rank(port.source))) {
    apiUrl = { value: url.value.replace(/\/+$/, ''), source: url.source }
  } else {
    const hostText = host.value.includes(':') && !host.value.startsWith('[') ? `[${host.value}]` : host.value
    const scheme = /^https?:\/\//.exec(host.value)
    const base = scheme ? host.value.replace(/\/+$/, '') : `http://${hostText}`
    apiUrl = { value: `${base}:${port.value}`, source: rank(host.source) >= rank(port.source) ? host.source : port.source }
  }
  return { values, apiUrl, apiToken: values['api.token'], path: init.path }
}

/** The settings of `shoal serve` in effect, typed; the mode flags (--orchestrator/--compute) are not settings. */
export interface ServeSettings {
  host: string
  port: number
  peerPort?: number
  dataDir: string
  joinToken?: string
  manualApproval: boolean
  /** QueueTimeout (s) of jobs that set none; 0 = fail at once when no node can run them. */
  defaultQueueTimeoutS: number
  /** Nodes with all of these labels take only verified jobs (empty: every node takes every job). */
  verificationRequiredLabels: Record<string, string>
  /** ExecutionTimeout (s) of batch and ops jobs that set none; 0 = none. */
  defaultExecutionTimeoutS: number
  /** Tokens from serve.api-tokens; undefined = no auth (the tokens file is read by `shoal serve`). */
  apiTokens?: ApiTokenGrant[]
  /** serve.api-tokens-file, not yet read. */
  apiTokensFile?: string
  /** Listen beyond loopback without API tokens or a join token (warned about on every start). */
  insecure: boolean
  /** PEM certificate and key files: serve the REST API over HTTPS. */
  tlsCert?: string
  tlsKey?: string
  /** Transports the requester accepts compute nodes on. */
  computeTransports: Array<'libp2p' | 'websocket'>
  requester?: string
  computeLabels: Record<string, string>
  allowListedLocalPaths: AllowListedPath[]
  /** Refused (loopback, private…) hosts URL inputs may still be fetched from. */
  allowUrlHosts: string[]
  capacityCpu?: string
  capacityMemory?: string
  /** Disk budget for job data ("20Gi"); undefined = the default. */
  diskBudget?: string
  publisherUrl?: string
  /** The node's IPFS peers and network, and how the requester keeps ipfs results. */
  ipfs: IpfsSettings
  /** compute.docker: auto, true or false. */
  docker: 'auto' | 'true' | 'false'
  /** compute.docker-pull. */
  dockerPull: 'if-missing' | 'always' | 'never'
  dockerUser?: string
  /** Network types jobs may ask for besides None. */
  allowNetworks: string[]
  /** compute.disabled-engines, compute.disabled-input-sources, compute.disabled-publishers. */
  disabledEngines: string[]
  disabledInputSources: string[]
  disabledPublishers: string[]
}

/** The settings of `shoal devstack` in effect, typed. */
export interface DevstackSettings {
  computes: number
  browsers: number
  host: string
  port: number
  /** Undefined = a fresh temporary directory, removed on exit. */
  dataDir?: string
  allowListedLocalPaths: AllowListedPath[]
  allowUrlHosts: string[]
  insecure: boolean
  /** compute.docker for the devstack's compute nodes: auto, true or false. */
  docker: 'auto' | 'true' | 'false'
  /** compute.disabled-engines / -input-sources / -publishers of its compute nodes. */
  disabledEngines: string[]
  disabledInputSources: string[]
  disabledPublishers: string[]
}

const text = (config: EffectiveConfig, key: string): string | undefined => config.values[key]?.value
const whole = (config: EffectiveConfig, key: string): number | undefined => (config.values[key] ? Number(config.values[key].value) : undefined)
const list = (config: EffectiveConfig, key: string): string[] => splitList(config.values[key]?.value ?? '')

/** Checks and types the `serve.*` and `compute.*` settings; ValidationError names each bad key and its source. */
export function serveSettings(config: EffectiveConfig): ServeSettings {
  checkConfigKeys(config, SERVE_CONFIG_KEYS)
  return {
    host: text(config, 'serve.host') as string,
    port: whole(config, 'serve.port') as number,
    peerPort: whole(config, 'serve.peer-port'),
    dataDir: text(config, 'serve.data-dir') as string,
    joinToken: text(config, 'serve.join-token'),
    manualApproval: parseConfigBoolean(text(config, 'serve.manual-approval') ?? 'false'),
    defaultQueueTimeoutS: whole(config, 'serve.default-queue-timeout') ?? 0,
    verificationRequiredLabels: parseLabels(list(config, 'serve.verification-required-labels'), 'serve.verification-required-labels'),
    defaultExecutionTimeoutS: tryParseDurationSeconds(text(config, 'serve.default-execution-timeout') ?? '10m') as number,
    apiTokens: config.values['serve.api-tokens'] ? parseApiTokens(text(config, 'serve.api-tokens') as string) : undefined,
    apiTokensFile: text(config, 'serve.api-tokens-file'),
    insecure: parseConfigBoolean(text(config, 'serve.insecure') ?? 'false'),
    tlsCert: text(config, 'serve.tls-cert'),
    tlsKey: text(config, 'serve.tls-key'),
    computeTransports: [...new Set(list(config, 'serve.compute-transports').map((name) => name.toLowerCase()))] as ServeSettings['computeTransports'],
    requester: text(config, 'compute.requester'),
    computeLabels: parseLabels(list(config, 'compute.labels'), 'compute.labels'),
    allowListedLocalPaths: parseAllowListedPaths(list(config, 'compute.allow-listed-local-paths'), 'compute.allow-listed-local-paths'),
    allowUrlHosts: list(config, 'compute.allow-url-hosts'),
    capacityCpu: text(config, 'compute.capacity-cpu'),
    capacityMemory: text(config, 'compute.capacity-memory'),
    diskBudget: text(config, 'compute.disk-budget'),
    publisherUrl: text(config, 'compute.publisher-url'),
    ipfs: {
      peers: list(config, 'ipfs.peers'),
      public: parseConfigBoolean(text(config, 'ipfs.public') ?? 'false'),
      // 0 = no limit: the longest wait a timer can hold (about 24 days).
      readTimeoutMs: (tryParseDurationSeconds(text(config, 'ipfs.read-timeout') ?? '5m') as number) * 1000 || 2 ** 31 - 1,
      pinTimeoutMs: (tryParseDurationSeconds(text(config, 'ipfs.pin-timeout') ?? '10m') as number) * 1000,
      pinMaxBytes: tryParseBytes(text(config, 'ipfs.pin-max-size') ?? '10Gi'),
    },
    docker: (text(config, 'compute.docker') ?? 'auto').toLowerCase() as ServeSettings['docker'],
    dockerPull: (text(config, 'compute.docker-pull') ?? 'if-missing').toLowerCase() as ServeSettings['dockerPull'],
    dockerUser: text(config, 'compute.docker-user'),
    allowNetworks: list(config, 'compute.allow-networks'),
    disabledEngines: list(config, 'compute.disabled-engines'),
    disabledInputSources: list(config, 'compute.disabled-input-sources'),
    disabledPublishers: list(config, 'compute.disabled-publishers'),
  }
}

/** The keys that decide a compute node's plug-ins. */
const PLUGIN_CONFIG_KEYS: readonly string[] = [
  'compute.disabled-engines',
  'compute.disabled-input-sources',
  'compute.disabled-publishers',
  'compute.docker',
  'compute.docker-pull',
  'compute.docker-user',
  'compute.allow-listed-local-paths',
  'compute.allow-url-hosts',
]

/** The settings that decide a compute node's plug-ins (compute-plugins.ts), or undefined when one of them is invalid. */
export function computePluginSettings(config: EffectiveConfig): ComputePluginSettings | undefined {
  try {
    checkConfigKeys(config, PLUGIN_CONFIG_KEYS)
  } catch (error) {
    if (error instanceof ValidationError) return undefined
    throw error
  }
  return {
    disabledEngines: list(config, 'compute.disabled-engines'),
    disabledInputSources: list(config, 'compute.disabled-input-sources'),
    disabledPublishers: list(config, 'compute.disabled-publishers'),
    docker: (text(config, 'compute.docker') ?? 'auto').toLowerCase() as ComputePluginSettings['docker'],
    dockerPull: (text(config, 'compute.docker-pull') ?? 'if-missing').toLowerCase() as ComputePluginSettings['dockerPull'],
    dockerUser: text(config, 'compute.docker-user'),
    allowedPaths: parseAllowListedPaths(list(config, 'compute.allow-listed-local-paths'), 'compute.allow-listed-local-paths'),
    allowUrlHosts: list(config, 'compute.allow-url-hosts'),
  }
}

/** Checks and types the settings `shoal devstack` reads; ValidationError names each bad key and its source. */
export function devstackSettings(config: EffectiveConfig): DevstackSettings {
  checkConfigKeys(config, DEVSTACK_CONFIG_KEYS)
  return {
    computes: whole(config, 'devstack.computes') as number,
    browsers: whole(config, 'devstack.browsers') as number,
    host: text(config, 'serve.host') as string,
    port: whole(config, 'serve.port') as number,
    dataDir: text(config, 'devstack.data-dir'),
    allowListedLocalPaths: parseAllowListedPaths(list(config, 'compute.allow-listed-local-paths'), 'compute.allow-listed-local-paths'),
    allowUrlHosts: list(config, 'compute.allow-url-hosts'),
    insecure: parseConfigBoolean(text(config, 'serve.insecure') ?? 'false'),
    docker: (text(config, 'compute.docker') ?? 'auto').toLowerCase() as DevstackSettings['docker'],
    disabledEngines: list(config, 'compute.disabled-engines'),
    disabledInputSources: list(config, 'compute.disabled-input-sources'),
    disabledPublishers: list(config, 'compute.disabled-publishers'),
  }
}
