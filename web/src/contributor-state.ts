/** What the contributor sees as the tab's state. */
export type ContributionPhase = 'starting' | 'connecting' | 'contributing' | 'paused' | 'disconnected' | 'left'

/** How the compute protocol's bytes travel, as the connection reports it. */
export type TransportInUse = 'webrtc-direct' | 'webrtc' | 'websockets' | 'websocket' | 'circuit-relay' | 'webtransport' | 'tcp' | 'unknown'

/** Job counters shown on the page. */
export interface JobCounts {
  /** Executions that ran to an end (any exit code). */
  completed: number
  running: number
  failed: number
  /** Accepted and waiting for a worker. */
  queued: number
}

/** One line of the recent jobs list. */
export interface RecentJob {
  executionId: string
  jobId: string
  state: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled'
  /** Wall time of the run, once it ended. */
  durationMs?: number
  /** Why it failed or was cancelled, or its exit code. */
  message: string
  /** When it was last updated (ms since the epoch). */
  at: number
}

/** A snapshot of the tab's contribution, rendered by the view and read by tests. */
export interface ContributorSnapshot {
  phase: ContributionPhase
  /** Why the tab is disconnected or left. */
  reason?: string
  nodeId: string
  /** libp2p peer ID of the tab. */
  peerId?: string
  transport?: TransportInUse
  /** The requester multiaddr in use. */
  requester?: string
  counts: JobCounts
  recent: RecentJob[]
  workers: number
  maxWorkers: number
  /** Memory offered to jobs, in bytes. */
  memoryBytes: number
}
