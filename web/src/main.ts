/**
 * The contribute page: reads its configuration from the address, finds the requester (this
 * page's origin by default), starts the tab's compute node and renders its state.
 */
import workerScript from './wasm-worker.ts?worker&url'
import { ContributeView } from './contribute-view.ts'
import { Contributor } from './contributor.ts'
import { memoryBudgetBytes } from './memory-budget.ts'
import { OpfsVolumeSpace } from './opfs-volume-space.ts'
import { readPageConfig } from './page-config.ts'
import { hasWebRTC, resolveRequesterAddresses } from './requester-addresses.ts'
import { bindTabLifecycle } from './tab-lifecycle.ts'
import { tabIdentity } from './tab-identity.ts'
import { installTestHook } from './test-hook.ts'

const PAGE_VERSION = '0.1.0'
/** Longest wait between asking an unreachable requester for its addresses again. */
const MAX_ASK_DELAY_MS = 15_000

async function main(): Promise<void> {
  const config = readPageConfig(location, navigator)
  // The view exists before the contributor (it shows errors in finding the requester).
  const live: { contributor?: Contributor } = {}
  const view = new ContributeView(document, {
    setWorkers: (workers) => live.contributor?.setWorkers(workers),
    pause: () => live.contributor?.pause(),
    resume: () => live.contributor?.resume(),
  })
  const versionEl = document.querySelector('[data-bind="version"]')
  if (versionEl) versionEl.textContent = `v${PAGE_VERSION}`
  const { nodeId, key: identity } = await tabIdentity()
  const memoryBytes = memoryBudgetBytes(navigator)
  const placeholder = {
    phase: 'starting' as const,
    nodeId,
    counts: { completed: 0, running: 0, failed: 0, queued: 0 },
    recent: [],
    workers: config.workers,
    maxWorkers: config.maxWorkers,
    memoryBytes,
  }
  view.render(placeholder)

  // Without WebRTC (turned off by the user or a policy) the tab dials WebSockets only.
  const webrtc = hasWebRTC()
  const askRequester = (signal?: AbortSignal) => resolveRequesterAddresses(config.requester, { webrtc, signal })
  // A page opened while its requester is down (restarting, say) keeps asking, and joins once it answers.
  let requesterAddresses: string[] | undefined
  for (let delayMs = 1000; requesterAddresses === undefined; delayMs = Math.min(delayMs * 2, MAX_ASK_DELAY_MS)) {
    try {
      requesterAddresses = await askRequester()
    } catch (err) {
      view.render({ ...placeholder, phase: 'disconnected', reason: `${(err as Error).message}; asking again in ${delayMs / 1000} s` })
      await new Promise((resolve) => setTimeout(resolve, delayMs))
    }
  }
  view.render(placeholder)
  const space = await openJobSpace(config.diskBytes)
  const current = new Contributor({
    nodeId,
    identity,
    requesterAddresses,
    // Addresses learned from the requester's API are asked again on reconnect; a given multiaddr is kept.
    refreshAddresses: config.requester.startsWith('/') || /^wss?:/i.test(config.requester) ? undefined : askRequester,
    gatewayUrl: config.requester.startsWith('/') || /^wss?:/i.test(config.requester) ? undefined : config.requester,
    workerUrl: new URL(workerScript, location.href),
    workers: config.workers,
    maxWorkers: config.maxWorkers,
    memoryBytes,
    space,
    iceServers: config.iceServers,
    webrtc,
    dev: config.dev,
    startPaused: config.startPaused,
    labels: config.labels,
    disabledPlugins: config.disabledPlugins,
    allowUrlHosts: config.allowUrlHosts,
    version: `v${PAGE_VERSION}`,
  })
  live.contributor = current
  // Renders at most once per frame: a burst of job events becomes one repaint.
  let scheduled = false
  current.addEventListener('change', () => {
    if (scheduled) return
    scheduled = true
    requestAnimationFrame(() => {
      scheduled = false
      view.render(current.snapshot())
    })
  })
  installTestHook(current)
  bindTabLifecycle(current)
  try {
    await current.start()
  } catch (err) {
    view.render({ ...current.snapshot(), phase: 'disconnected', reason: (err as Error).message })
  }
}

/**
 * The page's OPFS as the jobs' storage; undefined (jobs' data in memory) where the browser has
 * no origin-private file system (an insecure origin, some private windows).
 */
async function openJobSpace(diskBytes: number | undefined): Promise<OpfsVolumeSpace | undefined> {
  try {
    // Without ?disk= the budget is a share of the quota left once earlier lives' leftovers are gone.
    return await OpfsVolumeSpace.open({ totalBytes: diskBytes })
  } catch (err) {
    console.warn(`jobs' data stays in memory: this browser offers no origin-private file system here (${(err as Error).message})`)
    return undefined
  }
}

void main()
