/**
 * The one place that knows a contributing tab's plug-ins: the WASM engine in Web Workers (shared
 * by the CPU slider) and noop; inline, urlDownload and ipfs inputs; local (inline, or IPFS when
 * large), ipfs and noop publishers — assembled from the page's settings.
 */
import { assemblePlugins, InlineStorage, NoopEngine, NoopPublisher, UrlDownloadStorage, type AssembledPlugins } from '@shoal/compute'
import type { PluginEntry, PluginKind, WorkerLike } from '@shoal/interface'
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
    { kind: 'storage', type: 'urlDownload', create: () => new UrlDownloadStorage() },
    { kind: 'storage', type: 'ipfs', create: () => new IpfsStorage(components.helia) },
    // A local result too large to send inline goes to IPFS; the requester keeps it before Completed.
    { kind: 'publisher', type: 'local', create: () => new TabResultPublisher({ larger: ipfs() }) },
    { kind: 'publisher', type: 'ipfs', create: () => ipfs() },
    { kind: 'publisher', type: 'noop', create: () => new NoopPublisher() },
  ]
  const assembled = await assemblePlugins(entries, { disabled, settingNames: TAB_DISABLED_PARAMS })
  return { ...assembled, share }
}
