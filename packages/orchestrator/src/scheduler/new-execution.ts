import type { Execution } from '@shoal/models'
import { ExecutionDesiredState, ExecutionState } from '@shoal/models'
import { toNanos } from '@shoal/interface'
import type { NodeCandidate } from './node-selector.ts'
import type { SchedulerInput } from './plan.ts'
import { subtractResources } from '@shoal/models'

/**
 * A new execution of the job's current version on `node` for `partition`, in state AskForBid
 * (the planner sends the AskForBid right after writing it). The node's free capacity in the
 * scheduler's view drops by the job's resources, and it becomes the most recently used node, so
 * later placements see both.
 */
export function newExecution(input: SchedulerInput, node: NodeCandidate, partition: number): Execution {
  const { job } = input
  const now = toNanos(input.now)
  node.free = subtractResources(node.free, input.required)
  node.activeExecutions++
  // Later placements of the same transaction see this node as the most recently used.
  node.lastPlacement = Math.max(0, ...input.nodes.map((n) => n.lastPlacement ?? 0)) + 1
  return {
    ID: input.newExecutionId(),
    Namespace: job.Namespace,
    EvalID: input.evaluation.ID,
    Name: job.Name,
    NodeID: node.state.Info.NodeID,
    JobID: job.ID,
    JobVersion: job.Version,
    PartitionIndex: partition,
    AllocatedResources: { Tasks: { [job.Tasks[0]?.Name ?? 'main']: { ...input.required } } },
    DesiredState: { StateType: ExecutionDesiredState.Pending, Message: '' },
    ComputeState: { StateType: ExecutionState.AskForBid, Message: '' },
    PublishedResult: null,
    RunOutput: null,
    Revision: 1,
    CreateTime: now,
    ModifyTime: now,
  }
}
