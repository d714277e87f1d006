import type { ContributionPhase, ContributorSnapshot, RecentJob, TransportInUse } from './contributor-state.ts'

/** What the view asks of the contributor when the user acts. */
export interface ContributeActions {
  setWorkers(workers: number): void
  pause(): void
  resume(): void
}

const TITLES: Record<ContributionPhase, string> = {
  starting: 'Starting…',
  connecting: 'Connecting…',
  contributing: 'Contributing',
  paused: 'Paused',
  disconnected: 'Disconnected',
  left: 'Left the network',
}

const DEFAULT_REASONS: Record<ContributionPhase, string> = {
  starting: 'Setting up the sandbox and finding the network.',
  connecting: 'Opening a connection to the requester.',
  contributing: 'Ready for jobs. They run in the background while this tab stays open.',
  paused: 'Not taking new jobs; jobs already running will finish. Press Resume to take jobs again.',
  disconnected: 'Not connected to the network.',
  left: 'This tab stopped contributing.',
}

/** The transport badge: its text and whether it is WebRTC or a fallback. */
export function transportLabel(transport: TransportInUse | undefined): { text: string; kind: 'webrtc' | 'fallback' | 'none' } {
  switch (transport) {
    case 'webrtc-direct':
      return { text: 'WebRTC-direct', kind: 'webrtc' }
    case 'webrtc':
      return { text: 'WebRTC', kind: 'webrtc' }
    case 'websockets':
      return { text: 'WebSockets (fallback)', kind: 'fallback' }
    case 'websocket':
      return { text: 'WebSocket (fallback)', kind: 'fallback' }
    case undefined:
      return { text: 'Not connected yet', kind: 'none' }
    default:
      return { text: transport, kind: 'fallback' }
  }
}

/** A duration for the recent jobs list: 12 ms, 1.4 s, 2 min 5 s. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
}

/** Bytes as GiB or MiB, for the memory line. */
export function formatMemory(bytes: number): string {
  const gib = bytes / 1024 ** 3
  return gib >= 1 ? `${gib.toFixed(gib % 1 === 0 ? 0 : 1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`
}

/** What the recent jobs list calls each state (a cancelled execution was stopped by the network). */
const STATE_LABELS: Record<RecentJob['state'], string> = {
  queued: 'queued',
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'stopped',
}

/**
 * A requester multiaddr as a person reads it: `127.0.0.1:4222 · peer 12D3Ko…x75P`; the full
 * address stays in the tooltip.
 */
export function describeRequester(address: string | undefined): string {
  if (!address) return '—'
  const host = /^\/(?:ip4|ip6|dns4|dns6|dns)\/([^/]+)\/(?:tcp|udp)\/(\d+)/.exec(address)
  const peer = /\/p2p\/([^/]+)$/.exec(address)?.[1]
  if (!host) return address
  const where = host[1].includes(':') ? `[${host[1]}]:${host[2]}` : `${host[1]}:${host[2]}`
  return peer ? `${where} · peer ${peer.slice(0, 6)}…${peer.slice(-4)}` : where
}

/** Short form of a Shoal ID (`j-1a2b3c4d`), as the CLI prints it. */
const shortId = (id: string): string => id.slice(0, 10)

/** Binds the contribute page's markup (index.html) to a contributor. */
export class ContributeView {
  private readonly root: ParentNode
  private readonly actions: ContributeActions
  private readonly els: Record<string, HTMLElement> = {}
  private last?: ContributorSnapshot

  constructor(root: ParentNode, actions: ContributeActions) {
    this.root = root
    this.actions = actions
    for (const el of root.querySelectorAll<HTMLElement>('[data-bind]')) this.els[el.dataset.bind!] = el
    const slider = this.els.slider as HTMLInputElement
    slider.addEventListener('input', () => this.actions.setWorkers(Number(slider.value)))
    this.button('pause').addEventListener('click', () => (this.last?.phase === 'paused' ? this.actions.resume() : this.actions.pause()))
    this.button('copy').addEventListener('click', () => void this.copyNodeId())
  }

  /** Shows a snapshot. */
  render(state: ContributorSnapshot): void {
    this.last = state
    const { els } = this
    els.dot.dataset.phase = state.phase
    els.title.textContent = TITLES[state.phase]
    els.reason.textContent = state.reason ?? DEFAULT_REASONS[state.phase]
    els['node-id'].textContent = state.nodeId
    els['node-id'].title = state.peerId ? `libp2p peer ${state.peerId}` : ''
    const badge = transportLabel(state.phase === 'left' ? undefined : state.transport)
    els.transport.textContent = state.phase === 'left' ? 'Closed' : badge.text
    els.transport.dataset.kind = badge.kind
    els.requester.textContent = describeRequester(state.requester)
    els.requester.title = state.requester ?? ''
    els.completed.textContent = String(state.counts.completed)
    els.running.textContent = state.counts.queued > 0 ? `${state.counts.running} + ${state.counts.queued} queued` : String(state.counts.running)
    els.failed.textContent = String(state.counts.failed)

    const slider = els.slider as HTMLInputElement
    slider.max = String(state.maxWorkers)
    slider.value = String(state.workers)
    slider.disabled = state.maxWorkers <= 1
    els.share.textContent = `${state.workers} of ${state.maxWorkers} ${state.maxWorkers === 1 ? 'core' : 'cores'} · ${Math.round((100 * state.workers) / state.maxWorkers)}%`
    els.memory.textContent = `Up to ${formatMemory(state.memoryBytes)} of memory for jobs`

    const pause = this.button('pause')
    pause.textContent = state.phase === 'paused' ? 'Resume' : 'Pause'
    pause.dataset.paused = String(state.phase === 'paused')
    pause.disabled = state.phase !== 'contributing' && state.phase !== 'paused'

    els.recent.replaceChildren(...state.recent.map((job) => this.row(job)))
    els.empty.hidden = state.recent.length > 0
  }

  private row(job: RecentJob): HTMLTableRowElement {
    const row = document.createElement('tr')
    const cell = (text: string, className?: string, title?: string) => {
      const td = document.createElement('td')
      td.textContent = text
      if (className) td.className = className
      if (title) td.title = title
      return td
    }
    const state = cell('')
    const pill = document.createElement('span')
    pill.className = 'pill'
    pill.dataset.state = job.state
    pill.textContent = STATE_LABELS[job.state]
    if (job.message && job.state !== 'running') pill.title = job.message
    state.append(pill)
    row.append(cell(shortId(job.jobId), 'mono', job.jobId), cell(shortId(job.executionId), 'mono', job.executionId), state, cell(formatDuration(job.durationMs), 'num'))
    return row
  }

  private button(action: string): HTMLButtonElement {
    return this.root.querySelector<HTMLButtonElement>(`[data-action="${action}"]`)!
  }

  private async copyNodeId(): Promise<void> {
    const button = this.button('copy')
    try {
      await navigator.clipboard.writeText(this.last?.nodeId ?? '')
      button.textContent = 'Copied'
    } catch {
      button.textContent = 'Select it'
    }
    setTimeout(() => (button.textContent = 'Copy'), 1500)
  }
}
