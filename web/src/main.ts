/**
 * The contribute page: reads its configuration from the address, finds the requester (this
 * page's origin by default), starts the tab's compute node and renders its state.
 */
import workerScript from '@shoal/wasm/worker?worker&url'
import { ContributeView } from './contribute-view.ts'
import { Contributor } from './contributor.ts'
import { memoryBudgetBytes } from './memory-budget.ts'
import { readPageConfig } from './page-config.ts'
import { hasWebRTC, resolveRequesterAddresses } from './requester-addresses.ts'
import { bindTabLifecycle } from './tab-lifecycle.ts'
import { tabNodeId } from './tab-identity.ts'
import { installTestHook } from './test-hook.ts'

const PAGE_VERSION = '0.1.0'

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
  const nodeId = tabNodeId()
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
  let requesterAddresses: string[]
  try {
    requesterAddresses = await resolveRequesterAddresses(config.requester, { webrtc })
  } catch (err) {
    view.render({ ...placeholder, phase: 'disconnected', reason: (err as Error).message })
    return
  }
  const current = new Contributor({
    nodeId,
    requesterAddresses,
    workerUrl: new URL(workerScript, location.href),
    workers: config.workers,
    maxWorkers: config.maxWorkers,
    memoryBytes,
    iceServers: config.iceServers,
    webrtc,
    dev: config.dev,
    startPaused: config.startPaused,
    labels: config.labels,
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

void main()
