import type { Evaluation, JobStateType, Resources } from '@shoal/models'
import type { OutgoingMessage } from '@shoal/protocol'

/**
 * What a store transaction decided to do outside the store: messages to nodes, evaluations to
 * queue, capacity to book or free, timers, notifications. Collected during the transaction and
 * carried out only after it committed, so a rolled-back decision never reaches a node.
 */
export class Effects {
  /** Messages to send, by node. */
  readonly messages: Array<{ nodeId: string; message: OutgoingMessage }> = []
  /** Evaluations to queue (persisted ones were written in the transaction). */
  readonly evaluations: Array<{ evaluation: Evaluation; persisted: boolean }> = []
  /** Capacity booked by new executions. */
  readonly allocations: Array<{ nodeId: string; executionId: string; resources: Resources }> = []
  /** Executions that ended (capacity freed, log streams closed). */
  readonly ended: string[] = []
  /** Job state changes, for listeners. */
  readonly jobStates: Array<{ jobId: string; state: JobStateType }> = []
  /** Jobs to look at again at a time (ms), for timeouts. */
  readonly deadlines: Array<{ jobId: string; at: number }> = []
  /** Jobs whose waiting status is now known: waiting with this explanation, or not waiting. */
  readonly waiting = new Map<string, { waiting: boolean; explanation?: string; daemon: boolean; terminal: boolean }>()

  /** Queues a message to a node. */
  send(nodeId: string, message: OutgoingMessage): void {
    this.messages.push({ nodeId, message })
  }
}
