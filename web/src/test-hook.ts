import type { ContributionPhase, ContributorSnapshot, JobCounts, RecentJob, TransportInUse } from './contributor-state.ts'

/** The read-only view of the page that browser tests use (`window.__shoal`). */
export interface ShoalPageHook {
  status(): ContributionPhase
  transport(): TransportInUse | undefined
  /** The requester multiaddr the tab is connected to (or last was). */
  requester(): string | undefined
  nodeId(): string
  counts(): JobCounts
  recent(): RecentJob[]
}

/** Installs `window.__shoal`, reading from the contributor's snapshots. */
export function installTestHook(target: { snapshot(): ContributorSnapshot }, win: Window = window): void {
  const hook: ShoalPageHook = {
    status: () => target.snapshot().phase,
    transport: () => target.snapshot().transport,
    requester: () => target.snapshot().requester,
    nodeId: () => target.snapshot().nodeId,
    counts: () => target.snapshot().counts,
    recent: () => target.snapshot().recent,
  }
  Object.defineProperty(win, '__shoal', { value: Object.freeze(hook), configurable: false, enumerable: false, writable: false })
}
