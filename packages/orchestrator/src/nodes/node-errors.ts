/**
 * Errors of node management with Bacalhau's codes (its NodesManager's): clients that switch on
 * the error body's Code see the same values from Shoal.
 */
import { ShoalError } from '@shoal/models'

/** The component node-management errors name, as Bacalhau's. */
export const NODES_COMPONENT = 'NodesManager'

/** The node already has the membership an approve or reject asks for (409 ConflictNodeState). */
export class NodeStateConflictError extends ShoalError {
  override readonly code = 'ConflictNodeState'
  override readonly status = 409
}

/** A node ID prefix matches several nodes (409 MultipleNodesFound). */
export class MultipleNodesFoundError extends ShoalError {
  override readonly code = 'MultipleNodesFound'
  override readonly status = 409
}
