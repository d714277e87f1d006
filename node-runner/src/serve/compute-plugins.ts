/**
 * The one place that knows a Node compute node's plug-ins: which engines, input sources and
 * publishers node-runner has, what each needs to work here, and how each is made from the
 * node's settings. `shoal serve` assembles them; `shoal config list` only checks them.
 */
import type { AbortOptions, Logger, PluginEntry, PluginKind, PluginStatus, WorkerFactory } from '@shoal/interface'
import { assemblePlugins, checkPlugins, InlineStorage, NoopEngine, NoopPublisher, S3PreSignedStorage, UrlDownloadStorage, UrlHostPolicy, type AssembledPlugins } from '@shoal/compute'
import { IpfsPublisher, IpfsStorage } from '@shoal/ipfs'
import { createWasmEngine } from '@shoal/wasm'
import type { NodeHelia } from '../ipfs/node-helia.ts'
import { DockerEngine, type DockerPullPolicy } from '../engine/docker/docker-engine.ts'
import { createAddressCheckedFetch } from '../net/address-checked-fetch.ts'
import { LocalPublisher } from '../publisher/local-publisher.ts'
import { S3Publisher } from '../publisher/s3-publisher.ts'
import { GitStorage } from '../storage/git-storage.ts'
import { LocalStorage, type AllowedPath } from '../storage/local-storage.ts'
import { S3ClientProvider } from '../storage/s3-client-provider.ts'
import { S3Storage } from '../storage/s3-storage.ts'

/** The configuration keys that turn plug-ins off, by kind (upstream: Engines/InputSources/Publishers.Disabled). */
export const DISABLED_PLUGIN_KEYS: Readonly<Record<PluginKind, string>> = {
  engine: 'compute.disabled-engines',
  storage: 'compute.disabled-input-sources',
  publisher: 'compute.disabled-publishers',
}

/** The settings of a Node compute node that decide its plug-ins (from `compute.*` keys). */
export interface ComputePluginSettings {
  /** Engine types turned off (`compute.disabled-engines`). */
  disabledEngines?: readonly string[]
  /** Input source types turned off (`compute.disabled-input-sources`). */
  disabledInputSources?: readonly string[]
  /** Publisher types turned off (`compute.disabled-publishers`). */
  disabledPublishers?: readonly string[]
  /** compute.docker: `false` turns the docker engine off; `auto`/`true` offer it when dockerd answers. */
  docker?: 'auto' | 'true' | 'false'
  /** dockerd's socket (default /var/run/docker.sock). */
  dockerSocketPath?: string
  dockerPull?: DockerPullPolicy
  dockerUser?: string
  /** Host paths `local` inputs may mount; none turns `local` off, as upstream. */
  allowedPaths?: readonly AllowedPath[]
  /** Loopback/private hosts URL and git inputs may still reach. */
  allowUrlHosts?: string[]
  /** Longest wait for an `ipfs` input's root block. */
  ipfsReadTimeoutMs?: number
}

/** What the plug-ins are made with once the node runs (not needed to check them). */
export interface ComputePluginComponents {
  nodeId: string
  /** The node's IPFS node (the `ipfs` input source and publisher). */
  helia: NodeHelia['helia']
  /** WASM workers: the pool size and the host-volume kinds they open in place. */
  wasm: { workerFactory: WorkerFactory; poolSize: number }
  /** Where `local` results are written and how their URLs are made. */
  localResults: { directory: string; baseUrl: () => string; sign: (name: string) => string }
  logger: Logger
}

/** A node's plug-in list and what its plug-ins share (the S3 clients, closed at stop). */
export interface ComputePluginCatalogue {
  entries: PluginEntry[]
  s3Clients: S3ClientProvider
}

const LOCAL_OFF = 'no allowed paths configured (compute.allow-listed-local-paths)'

/**
 * Node-runner's plug-ins, in the order a node lists them. `components` is read only when a
 * plug-in is made, so checking (config list) needs none.
 */
