/**
 * The one place that knows a Node compute node's plug-ins: which engines, input sources and
 * publishers node-runner has, what each needs to work here, and how each is made from the
 * node's settings. `shoal serve` assembles them; `shoal config list` only checks them.
 */
import type { AbortOptions, Logger, PluginAvailability, PluginEntry, PluginKind, PluginStatus, WorkerFactory } from '@shoal/interface'
import { assemblePlugins, checkPlugins, InlineStorage, NoopEngine, NoopPublisher, S3PreSignedStorage, UrlDownloadStorage, UrlHostPolicy, type AssembledPlugins } from '@shoal/compute'
import type { DockerEngine, DockerPullPolicy } from '../engine/docker/docker-engine.ts'
import type { NodeHelia } from '../ipfs/node-helia.ts'
import { createAddressCheckedFetch } from '../net/address-checked-fetch.ts'
import type { GitStorage } from '../storage/git-storage.ts'
import type { AllowedPath } from '../storage/local-storage.ts'
import type { S3ClientProvider } from '../storage/s3-client-provider.ts'

// The plug-ins' own modules (dockerode, the AWS SDK, Helia, the WASM engine) are imported when a
// plug-in is checked or made: `shoal config list` reads this catalogue without loading them.

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

/** A node's plug-in list, and how to release what its plug-ins share (the S3 clients). */
export interface ComputePluginCatalogue {
  entries: PluginEntry[]
  close(): void
}

const LOCAL_OFF = 'no allowed paths configured (compute.allow-listed-local-paths)'
const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock'

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
  // Shared by the s3 input source and publisher: one client pool, one credential lookup.
  let s3Clients: Promise<S3ClientProvider> | undefined
  const s3 = () => (s3Clients ??= import('../storage/s3-client-provider.ts').then(({ S3ClientProvider }) => new S3ClientProvider()))
  let s3Check: Promise<PluginAvailability> | undefined
  const s3Available = () =>
    (s3Check ??= s3()
      .then((clients) => clients.availability())
      .then((answer) => (answer.ok ? { available: true as const } : { available: false as const, reason: answer.reason ?? 'no AWS credentials' })))
  // Made once: the check (a ping, and removing a crashed run's containers) and the node share it.
  let docker: Promise<DockerEngine> | undefined
  const dockerEngine = () =>
    (docker ??= import('../engine/docker/docker-engine.ts').then(
      ({ DockerEngine }) =>
        new DockerEngine({
          nodeId: components ? need().nodeId : undefined,
          socketPath: settings.dockerSocketPath,
          pull: settings.dockerPull,
          user: settings.dockerUser,
          urlPolicy,
          logger: components ? need().logger.child('docker') : undefined,
        }),
    ))
  let git: Promise<GitStorage> | undefined
  const gitStorage = () => (git ??= import('../storage/git-storage.ts').then(({ GitStorage }) => new GitStorage({ policy: urlPolicy })))
  const dockerOff = settings.docker === 'false'

  const entries: PluginEntry[] = [
    {
      kind: 'engine',
      type: 'wasm',
      create: async () => {
        const { wasm } = need()
        const { createWasmEngine } = await import('@shoal/wasm')
        // Node workers open host volumes in place (node-worker-bootstrap.ts installs the access).
        return createWasmEngine({ workerFactory: wasm.workerFactory, poolSize: wasm.poolSize, volumeKinds: ['host'] })
      },
    },
    { kind: 'engine', type: 'noop', create: () => new NoopEngine() },
    {
      kind: 'engine',
      type: 'docker',
      ...(dockerOff ? {} : { probe: `dockerd at ${settings.dockerSocketPath ?? DEFAULT_DOCKER_SOCKET}` }),
      check: async () => {
        if (dockerOff) return { available: false, reason: 'disabled by configuration (compute.docker is false)' }
        await (await dockerEngine()).isInstalled()
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
      create: async () => new (await import('../storage/local-storage.ts')).LocalStorage({ allowedPaths: [...(settings.allowedPaths ?? [])] }),
    },
    {
      kind: 'storage',
      type: 'ipfs',
      create: async () => new (await import('@shoal/ipfs')).IpfsStorage(need().helia, { readTimeoutMs: settings.ipfsReadTimeoutMs }),
    },
    {
      kind: 'storage',
      type: 's3',
      probe: 'AWS credentials (environment, shared profile, instance role)',
      check: s3Available,
      create: async () => new (await import('../storage/s3-storage.ts')).S3Storage({ clients: await s3() }),
    },
    { kind: 'storage', type: 's3PreSigned', create: () => new S3PreSignedStorage({ download: urlDownload }) },
    {
      kind: 'storage',
      type: 'repoclone',
      probe: '`git` on PATH',
      check: async () => ((await (await gitStorage()).isInstalled()) ? { available: true } : { available: false, reason: 'git is not installed (no `git` on PATH)' }),
      create: () => gitStorage(),
    },
    {
      kind: 'publisher',
      type: 'local',
      create: async () => {
        const { localResults } = need()
        const { LocalPublisher } = await import('../publisher/local-publisher.ts')
        return new LocalPublisher({ directory: localResults.directory, baseUrl: localResults.baseUrl, sign: localResults.sign })
      },
    },
    { kind: 'publisher', type: 'noop', create: () => new NoopPublisher() },
    { kind: 'publisher', type: 'ipfs', create: async () => new (await import('@shoal/ipfs')).IpfsPublisher(need().helia) },
    {
      kind: 'publisher',
      type: 's3',
      probe: 'AWS credentials (environment, shared profile, instance role)',
      check: s3Available,
      create: async () => new (await import('../publisher/s3-publisher.ts')).S3Publisher({ clients: await s3() }),
    },
  ]
  return {
    entries,
    close: () => void s3Clients?.then((clients) => clients.destroy()),
  }
}

function selection(settings: ComputePluginSettings) {
  return {
    disabled: { engine: settings.disabledEngines ?? [], storage: settings.disabledInputSources ?? [], publisher: settings.disabledPublishers ?? [] },
    settingNames: DISABLED_PLUGIN_KEYS,
  }
}

/** Makes a compute node's plug-ins from its settings; the report says what is off and why. `close` releases the S3 clients. */
export async function assembleComputePlugins(
  settings: ComputePluginSettings,
  components: () => ComputePluginComponents,
  options: AbortOptions = {},
): Promise<AssembledPlugins & { close(): void }> {
  const catalogue = computePluginCatalogue(settings, components)
  try {
    return { ...(await assemblePlugins(catalogue.entries, { ...selection(settings), signal: options.signal })), close: catalogue.close }
  } catch (error) {
    catalogue.close()
    throw error
  }
}

/**
 * What a compute node started with these settings would offer, making nothing. With `probe`
 * false (a quick listing), checks that probe the machine (dockerd, git, AWS credentials) are
 * skipped and their plug-ins listed as unchecked.
 */
export async function checkComputePlugins(settings: ComputePluginSettings, options: AbortOptions & { probe?: boolean } = {}): Promise<PluginStatus[]> {
  const catalogue = computePluginCatalogue(settings)
  try {
    return await checkPlugins(catalogue.entries, { ...selection(settings), signal: options.signal, probe: options.probe })
  } finally {
    catalogue.close()
  }
}
