/**
 * The one place that knows a contributing tab's plug-ins: the WASM engine in Web Workers (shared
 * by the CPU slider) and noop; inline, urlDownload, s3PreSigned and ipfs inputs; local (inline, or
 * IPFS when large), ipfs, s3 (through URLs the requester presigns) and noop publishers — assembled
 * from the page's settings.
 */
import { assemblePlugins, InlineStorage, NoopEngine, NoopPublisher, PresignedS3Publisher, S3PreSignedStorage, UrlDownloadStorage, UrlHostPolicy, type AssembledPlugins, type ComputeNode } from '@shoal/compute'
import type { PluginEntry, PluginKind, VolumeSpace, WorkerLike } from '@shoal/interface'
import { IpfsPublisher, IpfsStorage } from '@shoal/ipfs'
import { createWasmEngine } from '@shoal/wasm'
import type { TabHelia } from './tab-helia.ts'
import { TabResultPublisher } from './tab-result-publisher.ts'
import { WorkerShareEngine } from './worker-share.ts'

/** The page parameters that turn plug-ins off, by kind (as node-runner's compute.disabled-* keys). */
export const TAB_DISABLED_PARAMS: Readonly<Record<PluginKind, string>> = {
  engine: '?disabled-engines',
  storage: '?disabled-input-sources',
  publisher: '?disabled-publishers',
}

/** What the tab's plug-ins are made with. */
export interface TabPluginComponents {
  /** The tab's IPFS node on the page's libp2p. */
  helia: TabHelia
  /** URL of the WASM engine's worker script. */
  workerUrl: URL
  /** Workers the pool may start (the slider's maximum) and how many run jobs now. */
  maxWorkers: number
  workers: number
  /** Job data is in OPFS: the workers open OPFS volumes in place. */
  opfs: boolean
  /** Hosts `urlDownload` and `s3PreSigned` inputs may fetch although private or loopback. */
  allowUrlHosts?: string[]
  /** The tab's job-data space (the s3 publisher writes the archive there first, to know its size). */
  space: VolumeSpace
  /** Asks the requester to presign the upload of an execution's s3 result. */
  requestUploadGrant: ComputeNode['requestUploadGrant']
}

/** The tab's plug-ins, and the engine the CPU slider resizes (absent when wasm is disabled). */
export interface TabPlugins extends AssembledPlugins {
  share?: WorkerShareEngine
}

/** Assembles the tab's plug-ins; `disabled` holds the types the page turned off. */
export async function assembleTabPlugins(components: TabPluginComponents, disabled: Partial<Record<PluginKind, readonly string[]>> = {}): Promise<TabPlugins> {
  let share: WorkerShareEngine | undefined
  let ipfsPublisher: IpfsPublisher | undefined
  const ipfs = () => (ipfsPublisher ??= new IpfsPublisher(components.helia))
  let urlDownload: UrlDownloadStorage | undefined
  const download = () => (urlDownload ??= new UrlDownloadStorage({ policy: new UrlHostPolicy({ allowHosts: components.allowUrlHosts }) }))
  const entries: PluginEntry[] = [
    {
      kind: 'engine',
      type: 'wasm',
      create: () => {
        const wasm = createWasmEngine({
          workerFactory: (url) => new Worker(url, { type: 'module', name: 'shoal-wasm' }) as unknown as WorkerLike,
          workerUrl: components.workerUrl,
          poolSize: components.maxWorkers,
          // The tab's worker script installs OPFS access (wasm-worker.ts): inputs and large outputs in OPFS.
          ...(components.opfs ? { volumeKinds: ['opfs' as const] } : {}),
        })
        return (share = new WorkerShareEngine(wasm, components.workers))
      },
    },
    { kind: 'engine', type: 'noop', create: () => new NoopEngine() },
    { kind: 'storage', type: 'inline', create: () => new InlineStorage() },
    { kind: 'storage', type: 'urlDownload', create: () => download() },
    { kind: 'storage', type: 'ipfs', create: () => new IpfsStorage(components.helia) },
    { kind: 'storage', type: 's3PreSigned', create: () => new S3PreSignedStorage({ download: download() }) },
    // A local result too large to send inline goes to IPFS; the requester keeps it before Completed.
    { kind: 'publisher', type: 'local', create: () => new TabResultPublisher({ larger: ipfs() }) },
    { kind: 'publisher', type: 'ipfs', create: () => ipfs() },
    { kind: 'publisher', type: 'noop', create: () => new NoopPublisher() },
    {
      kind: 'publisher',
      type: 's3',
      create: () => new PresignedS3Publisher({ space: components.space, requestGrant: (executionId, size, options) => components.requestUploadGrant(executionId, size, options) }),
    },
  ]
  const assembled = await assemblePlugins(entries, { disabled, settingNames: TAB_DISABLED_PARAMS })
  return { ...assembled, share }
}