export function computePluginCatalogue(settings: ComputePluginSettings, components?: () => ComputePluginComponents): ComputePluginCatalogue {
  const need = (): ComputePluginComponents => {
    if (!components) throw new Error('the compute node is not running: plug-ins can be checked here, not made')
    return components()
  }
  // The one URL policy of a Node compute node: names are checked after DNS too.
  const urlPolicy = new UrlHostPolicy({ allowHosts: settings.allowUrlHosts })
  const urlDownload = new UrlDownloadStorage({ policy: urlPolicy, fetch: createAddressCheckedFetch({ policy: urlPolicy }) })
  const s3Clients = new S3ClientProvider()
  // One credential lookup serves the s3 input source and publisher.
  let s3Check: Promise<{ available: true } | { available: false; reason: string }> | undefined
  const s3Available = () =>
    (s3Check ??= s3Clients.availability().then((answer) => (answer.ok ? { available: true as const } : { available: false as const, reason: answer.reason ?? 'no AWS credentials' })))
  let docker: DockerEngine | undefined
  // Made once: the check (a ping, and removing a crashed run's containers) and the node share it.
  const dockerEngine = () =>
    (docker ??= new DockerEngine({
      nodeId: components ? need().nodeId : undefined,
      socketPath: settings.dockerSocketPath,
      pull: settings.dockerPull,
      user: settings.dockerUser,
      urlPolicy,
      logger: components ? need().logger.child('docker') : undefined,
    }))
  const git = new GitStorage({ policy: urlPolicy })

  const entries: PluginEntry[] = [
    {
      kind: 'engine',
      type: 'wasm',
      create: () => {
        const { wasm } = need()
        // Node workers open host volumes in place (node-worker-bootstrap.ts installs the access).
        return createWasmEngine({ workerFactory: wasm.workerFactory, poolSize: wasm.poolSize, volumeKinds: ['host'] })
      },
    },
    { kind: 'engine', type: 'noop', create: () => new NoopEngine() },
    {
      kind: 'engine',
      type: 'docker',
      check: async () => {
        if (settings.docker === 'false') return { available: false, reason: 'disabled by configuration (compute.docker is false)' }
        await dockerEngine().isInstalled()
        return { available: true }
      },
      create: () => dockerEngine(),
    },
    { kind: 'storage', type: 'inline', create: () => new InlineStorage() },
    { kind: 'storage', type: 'urlDownload', create: () => urlDownload },
    {
      kind: 'storage',
      type: 'local',
      check: async () => ((settings.allowedPaths ?? []).length > 0 ? { available: true } : { available: false, reason: LOCAL_OFF }),
      create: () => new LocalStorage({ allowedPaths: [...(settings.allowedPaths ?? [])] }),
    },
    { kind: 'storage', type: 'ipfs', create: () => new IpfsStorage(need().helia, { readTimeoutMs: settings.ipfsReadTimeoutMs }) },
    { kind: 'storage', type: 's3', check: s3Available, create: () => new S3Storage({ clients: s3Clients }) },
    { kind: 'storage', type: 's3PreSigned', create: () => new S3PreSignedStorage({ download: urlDownload }) },
    {
      kind: 'storage',
      type: 'repoclone',
      check: async () => ((await git.isInstalled()) ? { available: true } : { available: false, reason: 'git is not installed (no `git` on PATH)' }),
      create: () => git,
    },
    {
      kind: 'publisher',
      type: 'local',
      create: () => {
        const { localResults } = need()
        return new LocalPublisher({ directory: localResults.directory, baseUrl: localResults.baseUrl, sign: localResults.sign })
      },
    },
    { kind: 'publisher', type: 'noop', create: () => new NoopPublisher() },
    { kind: 'publisher', type: 'ipfs', create: () => new IpfsPublisher(need().helia) },
    { kind: 'publisher', type: 's3', check: s3Available, create: () => new S3Publisher({ clients: s3Clients }) },
  ]
  return { entries, s3Clients }
}

function selection(settings: ComputePluginSettings) {
  return {
    disabled: { engine: settings.disabledEngines ?? [], storage: settings.disabledInputSources ?? [], publisher: settings.disabledPublishers ?? [] },
    settingNames: DISABLED_PLUGIN_KEYS,
  }
}

/** Makes a compute node's plug-ins from its settings; the report says what is off and why. */
export async function assembleComputePlugins(
  settings: ComputePluginSettings,
  components: () => ComputePluginComponents,
  options: AbortOptions = {},
): Promise<AssembledPlugins & { s3Clients: S3ClientProvider }> {
  const catalogue = computePluginCatalogue(settings, components)
  try {
    return { ...(await assemblePlugins(catalogue.entries, { ...selection(settings), signal: options.signal })), s3Clients: catalogue.s3Clients }
  } catch (error) {
    catalogue.s3Clients.destroy()
    throw error
  }
}

/** What a compute node started with these settings would offer, checked here and now, making nothing. */
export async function checkComputePlugins(settings: ComputePluginSettings, options: AbortOptions = {}): Promise<PluginStatus[]> {
  const catalogue = computePluginCatalogue(settings)
  try {
    return await checkPlugins(catalogue.entries, { ...selection(settings), signal: options.signal })
  } finally {
    catalogue.s3Clients.destroy()
  }
}
