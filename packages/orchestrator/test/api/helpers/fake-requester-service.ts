/**
 * A test double of RequesterService for the API tests: the real SqlJobStore (node:sqlite in
 * memory) for reads, and small stand-ins for the scheduler's writes. It records the calls the
 * API makes so tests can check what was forwarded.
 */
import { newEvaluationId, newJobId, ValidationError } from '@shoal/models'
import type { Job, NodeInfo, NodeState } from '@shoal/models'
import type { Clock, JobStore } from '@shoal/interface'
import { NODES_COMPONENT, NodeStateConflictError } from '../../../src/nodes/node-errors.ts'
import { SqlJobStore } from '../../../src/store/index.ts'
import { createNodeSqliteDatabase } from '../../../../../node-runner/src/sqlite/node-sqlite-database.ts'
import type {
  DiffJobResponse,
  ExecutionLogLine,
  LogsOptions,
  NodeAction,
  RequesterService,
  RerunJobResponse,
  SubmitJobResponse,
} from '../../../src/requester-service.ts'

/** A call the API made on the service. */
export interface ServiceCall {
  method: string
  args: unknown[]
}

/** The test double. */
export class FakeRequesterService extends EventTarget implements RequesterService {
  readonly store: JobStore
  readonly calls: ServiceCall[] = []
  /** Log lines served per job ID. */
  readonly logLines = new Map<string, ExecutionLogLine[]>()
  /** When set, the log stream throws this after yielding its lines. */
  logFailure?: Error
  /** When set, every listNodes call throws it (an unexpected internal failure). */
  listNodesFailure?: Error

  /** `clock` drives the store's CreateTime/ModifyTime (default: the system clock). */
  constructor(options: { clock?: Pick<Clock, 'now'> } = {}) {
    super()
    this.store = new SqlJobStore({ db: createNodeSqliteDatabase(':memory:'), clock: options.clock })
  }

  async submitJob(spec: unknown, options: { force?: boolean } = {}): Promise<SubmitJobResponse> {
    this.calls.push({ method: 'submitJob', args: [spec, { force: options.force }] })
    const job = this.#validate(spec)
    const existing = job.Name ? await this.store.findJobByName(job.Name, job.Namespace) : undefined
    if (existing) {
      const updated = await this.store.updateJob({ ...job, ID: existing.ID })
      return { JobID: updated.ID, EvaluationID: newEvaluationId(), Warnings: [] }
    }
    await this.store.createJob(job)
    return { JobID: job.ID, EvaluationID: newEvaluationId(), Warnings: [] }
  }

  async stopJob(jobId: string, reason?: string): Promise<{ EvaluationID: string }> {
    this.calls.push({ method: 'stopJob', args: [jobId, reason] })
    await this.store.updateJobState({ jobId, newState: 'Stopped', message: reason })
    return { EvaluationID: newEvaluationId() }
  }

  async rerunJob(jobIdOrName: string, reason?: string, jobVersion?: number): Promise<RerunJobResponse> {
    this.calls.push({ method: 'rerunJob', args: jobVersion === undefined ? [jobIdOrName, reason] : [jobIdOrName, reason, jobVersion] })
    const job = await this.store.getJobByIdOrName(jobIdOrName)
    return { JobID: job.ID, JobVersion: job.Version, EvaluationID: newEvaluationId(), Warnings: [] }
  }

  async diffJob(spec: unknown): Promise<DiffJobResponse> {
    this.calls.push({ method: 'diffJob', args: [spec] })
    const job = this.#validate(spec)
    const existing = await this.store.findJobByName(job.Name, job.Namespace)
    if (!existing) return { Diff: `+ new job ${job.Name}`, Warnings: [] }
    return { Diff: existing.Count === job.Count ? '' : `~ Count: ${existing.Count} -> ${job.Count}`, Warnings: [] }
  }

  async nodeAction(nodeId: string, action: NodeAction, message?: string): Promise<{ Success: boolean; Error?: string }> {
    this.calls.push({ method: 'nodeAction', args: [nodeId, action, message] })
    const node = await this.store.getNode(nodeId)
    if (action === 'delete') {
      await this.store.deleteNode(nodeId)
      return { Success: true }
    }
    const Membership = action === 'approve' ? 'APPROVED' : 'REJECTED'
    if (node.Membership === Membership) throw new NodeStateConflictError(`node ${nodeId} already ${action}d`, { component: NODES_COMPONENT })
    await this.store.putNode({ ...node, Membership })
    return { Success: true }
  }

  async *logs(jobIdOrName: string, options: LogsOptions = {}): AsyncIterable<ExecutionLogLine> {
    this.calls.push({ method: 'logs', args: [jobIdOrName, { executionId: options.executionId, tail: options.tail, follow: options.follow }] })
    let lines = (this.logLines.get(jobIdOrName) ?? []).filter((l) => !options.executionId || l.ExecutionID === options.executionId)
    if (options.tail !== undefined) lines = options.tail === 0 ? [] : lines.slice(-options.tail)
    for (const line of lines) {
      if (options.signal?.aborted) return
      yield line
    }
    if (this.logFailure) throw this.logFailure
  }

  nodeInfo(): NodeInfo {
    return { NodeID: 'n-requester', NodeType: 'Requester', Labels: { role: 'requester' } }
  }

  async listNodes(): Promise<NodeState[]> {
    if (this.listNodesFailure) throw this.listNodesFailure
    const nodes: NodeState[] = []
    let nextToken: string | undefined
    for (let i = 0; i < 100; i++) {
      const page = await this.store.listNodes({ nextToken })
      nodes.push(...page.Items)
      if (!page.NextToken) break
      nextToken = page.NextToken
    }
    return nodes
  }

  /** Just enough validation to exercise the API's error path; the real Requester validates fully. */
  #validate(spec: unknown): Job {
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
      throw new ValidationError([{ path: 'Job', message: 'must be an object' }])
    }
    const input = spec as Partial<Job>
    if (!Array.isArray(input.Tasks) || input.Tasks.length !== 1) {
      throw new ValidationError([{ path: 'Tasks', message: 'must hold exactly one task' }])
    }
    if (typeof input.Tasks[0]?.Engine?.Type !== 'string') {
      throw new ValidationError([{ path: 'Tasks[0].Engine.Type', message: 'is required' }])
    }
    const id = newJobId()
    return {
      ID: id,
      Name: input.Name || id,
      Namespace: input.Namespace || 'default',
      Type: input.Type ?? 'batch',
      Priority: 0,
      Count: input.Count ?? 1,
      Constraints: [],
      Meta: {},
      Labels: input.Labels ?? {},
      Tasks: input.Tasks,
      State: { StateType: 'Pending' },
      Version: 1,
      Revision: 1,
      CreateTime: 0,
      ModifyTime: 0,
    }
  }
}
