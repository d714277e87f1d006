import type { SpecConfig } from '@shoal/models'

/** What a ResultPinner is told about the result it keeps. */
export interface ResultPinContext {
  jobId: string
  executionId: string
  /** The compute node that published the result (it is connected while the pin runs). */
  nodeId: string
  /** Aborted when the requester stops. */
  signal: AbortSignal
}

/**
 * Keeps a compute node's published result on the requester before its execution counts as
 * Completed, so the result outlives the node that published it (a tab that closes, a node that
 * leaves). node-runner pins `ipfs` results with its Helia node.
 */
export interface ResultPinner {
  /** True when this pinner keeps results of this kind (e.g. `Type: ipfs`). */
  handles(result: SpecConfig): boolean
  /**
   * Fetches and keeps the result; resolves once it is held. Rejects with the reason (naming
   * what was wanted) when it cannot be had within the pinner's time and size bounds; the
   * execution then fails with that reason.
   */
  pin(result: SpecConfig, context: ResultPinContext): Promise<void>
}
