import type { Evaluation, Execution, Job, JobStateType, NodeInfo, NodeState, UuidSource } from '@shoal/models'
import {
  BadRequestError,
  ConflictError,
  ExecutionDesiredState,
  ExecutionState,
  NotFoundError,
  ProtocolError,
  ShoalError,
  TERMINAL_EXECUTION_STATES,
  TERMINAL_JOB_STATES,
  UnreachableError,
  newEvaluationId,
  newExecutionId,
  newNodeId,
  shortId,
} from '@shoal/models'
import { abortable, constantTimeEqual, silentLogger, systemClock, toNanos } from '@shoal/interface'
import type { Clock, JobStore, Logger } from '@shoal/interface'
import { newChallengeNonce, verifyHandshakeProof, type Connection, type Listener, type Message, type MessageOf } from '@shoal/protocol'
import { DeadlineTimers } from './deadline-timers.ts'
import { Effects } from './effects.ts'
import { EvaluationBroker, type BrokerEntry, type EvaluationGroup } from './evaluation-broker.ts'
import { TransactionBatcher, type BatchContext } from './transaction-batcher.ts'
import { explainBidRejected, explainExecutionFailed } from './explain.ts'
import { diffJobs } from './job-diff.ts'
import { prepareJob } from './job-submission.ts'
import { LogStreams } from './log-streams.ts'
import type { ResultPinner } from './result-pinner.ts'
import type { UploadSigner } from './upload-signer.ts'
import { MessageOrder } from './message-order.ts'
import { NODES_COMPONENT, NodeStateConflictError } from './nodes/node-errors.ts'
import { NodeRegistry } from './nodes/node-registry.ts'
import type {
  DiffJobResponse,
  ExecutionLogLine,
  LogsOptions,
  NodeAction,
  RequesterService,
  RerunJobResponse,
  SubmitJobResponse,
} from './requester-service.ts'
import { applyPlan, errorRunOutput, isoTime } from './scheduler/apply-plan.ts'
import { isActiveExecution, isRunningExecution } from './scheduler/execution-states.ts'
import { NODE_BUSY_DETAIL, NODE_GENERATION_DETAIL, type NodeCandidate } from './scheduler/node-selector.ts'
import { retryOutcome } from './scheduler/reconcile.ts'
import { requiredResources } from './scheduler/required-resources.ts'
import { scheduleJob } from './scheduler/schedule-job.ts'
import { DEFAULT_EXECUTION_TIMEOUT_S, type SchedulerSettings } from './scheduler/scheduler-settings.ts'
import { listAllExecutions, listAllJobs } from './store-paging.ts'
import { verifyRunResult, type NodeVerdict } from './verification/result-verifier.ts'

/** Settings of a requester; every field has a default. */
export interface RequesterConfig {
  /** This requester's node ID (default `n-<uuid>`). */
  nodeId?: string
  /** Labels of this requester's own NodeInfo. */
  labels?: Record<string, string>
  /** When set, compute nodes must present it in their Handshake. */
  joinToken?: string
  /** New nodes join PENDING and get no work until approved (default false: APPROVED). */
  manualApproval?: boolean
  /** Heartbeat interval told to nodes, in ms (default 1000). */
  heartbeatIntervalMs?: number
  /** Heartbeats a node may miss before it counts as disconnected (default 3). */
  missedHeartbeats?: number
  /**
   * After a restart, time a node that was connected has to reconnect before its executions are
   * failed and rescheduled, in ms (default 35000: longer than a compute node's longest reconnect
   * back-off, 30 s, so a node that finished work while the requester was down reports it instead
   * of the work running again elsewhere).
   */
  restartGraceMs?: number
  /** Delay between re-evaluations of a queued job, in ms (default 5000); joins re-evaluate at once. */
  queueBackoffMs?: number
  /** QueueTimeout of jobs that set none, in s (default 0, as Bacalhau: a job no node can run fails at once). */
  defaultQueueTimeoutS?: number
  /** Retries of a failed partition before the job fails (default 2, so 3 attempts). */
  maxRetries?: number
  /** A node that failed a job this many times is not offered it again (default 1: retries go elsewhere). */
  maxFailuresPerNode?: number
  /** ExecutionTimeout of batch/ops jobs that set none, in s (default 600; 0: none). */
  defaultExecutionTimeoutS?: number
  /** TotalTimeout of batch/ops jobs that set none, in s (default 0: none). */
  defaultTotalTimeoutS?: number
  /** A connection that has not sent its Handshake within this many ms is closed (default 10000). */
  handshakeTimeoutMs?: number
  /** Most jobs evaluated in one store transaction (default 64). */
  evaluationBatchSize?: number
  /**
   * Nodes with all of these labels take only verified jobs (Meta shoal.verify/replicas), e.g.
   * `{ runtime: 'browser' }` so anyone's tab never runs an unverified job while the operator's own
   * node-runners do (default none: every node takes every job).
   */
  verificationRequiredLabels?: Record<string, string>
}

/** What a requester is built from. */
export interface RequesterOptions {
  store: JobStore
  /** Where compute nodes connect (memory, libp2p, WebSocket...). More can be added with handleConnection. */
  listeners?: Listener[]
  clock?: Clock
  logger?: Logger
  uuid?: UuidSource
  config?: RequesterConfig
  /**
   * Keeps published results on the requester before their executions count as Completed
   * (node-runner: pins `ipfs` results with its Helia node). None: results stay where published.
   */
  resultPinner?: ResultPinner
  /**
   * Presigns `s3` result uploads for nodes without S3 credentials (tabs) when they ask
   * (UploadGrantRequest). None: such requests are refused, naming why.
   */
  uploadSigner?: UploadSigner
}

/** Detail of the requester's `job` event. */
export interface JobStateEventDetail {
  jobId: string
  state: JobStateType
}

/** Detail of the requester's `node` event. */
export interface NodeEventDetail {
  nodeId: string
  state: NodeState
}

/**
 * Events a Requester dispatches (CustomEvent): `job` (a job changed state), `node` (a node
 * connected, disconnected or changed membership).
 */
export interface RequesterEvents {
  job: CustomEvent<JobStateEventDetail>
  node: CustomEvent<NodeEventDetail>
}

interface Session {
  connection: Connection
  /** The nonce of this connection's Challenge, which the Handshake must sign. */
  nonce: string
  nodeId?: string
  /** Message handling: in arrival order; Handshake/Goodbye/close after everything before. */
  order: MessageOrder
  handshakeTimer?: unknown
}

/** Messages only an approved node may send: a pending or rejected node has no work to bid on or report. */
const APPROVED_ONLY = new Set<Message['Type']>(['BidResult', 'ExecutionStateUpdate', 'RunResult', 'ComputeError', 'LogLine', 'LogsEnd', 'UploadGrantRequest'])

/** Messages that must see everything before them handled, and hold back everything after them. */
/** A published result in a few words for messages, e.g. `ipfs CID QmT78…`. */
function describeResult(result: { Type: string; Params?: Record<string, unknown> }): string {
  const cid = result.Params?.CID
  return typeof cid === 'string' ? `${result.Type} CID ${cid}` : result.Type
}

const BARRIER_MESSAGES = new Set<Message['Type']>(['Handshake', 'Goodbye', 'NodeInfoUpdate'])

const ACTIVE_STATES = [
  ExecutionState.New,
  ExecutionState.AskForBid,
  ExecutionState.AskForBidAccepted,
  ExecutionState.BidAccepted,
  ExecutionState.Running,
  ExecutionState.Publishing,
]

/**
 * The requester: takes job submissions, schedules them onto compute nodes through evaluations,
 * and speaks the compute protocol with every node that connects to one of its listeners.
 * Implements the RequesterService the REST API is built on.
 */
export class Requester extends EventTarget implements RequesterService {
  /** The job store (reads for the API). */
  readonly store: JobStore
  /** The live node registry. */
  readonly nodes: NodeRegistry
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly uuid: UuidSource
  private readonly listeners: Listener[]
  private readonly settings: SchedulerSettings
  private readonly config: Required<Pick<RequesterConfig, 'heartbeatIntervalMs' | 'missedHeartbeats' | 'handshakeTimeoutMs'>> & RequesterConfig
  private readonly id: string
  private readonly broker: EvaluationBroker
  private readonly batcher: TransactionBatcher
  private readonly deadlines: DeadlineTimers
  private readonly logStreams = new LogStreams()
  private readonly sessions = new Set<Session>()
  /** Jobs waiting for nodes, with their last queue explanation. */
  private readonly waitingJobs = new Map<string, string | undefined>()
  private readonly daemonJobs = new Set<string>()
  /** When each job's current version was submitted (ms); QueueTimeout/TotalTimeout count from it. */
  private readonly versionStarts = new Map<string, { version: number; at: number }>()
  private readonly resultPinner?: ResultPinner
  private readonly uploadSigner?: UploadSigner
  /** Pins under way by execution ID: a RunResult sent again after a reconnect joins the pin already running. */
  private readonly pins = new Map<string, Promise<string | undefined>>()
  /** Aborts pins under way when the requester stops. */
  private pinAbort = new AbortController()
  private started = false

  constructor(options: RequesterOptions) {
    super()
    const config = options.config ?? {}
    this.store = options.store
    this.clock = options.clock ?? systemClock
    this.logger = (options.logger ?? silentLogger).child('requester')
    this.uuid = options.uuid ?? (() => crypto.randomUUID())
    this.listeners = options.listeners ?? []
    this.resultPinner = options.resultPinner
    this.uploadSigner = options.uploadSigner
    this.config = { heartbeatIntervalMs: 1000, missedHeartbeats: 3, handshakeTimeoutMs: 10_000, ...config }
    this.id = config.nodeId ?? newNodeId(this.uuid)
    this.settings = {
      maxAttempts: 1 + Math.max(0, config.maxRetries ?? 2),
      maxFailuresPerNode: Math.max(1, config.maxFailuresPerNode ?? 1),
      queueBackoffMs: config.queueBackoffMs ?? 5000,
      defaultQueueTimeoutS: config.defaultQueueTimeoutS ?? 0,
      defaultExecutionTimeoutS: config.defaultExecutionTimeoutS ?? DEFAULT_EXECUTION_TIMEOUT_S,
      defaultTotalTimeoutS: config.defaultTotalTimeoutS ?? 0,
      ...(config.verificationRequiredLabels ? { verificationRequiredLabels: { ...config.verificationRequiredLabels } } : {}),
    }
    this.batcher = new TransactionBatcher(this.store)
    this.nodes = new NodeRegistry(
      { store: this.store, clock: this.clock, logger: this.logger },
      {
        heartbeatIntervalMs: this.config.heartbeatIntervalMs,
        missedHeartbeats: this.config.missedHeartbeats,
        restartGraceMs: config.restartGraceMs ?? 35_000,
        onLost: (nodeId, why) => this.nodeLostSafely(nodeId, why),
      },
    )
    this.broker = new EvaluationBroker(
      { clock: this.clock, logger: this.logger },
      { process: (groups) => this.processEvaluations(groups), batchSize: config.evaluationBatchSize ?? 64 },
    )
    this.deadlines = new DeadlineTimers(this.clock, (jobId) => this.broker.enqueue(this.newEvaluation({ ID: jobId } as Job, 'timeout'), false))
  }

  // ----- lifecycle -----

  /**
   * Loads nodes, re-queues pending evaluations and re-evaluates unfinished jobs (executions on
   * nodes that do not reconnect within the heartbeat timeout fail and are rescheduled), then
   * starts the listeners.
   */
  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    this.pinAbort = new AbortController()
    await this.nodes.load()
    const pending = await this.store.listPendingEvaluations()
    for (const evaluation of pending) this.broker.enqueue(evaluation, true)
    const withPending = new Set(pending.map((e) => e.JobID))
    for (const job of await listAllJobs(this.store, { states: ['Pending', 'Queued', 'Running'] })) {
      if (!withPending.has(job.ID)) this.broker.enqueue(this.newEvaluation(job, 'requester-restart'), false)
    }
    this.broker.start()
    for (const listener of this.listeners) await listener.start((connection) => this.handleConnection(connection))
    this.logger.info('requester started', { nodeId: this.id, pendingEvaluations: pending.length })
  }

  /** Stops listening, says Goodbye to connected nodes and stops scheduling (state stays in the store). */
  async stop(): Promise<void> {
    if (!this.started) return
    this.started = false
    this.pinAbort.abort(new Error('the requester is stopping'))
    for (const listener of this.listeners) await listener.stop().catch(() => {})
    await this.broker.stop()
    this.deadlines.clearAll()
    this.nodes.stop()
    await Promise.allSettled([...this.sessions].map((session) => session.order.settled()))
    for (const session of [...this.sessions]) {
      if (session.handshakeTimer !== undefined) this.clock.clearTimeout(session.handshakeTimer)
      if (!session.connection.closed) {
        await session.connection.send({ Type: 'Goodbye', Reason: 'requester shutting down' }).catch(() => {})
        await session.connection.close('requester shutting down')
      }
    }
    this.sessions.clear()
  }

  /** Resolves when no evaluation is ready or in progress (useful in tests and benchmarks). */
  idle(): Promise<void> {
    return this.broker.idle()
  }

  // ----- RequesterService -----

  /** This requester's identity. */
  nodeInfo(): NodeInfo {
    return { NodeID: this.id, NodeType: 'Requester', Labels: { ...(this.config.labels ?? {}) }, SupportedProtocols: ['shoal-compute/1'] }
  }

  /** All nodes, connected or not, with live capacity. */
  async listNodes(): Promise<NodeState[]> {
    return this.nodes.states()
  }

  /** Registers a job, or a new version of the job with the same Name in its namespace. */
  async submitJob(submission: unknown, options: { force?: boolean; signal?: AbortSignal } = {}): Promise<SubmitJobResponse> {
    options.signal?.throwIfAborted()
    const { job, warnings } = prepareJob(submission, { now: () => this.clock.now(), uuid: this.uuid })
    const now = this.clock.now()
    const [{ stored, evaluation }] = await this.batcher.run(async (tx) => {
      const existing = await tx.findJobByName(job.Name, job.Namespace)
      if (existing) {
        if (!options.force && diffJobs(existing, job) === '') {
          throw new BadRequestError(
            `no changes detected for job ${existing.Name} (${existing.ID}, version ${existing.Version}) in namespace ${existing.Namespace}`,
            { hint: 'submit with force to run it again as a new version, or use `job rerun`' },
          )
        }
        // A new version starts over (even after Completed/Failed/Stopped): Pending.
        const updated = await tx.updateJob({ ...job, ID: existing.ID, State: { StateType: 'Pending', Message: `job updated to version ${existing.Version + 1}` } })
        return { stored: updated, evaluation: this.newEvaluation(updated, 'job-update') }
      }
      const created: Job = { ...job, State: { StateType: 'Pending', Message: '' }, Version: 1, Revision: 1 }
      await tx.createJob(created)
      return { stored: created, evaluation: this.newEvaluation(created, 'job-register') }
    })
    this.versionStarts.set(stored.ID, { version: stored.Version, at: now })
    this.waitingJobs.delete(stored.ID)
    this.emitJob(stored.ID, 'Pending')
    // Not stored: a Pending job is evaluated again after a restart anyway (see start()).
    this.broker.enqueue(evaluation, false)
    return { JobID: stored.ID, EvaluationID: evaluation.ID, Warnings: warnings }
  }

  /** Stops a job: its executions are cancelled on their nodes. */
  async stopJob(jobId: string, reason?: string): Promise<{ EvaluationID: string }> {
    const [result] = await this.batcher.run(async (tx) => {
      const job = await tx.getJobByIdOrName(jobId)
      if (job.State.StateType === 'Stopped') return { job, evaluation: undefined }
      if (job.State.StateType === 'Completed') {
        throw new ConflictError(`job ${job.ID} already completed; there is nothing to stop`, { hint: 'use `job rerun` to run it again' })
      }
      await tx.updateJobState({ jobId: job.ID, newState: 'Stopped', message: reason || 'stopped by the user' })
      if (job.State.StateType === 'Failed') return { job, evaluation: undefined }
      const evaluation = this.newEvaluation(job, 'job-cancel')
      await tx.createEvaluation(evaluation)
      return { job, evaluation }
    })
    if (result.job.State.StateType !== 'Stopped') this.emitJob(result.job.ID, 'Stopped')
    this.forgetJob(result.job.ID)
    if (result.evaluation) this.broker.enqueue(result.evaluation, true)
    return { EvaluationID: result.evaluation?.ID ?? '' }
  }

  /**
   * Runs a job again as a new latest version (its running executions, if any, are replaced):
   * the spec of `jobVersion` when given (an older version), else the current one.
   */
  async rerunJob(jobIdOrName: string, reason?: string, jobVersion?: number): Promise<RerunJobResponse> {
    const now = this.clock.now()
    const [{ job, evaluation }] = await this.batcher.run(async (tx) => {
      const current = await tx.getJobByIdOrName(jobIdOrName)
      if (current.State.StateType === 'Pending' || current.State.StateType === 'Queued') {
        throw new ConflictError(`job ${current.ID} is ${current.State.StateType.toLowerCase()} and has not run yet; there is nothing to rerun`, {
          hint: 'wait for it to run, or stop it first',
        })
      }
      let spec = current
      if (jobVersion && jobVersion !== current.Version) {
        const found = (await tx.getJobVersions(current.ID)).find((version) => version.Version === jobVersion)
        if (!found) {
          throw new NotFoundError(`job ${current.ID} has no version ${jobVersion} (latest is ${current.Version})`, {
            hint: 'list its versions with `job describe` or GET /api/v1/orchestrator/jobs/<id>/versions',
          })
        }
        spec = found
      }
      const message = reason ? `job rerun: ${reason}` : 'job rerun'
      const updated = await tx.updateJob({ ...spec, State: { StateType: 'Pending', Message: message } })
      const time = isoTime(now)
      await tx.addHistory({ Type: 'JobLevel', JobID: updated.ID, JobVersion: updated.Version, Event: { Message: message, Topic: 'Submission', Timestamp: time }, Time: time })
      return { job: updated, evaluation: this.newEvaluation(updated, 'job-rerun') }
    })
    this.versionStarts.set(job.ID, { version: job.Version, at: now })
    this.waitingJobs.delete(job.ID)
    this.emitJob(job.ID, 'Pending')
    this.broker.enqueue(evaluation, false) // not stored, as in submitJob
    return { JobID: job.ID, JobVersion: job.Version, EvaluationID: evaluation.ID, Warnings: [] }
  }

  /** What would change if `submission` were submitted (NotFound when no job has its Name). */
  async diffJob(submission: unknown): Promise<DiffJobResponse> {
    const { job, warnings } = prepareJob(submission, { now: () => this.clock.now(), uuid: this.uuid })
    const existing = await this.store.findJobByName(job.Name, job.Namespace)
    if (!existing) {
      throw new NotFoundError(`no job named ${job.Name} in namespace ${job.Namespace}; nothing to compare with`, {
        hint: 'submitting it creates a new job',
      })
    }
    return { Diff: diffJobs(existing, job), Warnings: warnings }
  }

  /**
   * Approves, rejects or deletes a node. Throws NotFoundError for an unknown node, and
   * NodeStateConflictError when it is already approved (rejected), as Bacalhau's node manager.
   */
  async nodeAction(nodeId: string, action: NodeAction, message?: string): Promise<{ Success: boolean; Error?: string }> {
    const node = this.nodes.get(nodeId)
    if (!node) throw new NotFoundError(`node not found: ${nodeId}`, { component: NODES_COMPONENT, hint: 'list nodes with `node list`' })
    switch (action) {
      case 'approve': {
        if (node.state.Membership === 'APPROVED') throw new NodeStateConflictError(`node ${nodeId} already approved`, { component: NODES_COMPONENT })
        const state = await this.nodes.setMembership(nodeId, 'APPROVED')
        this.emitNode(nodeId, state)
        if (node.connection) this.wakeJobs(true)
        return { Success: true }
      }
      case 'reject': {
        if (node.state.Membership === 'REJECTED') throw new NodeStateConflictError(`node ${nodeId} already rejected`, { component: NODES_COMPONENT })
        const state = await this.nodes.setMembership(nodeId, 'REJECTED')
        this.emitNode(nodeId, state)
        await this.nodeLost(nodeId, `was rejected by the operator${message ? `: ${message}` : ''}`)
        return { Success: true }
      }
      case 'delete': {
        await this.nodeLost(nodeId, `was deleted by the operator${message ? `: ${message}` : ''}`)
        await this.nodes.remove(nodeId)
        return { Success: true }
      }
      default:
        return { Success: false, Error: `unknown node action ${String(action)}: use approve, reject or delete` }
    }
  }

  /** Streams the log lines of one execution of a job from the node that runs (or ran) it. */
  async *logs(jobIdOrName: string, options: LogsOptions = {}): AsyncGenerator<ExecutionLogLine> {
    options.signal?.throwIfAborted()
    const job = await this.store.getJobByIdOrName(jobIdOrName)
    let execution: Execution | undefined
    if (options.executionId) {
      execution = await this.executionOfJob(job.ID, options.executionId)
    } else {
      execution = options.follow ? await this.firstExecutionWithLogs(job.ID, options.signal) : await this.executionWithLogs(job.ID)
      if (!execution) throw new NotFoundError(`job ${job.ID} has no execution with logs yet`, { hint: 'wait until the job runs, then ask again' })
    }
    const { NodeID: nodeId, ID: executionId } = execution
    if (!this.nodes.connectionOf(nodeId)) {
      throw new UnreachableError(`node ${nodeId} that ran execution ${executionId} is not connected; its logs live on that node`, {
        hint: 'logs are available while the node is connected',
      })
    }
    const requestId = this.uuid()
    const follow = (options.follow ?? false) && !TERMINAL_EXECUTION_STATES.includes(execution.ComputeState.StateType)
    yield* this.logStreams.read(
      requestId,
      { nodeId, executionId, follow },
      () => {
        this.nodes.send(nodeId, {
          Type: 'LogsRequest',
          RequestID: requestId,
          ExecutionID: executionId,
          Follow: options.follow ?? false,
          ...(options.tail !== undefined ? { Tail: options.tail } : {}),
        })
      },
      () => void this.nodes.send(nodeId, { Type: 'LogsCancel', RequestID: requestId }),
      options.signal,
    )
  }

  /** An execution of the job by full ID or by a unique prefix (the short IDs tables print). */
  private async executionOfJob(jobId: string, idOrPrefix: string): Promise<Execution> {
    const matches = (await listAllExecutions(this.store, { jobId })).filter((e) => e.ID.startsWith(idOrPrefix))
    const exact = matches.find((e) => e.ID === idOrPrefix)
    if (exact) return exact
    if (matches.length === 1) return matches[0]
    if (matches.length > 1) {
      throw new BadRequestError(`execution ID prefix ${idOrPrefix} matches ${matches.length} executions of job ${jobId}: ${matches.map((e) => e.ID).join(', ')}`, {
        hint: 'give more characters of the execution ID',
      })
    }
    throw new NotFoundError(`job ${jobId} has no execution ${idOrPrefix}`, { hint: `list them with: shoal job executions ${jobId}` })
  }

  /** The execution whose logs a job's logs mean: an active one first, else the newest that ran. */
  private async executionWithLogs(jobId: string): Promise<Execution | undefined> {
    const executions = (await listAllExecutions(this.store, { jobId })).filter(
      (e) => isRunningExecution(e) || e.ComputeState.StateType === ExecutionState.Completed || e.ComputeState.StateType === ExecutionState.Failed,
    )
    executions.sort((a, b) => Number(isActiveExecution(b)) - Number(isActiveExecution(a)) || b.CreateTime - a.CreateTime)
    return executions[0]
  }

  /**
   * For `logs --follow` (and `job run --follow`, which asks right after submitting): waits until
   * the job has an execution with logs, as Bacalhau's compute node waits for the execution. Each
   * job state change re-checks; a job that ends without one, or an aborted signal, ends the wait.
   */
  private async firstExecutionWithLogs(jobId: string, signal?: AbortSignal): Promise<Execution | undefined> {
    let changed: () => void = () => {}
    const onJob = (event: Event) => {
      if ((event as CustomEvent<JobStateEventDetail>).detail.jobId === jobId) changed()
    }
    this.addEventListener('job', onJob)
    try {
      for (;;) {
        const next = new Promise<void>((resolve) => (changed = resolve))
        const execution = await this.executionWithLogs(jobId)
        if (execution) return execution
        const job = await this.store.getJob(jobId)
        if (TERMINAL_JOB_STATES.includes(job.State.StateType)) {
          throw new NotFoundError(`job ${jobId} ended (${job.State.StateType}) without running an execution, so it has no logs`, {
            hint: `see why with: shoal job describe ${jobId}`,
          })
        }
        await abortable(next, signal)
      }
    } finally {
      this.removeEventListener('job', onJob)
    }
  }

  // ----- connections -----

  /** Serves one compute-node connection (listeners call this; edge runtimes may call it directly). */
  handleConnection(connection: Connection): void {
    const session: Session = { connection, nonce: newChallengeNonce(), order: new MessageOrder() }
    this.sessions.add(session)
    session.handshakeTimer = this.clock.setTimeout(() => {
      session.handshakeTimer = undefined
      if (!session.nodeId && !connection.closed) void connection.close('no Handshake received in time')
    }, this.config.handshakeTimeoutMs)
    connection.attach({
      onMessage: (message) => {
        const task = () => this.onMessage(session, message).catch((err: unknown) => this.replyError(session, err, message.Type))
        // Reports start at once, in arrival order: each queues its store work before its first
        // await (see MessageOrder), so one execution's reports apply in order and many share a commit.
        // Heartbeats say only "alive" and are counted on arrival: held behind a slow Handshake
        // (its reconcile waiting for the store after a restart) they would let the node time out.
        if (message.Type === 'Heartbeat' && session.nodeId !== undefined) void task()
        else if (BARRIER_MESSAGES.has(message.Type)) session.order.barrier(task)
        else session.order.next(task)
      },
      onError: (error) => {
        this.logger.warn('malformed frame from compute node', { nodeId: session.nodeId, error: error.message })
        void this.reply(session, { Type: 'Error', Code: 'ProtocolError', Message: error.message })
      },
      onClose: (reason) => {
        if (session.handshakeTimer !== undefined) this.clock.clearTimeout(session.handshakeTimer)
        const nodeId = session.nodeId
        session.order.barrier(async () => {
          if (nodeId) await this.nodeLostSafely(nodeId, `closed its connection${reason ? ` (${reason})` : ''}`, connection)
          this.sessions.delete(session)
        })
      },
    })
    // The node signs this nonce in its Handshake, proving the key its NodeID is bound to.
    void this.reply(session, { Type: 'Challenge', Nonce: session.nonce, RequesterID: this.id })
  }

  private async onMessage(session: Session, message: Message): Promise<void> {
    if (message.Type === 'Handshake') return this.onHandshake(session, message)
    const nodeId = session.nodeId
    if (!nodeId) throw new ProtocolError(`${message.Type} before Handshake: send a Handshake first`)
    if (this.nodes.connectionOf(nodeId) !== session.connection) throw new ProtocolError('this connection was replaced by a newer one of the same node')
    const membership = this.nodes.get(nodeId)?.state.Membership
    if (membership !== 'APPROVED' && APPROVED_ONLY.has(message.Type)) {
      throw new ProtocolError(`node ${nodeId} is ${membership ?? 'unknown'}, not approved: it gets no work and may not send ${message.Type}`)
    }
    switch (message.Type) {
      case 'Heartbeat': {
        const { capacityGrew } = await this.nodes.heartbeat(nodeId, message.AvailableCapacity)
        if (capacityGrew && this.nodes.get(nodeId)?.state.Membership === 'APPROVED') this.wakeJobs(false)
        return
      }
      case 'NodeInfoUpdate': {
        await this.nodes.updateInfo(nodeId, message.NodeInfo)
        this.emitNode(nodeId, this.nodes.get(nodeId)!.state)
        if (membership === 'APPROVED') this.wakeJobs(true)
        return
      }
      case 'BidResult':
        return this.onBidResult(nodeId, message)
      case 'ExecutionStateUpdate':
        return this.onExecutionStateUpdate(nodeId, message)
      case 'RunResult':
        return this.acknowledged(nodeId, message.ExecutionID, () => this.onRunResult(nodeId, message))
      case 'ComputeError':
        return this.acknowledged(nodeId, message.ExecutionID, () => this.onComputeError(nodeId, message))
      case 'LogLine':
        if (!this.logStreams.line(nodeId, message.RequestID, message.ExecutionID, message.Stream, message.Line)) {
          this.nodes.send(nodeId, { Type: 'LogsCancel', RequestID: message.RequestID })
        }
        return
      case 'LogsEnd':
        this.logStreams.end(nodeId, message.RequestID, message.Error)
        return
      case 'UploadGrantRequest':
        // Not awaited: presigning talks to S3, and the node's other reports must not wait for it.
        void this.grantUpload(nodeId, message)
        return
      case 'Error':
        this.logger.warn('compute node reported a protocol error', { nodeId, code: message.Code, message: message.Message, inReplyTo: message.InReplyTo })
        return
      case 'Goodbye':
        await this.nodeLost(nodeId, `said goodbye${message.Reason ? ` (${message.Reason})` : ''}`, session.connection)
        return
      default:
        throw new ProtocolError(`${message.Type} is a requester-to-compute message; a compute node may not send it`)
    }
  }

  /**
   * Answers a node's UploadGrantRequest: presigned upload URLs for the result of one of its own
   * active executions whose task publishes to `s3`, or an Error saying why not.
   */
  private async grantUpload(nodeId: string, message: MessageOf<'UploadGrantRequest'>): Promise<void> {
    const reply = (fields: Omit<MessageOf<'UploadGrant'>, 'Type' | 'Version' | 'RequestID' | 'ExecutionID'>) =>
      this.nodes.send(nodeId, { Type: 'UploadGrant', RequestID: message.RequestID, ExecutionID: message.ExecutionID, ...fields })
    try {
      if (!this.uploadSigner) {
        reply({ Error: 'this requester cannot presign s3 uploads (it has no S3 credentials); give the requester AWS credentials, or run s3-publishing jobs on nodes with their own' })
        return
      }
      const execution = await this.store.getExecution(message.ExecutionID).catch(() => undefined)
      if (!execution || execution.NodeID !== nodeId || !isActiveExecution(execution)) {
        reply({ Error: `execution ${message.ExecutionID} is not an active execution of node ${nodeId}` })
        return
      }
      const job = await this.store.getJob(execution.JobID)
      const spec = job.Tasks[0]?.Publisher
      if (spec?.Type?.toLowerCase() !== 's3') {
        reply({ Error: `job ${job.ID} does not publish to s3 (its publisher is ${spec?.Type || 'none'})` })
        return
      }
      const target = await this.uploadSigner({ job, execution, spec, size: message.Size, signal: this.pinAbort.signal })
      if ('putUrl' in target) reply({ Error: '', Result: target.result, PutURL: target.putUrl })
      else reply({ Error: '', Result: target.result, PartSize: target.partSize, Parts: target.parts, CompleteURL: target.completeUrl, AbortURL: target.abortUrl })
    } catch (err) {
      this.logger.warn('could not presign a result upload', { nodeId, executionId: message.ExecutionID, error: (err as Error).message })
      reply({ Error: (err as Error).message })
    }
  }

  /**
   * Handles an outcome report, then tells the node it is stored (ResultAck): the node keeps the
   * report until then and sends it again after a reconnect, so an outcome sent just before the
   * requester died is applied after its restart instead of the execution counting as lost. A
   * report the requester can never apply (unknown execution, another node's) is acknowledged
   * too; one that failed to store is not, so it comes back.
   */
  private async acknowledged(nodeId: string, executionId: string, handle: () => Promise<void>): Promise<void> {
    try {
      await handle()
    } catch (err) {
      if (err instanceof ProtocolError) this.nodes.send(nodeId, { Type: 'ResultAck', ExecutionID: executionId })
      throw err
    }
    this.nodes.send(nodeId, { Type: 'ResultAck', ExecutionID: executionId })
  }

  private async onHandshake(session: Session, message: MessageOf<'Handshake'>): Promise<void> {
    if (session.nodeId) throw new ProtocolError('Handshake sent twice on one connection')
    const info = message.NodeInfo
    const refuse = async (reason: string) => {
      this.logger.warn('refused compute node', { nodeId: info.NodeID, reason, remote: session.connection.remoteAddress })
      await this.reply(session, {
        Type: 'HandshakeResponse',
        Accepted: false,
        Reason: reason,
        Membership: 'REJECTED',
        HeartbeatIntervalMs: this.config.heartbeatIntervalMs,
        RequesterID: this.id,
      })
      await session.connection.close(reason)
    }
    // Constant time: a token compared with === leaks, by timing, how much of a guess was right.
    if (this.config.joinToken !== undefined && !(message.JoinToken !== undefined && (await constantTimeEqual(message.JoinToken, this.config.joinToken)))) {
      return refuse(
        message.JoinToken
          ? 'wrong join token: use the token the requester was started with'
          : 'this requester needs a join token: start the compute node with the requester\'s token',
      )
    }
    const proof = { requesterId: this.id, nonce: session.nonce, nodeId: info.NodeID, publicKey: message.PublicKey, signature: message.Signature }
    if (!(await verifyHandshakeProof(proof))) {
      return refuse('the handshake signature does not verify: the node must sign this connection\'s Challenge with the key it sends (PublicKey)')
    }
    // Checked and bound (in connect) with no await in between, so two handshakes cannot both bind.
    const bound = this.nodes.boundKeyOtherThan(info.NodeID, message.PublicKey)
    if (bound !== undefined) {
      const reason =
        `node ID ${info.NodeID} belongs to another key (${bound.slice(0, 8)}…, bound when the node first joined); this node's key is ${message.PublicKey.slice(0, 8)}…. ` +
        'A node whose data dir was copied from another must get its own: start it with a fresh data dir (or delete node-id and node-key.jwk from it). ' +
        `If the node was replaced on purpose, free its ID with \`shoal node delete ${info.NodeID}\``
      await this.nodes.recordRefusal(info.NodeID, session.connection.remoteAddress, reason)
      return refuse(reason)
    }
    const known = this.nodes.get(info.NodeID)
    if (known?.state.Membership === 'REJECTED') return refuse('this node was rejected by the operator; ask them to approve it')
    const membership = known?.state.Membership ?? (this.config.manualApproval ? 'PENDING' : 'APPROVED')
    if (session.handshakeTimer !== undefined) this.clock.clearTimeout(session.handshakeTimer)
    session.handshakeTimer = undefined
    session.nodeId = info.NodeID
    const node = await this.nodes.connect({ ...info, NodeType: info.NodeType || 'Compute', Labels: info.Labels ?? {} }, session.connection, membership, message.PublicKey)
    await this.reply(session, {
      Type: 'HandshakeResponse',
      Accepted: true,
      Reason: membership === 'PENDING' ? 'awaiting approval by the operator (shoal node approve)' : '',
      Membership: membership,
      HeartbeatIntervalMs: this.config.heartbeatIntervalMs,
      RequesterID: this.id,
    })
    this.logger.info('compute node connected', { nodeId: info.NodeID, membership, transport: session.connection.transport })
    await this.reconcileNode(info.NodeID, new Set(message.RunningExecutions))
    this.emitNode(info.NodeID, node.state)
    if (membership === 'APPROVED') this.wakeJobs(true)
  }

  /**
   * After a (re)connect: executions the store thinks run on the node but the node does not
   * report are lost; executions the node reports that should not run are cancelled.
   */
  private async reconcileNode(nodeId: string, reported: Set<string>): Promise<void> {
    const active = await listAllExecutions(this.store, { nodeId, computeStates: ACTIVE_STATES })
    const effects = new Effects()
    const lost = new Set<string>()
    for (const e of active) {
      if (reported.has(e.ID) || e.ComputeState.StateType === ExecutionState.AskForBid) {
        this.nodes.allocate(nodeId, e.ID, Object.values(e.AllocatedResources?.Tasks ?? {})[0] ?? { CPU: 0, Memory: 0, Disk: 0, GPU: 0 })
        if (e.ComputeState.StateType === ExecutionState.AskForBid && !reported.has(e.ID)) {
          // The bid request may have been lost with the old connection: ask again.
          const job = await this.store.getJob(e.JobID)
          effects.send(nodeId, { Type: 'AskForBid', ExecutionID: e.ID, Execution: { ...e, Job: job }, WaitForApproval: true })
        }
      } else lost.add(e.JobID)
    }
    const activeIds = new Set(active.map((e) => e.ID))
    for (const id of reported) {
      if (!activeIds.has(id)) effects.send(nodeId, { Type: 'CancelExecution', ExecutionID: id, Reason: 'the requester no longer expects this execution' })
    }
    this.flush(effects)
    if (lost.size > 0) {
      const [, failures] = await this.batcher.run(async (tx, effects) => {
        for (const e of active) {
          if (reported.has(e.ID) || e.ComputeState.StateType === ExecutionState.AskForBid) continue
          await this.failReported(tx, e, `node ${shortId(nodeId)} reconnected without it (the node restarted)`, undefined, effects)
        }
      })
      this.flush(failures)
    }
  }

  private async reply(session: Session, message: Parameters<Connection['send']>[0]): Promise<void> {
    if (session.connection.closed) return
    await session.connection.send(message).catch((err: Error) => this.logger.debug('reply failed', { error: err.message }))
  }

  private async replyError(session: Session, err: unknown, inReplyTo: string): Promise<void> {
    const error = err instanceof Error ? err : new Error(String(err))
    const code = error instanceof ShoalError ? error.code : 'InternalError'
    if (error instanceof ShoalError) this.logger.warn('rejected message from compute node', { nodeId: session.nodeId, type: inReplyTo, error: error.message })
    else this.logger.error('failed to handle message from compute node', { nodeId: session.nodeId, type: inReplyTo, error: error.message })
    await this.reply(session, { Type: 'Error', Code: code, Message: error.message, InReplyTo: inReplyTo })
  }

  // ----- execution reports -----

  private async executionOf(tx: JobStore, nodeId: string, executionId: string): Promise<Execution> {
    let execution: Execution
    try {
      execution = await tx.getExecution(executionId)
    } catch (err) {
      if (err instanceof NotFoundError) throw new ProtocolError(`unknown execution ${executionId}`)
      throw err
    }
    if (execution.NodeID !== nodeId) throw new ProtocolError(`execution ${executionId} is not assigned to node ${nodeId}`)
    return execution
  }

  private async onBidResult(nodeId: string, message: MessageOf<'BidResult'>): Promise<void> {
    const [, effects] = await this.batcher.run(async (tx, effects) => {
      const e = await this.executionOf(tx, nodeId, message.ExecutionID)
      if (e.ComputeState.StateType !== ExecutionState.AskForBid) {
        if (TERMINAL_EXECUTION_STATES.includes(e.ComputeState.StateType) && message.Accepted) {
          effects.send(nodeId, { Type: 'BidRejected', ExecutionID: e.ID, Reason: e.ComputeState.Message || 'the execution is no longer needed' })
        }
        return
      }
      const timestamp = isoTime(this.clock.now())
      if (!message.Accepted) {
        await tx.updateExecution({
          executionId: e.ID,
          newValues: {
            ComputeState: {
              StateType: ExecutionState.AskForBidRejected,
              Message: message.Reason,
              Details: {
                [NODE_GENERATION_DETAIL]: String(this.nodes.get(nodeId)?.generation ?? 0),
                ...(message.Busy ? { [NODE_BUSY_DETAIL]: 'true' } : {}),
              },
            },
            DesiredState: { StateType: ExecutionDesiredState.Stopped, Message: 'bid rejected by the node' },
          },
          event: { Message: explainBidRejected(e.ID, nodeId, message.Reason), Topic: 'Scheduling', Timestamp: timestamp },
        })
        effects.ended.push(e.ID)
        const job = await tx.getJob(e.JobID)
        const evaluation = this.newEvaluation(job, 'bid-rejected')
        await tx.createEvaluation(evaluation)
        effects.evaluations.push({ evaluation, persisted: true })
        return
      }
      const job = await tx.getJob(e.JobID)
      await tx.updateExecution({
        executionId: e.ID,
        newValues: {
          ComputeState: { StateType: ExecutionState.BidAccepted, Message: '' },
          DesiredState: { StateType: ExecutionDesiredState.Running, Message: '' },
        },
      })
      effects.send(nodeId, { Type: 'BidAccepted', ExecutionID: e.ID, Reason: '' })
      if (job.State.StateType === 'Pending' || job.State.StateType === 'Queued') {
        await tx.updateJobState({ jobId: job.ID, newState: 'Running', message: '', condition: { expectedStates: [job.State.StateType] } })
        effects.jobStates.push({ jobId: job.ID, state: 'Running' })
      }
    })
    this.flush(effects)
  }

  private async onExecutionStateUpdate(nodeId: string, message: MessageOf<'ExecutionStateUpdate'>): Promise<void> {
    const state = message.ComputeState
    if (state !== ExecutionState.Running && state !== ExecutionState.Publishing) {
      throw new ProtocolError(`ExecutionStateUpdate may only report Running (6) or Publishing (7), got ${state}: report ends with RunResult or ComputeError`)
    }
    await this.batcher.run(async (tx) => {
      const e = await this.executionOf(tx, nodeId, message.ExecutionID)
      if (!isRunningExecution(e)) return
      if (e.ComputeState.StateType === state) {
        // Progress ("downloading InputSources[0] …: 512 MiB of 2.0 GiB (25%)") replaces the
        // current message and records no history event: a download reports about once a
        // second, and the job's history keeps state changes, not every figure.
        if (e.ComputeState.Message === message.Message) return
        await tx.updateExecution({
          executionId: e.ID,
          newValues: { ComputeState: { StateType: state, Message: message.Message } },
          condition: { expectedStates: [state] },
        })
        return
      }
      await tx.updateExecution({
        executionId: e.ID,
        newValues: { ComputeState: { StateType: state, Message: message.Message } },
        condition: { expectedStates: [ExecutionState.BidAccepted, ExecutionState.Running] },
      })
    })
  }

  private async onRunResult(nodeId: string, message: MessageOf<'RunResult'>): Promise<void> {
    const pinFailure = await this.pinResult(nodeId, message)
    if (pinFailure !== undefined) {
      const [, effects] = await this.batcher.run(async (tx, effects) => {
        const e = await this.executionOf(tx, nodeId, message.ExecutionID)
        if (TERMINAL_EXECUTION_STATES.includes(e.ComputeState.StateType)) return
        await this.failReported(tx, e, pinFailure, { ...message.RunOutput, ErrorMsg: pinFailure }, effects)
      })
      this.flush(effects)
      return
    }
    const verdicts: NodeVerdict[] = []
    const [, effects] = await this.batcher.run(async (tx, effects, batch) => {
      verdicts.length = 0
      const e = await this.executionOf(tx, nodeId, message.ExecutionID)
      if (TERMINAL_EXECUTION_STATES.includes(e.ComputeState.StateType)) return // e.g. finished just after a cancel
      // Verified jobs (Meta shoal.verify/replicas): digests are compared before anything is published.
      if ((await verifyRunResult(tx, e, message, effects, { now: this.clock.now(), verdicts })) === 'handled') {
        await this.evaluateJob(tx, e.JobID, [], this.candidates(batch), effects)
        return
      }
      await tx.updateExecution({
        executionId: e.ID,
        newValues: {
          ComputeState: { StateType: ExecutionState.Completed, Message: '' },
          DesiredState: { StateType: ExecutionDesiredState.Stopped, Message: '' },
          RunOutput: message.RunOutput,
          PublishedResult: message.PublishedResult,
        },
        event: {
          Message: `execution ${shortId(e.ID)} completed on node ${shortId(nodeId)} (exit code ${message.RunOutput.ExitCode})`,
          Topic: 'Execution',
          Timestamp: isoTime(this.clock.now()),
        },
      })
      effects.ended.push(e.ID)
      // See at once whether the job is done (or a service partition needs a new run).
      await this.evaluateJob(tx, e.JobID, [], this.candidates(batch), effects)
    })
    if (verdicts.length > 0) await this.nodes.recordVerdicts(verdicts)
    this.flush(effects)
  }

  /**
   * Keeps the published result with the ResultPinner before the execution counts as Completed.
   * Resolves with why it could not (the execution then fails and is retried like any other
   * failure), or undefined when it is kept or needs no keeping.
   */
  private async pinResult(nodeId: string, message: MessageOf<'RunResult'>): Promise<string | undefined> {
    const result = message.PublishedResult
    if (!this.resultPinner || !result || !this.resultPinner.handles(result)) return undefined
    const e = await this.executionOf(this.store, nodeId, message.ExecutionID)
    if (TERMINAL_EXECUTION_STATES.includes(e.ComputeState.StateType)) return undefined
    let pin = this.pins.get(e.ID)
    if (!pin) {
      const pinner = this.resultPinner
      pin = pinner
        .pin(result, { jobId: e.JobID, executionId: e.ID, nodeId, signal: this.pinAbort.signal })
        .then(
          () => undefined,
          (err: unknown) => `the requester could not keep the published result (${describeResult(result)}): ${(err as Error).message ?? String(err)}`,
        )
        .finally(() => this.pins.delete(e.ID))
      this.pins.set(e.ID, pin)
    }
    const failure = await pin
    // Stopping is not the result's fault: the node sends the RunResult again to the next requester.
    if (failure !== undefined && this.pinAbort.signal.aborted) throw new Error('the requester stopped while keeping the result')
    return failure
  }

  private async onComputeError(nodeId: string, message: MessageOf<'ComputeError'>): Promise<void> {
    const [, effects] = await this.batcher.run(async (tx, effects) => {
      const e = await this.executionOf(tx, nodeId, message.ExecutionID)
      if (TERMINAL_EXECUTION_STATES.includes(e.ComputeState.StateType)) return
      await this.failReported(tx, e, message.Message, message.RunOutput, effects)
    })
    this.flush(effects)
  }

  /** Fails an execution a node reported (or lost), explains the retry, and queues an evaluation. */
  private async failReported(tx: JobStore, e: Execution, error: string, runOutput: Execution['RunOutput'] | undefined, effects: Effects): Promise<void> {
    const job = await tx.getJob(e.JobID)
    const siblings = await listAllExecutions(tx, { jobId: e.JobID, jobVersion: e.JobVersion })
    const failed = { ...e, ComputeState: { StateType: ExecutionState.Failed, Message: error } }
    const view = siblings.map((s) => (s.ID === e.ID ? failed : s))
    await tx.updateExecution({
      executionId: e.ID,
      newValues: {
        ComputeState: { StateType: ExecutionState.Failed, Message: error },
        DesiredState: { StateType: ExecutionDesiredState.Stopped, Message: error },
        RunOutput: runOutput ? { ...runOutput, ErrorMsg: runOutput.ErrorMsg || error } : errorRunOutput(error, e.RunOutput),
      },
      condition: { unexpectedStates: [...TERMINAL_EXECUTION_STATES] },
      event: {
        Message: explainExecutionFailed(e.ID, e.NodeID, error, retryOutcome({ job, settings: this.settings }, view, failed)),
        Topic: 'Execution',
        Timestamp: isoTime(this.clock.now()),
      },
    })
    effects.ended.push(e.ID)
    if (TERMINAL_JOB_STATES.includes(job.State.StateType)) return
    const evaluation = this.newEvaluation(job, 'exec-failure')
    await tx.createEvaluation(evaluation)
    effects.evaluations.push({ evaluation, persisted: true })
  }

  /**
   * A node is gone (heartbeats stopped, connection closed, Goodbye, rejected, deleted, or it
   * did not come back after a restart): it is marked disconnected and the jobs with executions
   * on it are evaluated at once, which fails those executions and reschedules them.
   */
  private async nodeLostSafely(nodeId: string, why: string, connection?: Connection): Promise<void> {
    try {
      await this.nodeLost(nodeId, why, connection)
    } catch (err) {
      if (this.started) this.logger.error('could not reschedule the work of a lost node', { nodeId, error: (err as Error).message })
    }
  }

  private async nodeLost(nodeId: string, why: string, connection?: Connection): Promise<void> {
    const node = this.nodes.get(nodeId)
    if (!node || !this.started) return
    if (connection && node.connection !== connection) return // an old connection of a node that reconnected
    const wasConnected = await this.nodes.disconnect(nodeId, why)
    if (!wasConnected) {
      node.state = { ...node.state, ConnectionState: { ...node.state.ConnectionState, LastError: why } }
    }
    if (this.nodes.isAlive(nodeId)) return
    this.logger.info('compute node lost', { nodeId, why })
    this.logStreams.nodeLost(nodeId, why)
    this.emitNode(nodeId, node.state)
    const active = await listAllExecutions(this.store, { nodeId, computeStates: ACTIVE_STATES })
    const jobs = new Set(active.map((e) => e.JobID))
    if (jobs.size === 0) return
    const [, effects] = await this.batcher.run(async (tx, effects) => {
      for (const jobId of jobs) {
        const evaluation = this.newEvaluation({ ID: jobId } as Job, 'node-leave')
        const job = await tx.getJob(jobId)
        evaluation.Type = job.Type
        evaluation.Namespace = job.Namespace
        await tx.createEvaluation(evaluation)
        effects.evaluations.push({ evaluation, persisted: true })
      }
    })
    this.flush(effects)
  }

  // ----- evaluations -----

  private newEvaluation(job: Job, triggeredBy: string, options: { waitUntil?: number; comment?: string } = {}): Evaluation {
    const now = toNanos(this.clock.now())
    return {
      ID: newEvaluationId(this.uuid),
      Namespace: job.Namespace ?? '',
      JobID: job.ID,
      TriggeredBy: triggeredBy,
      Priority: job.Priority ?? 0,
      Type: job.Type ?? 'batch',
      Status: 'pending',
      ...(options.comment ? { Comment: options.comment } : {}),
      ...(options.waitUntil ? { WaitUntil: toNanos(options.waitUntil) } : {}),
      CreateTime: now,
      ModifyTime: now,
    }
  }

  /**
   * Processes evaluations of different jobs; they share a transaction (and a commit) with
   * whatever else is being written at the moment.
   */
  private async processEvaluations(groups: EvaluationGroup[]): Promise<void> {
    await Promise.all(
      groups.map(async (group) => {
        const entries = [...group.entries, ...this.broker.takeDelayed(group.jobId)]
        try {
          const [, effects] = await this.batcher.run((tx, effects, batch) => this.evaluateJob(tx, group.jobId, entries, this.candidates(batch), effects))
          this.flush(effects)
        } catch (err) {
          // Persisted evaluations stay pending in the store and are retried after a restart.
          this.logger.error('evaluation failed', { jobId: group.jobId, error: (err as Error).message })
        }
      }),
    )
  }

  /** The scheduler's view of the nodes, shared by the evaluations of one transaction. */
  private candidates(batch: BatchContext): NodeCandidate[] {
    return batch.memo('candidates', () => this.nodes.candidates())
  }

  /** Runs the job's scheduler and writes its plan, in the caller's transaction. */
  private async evaluateJob(tx: JobStore, jobId: string, entries: BrokerEntry[], candidates: NodeCandidate[], effects: Effects): Promise<void> {
    const now = this.clock.now()
    let job: Job
    try {
      job = await tx.getJob(jobId)
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err
      for (const entry of entries) if (entry.persisted) await tx.deleteEvaluation(entry.evaluation.ID).catch(() => {})
      return
    }
    const executions = await listAllExecutions(tx, { jobId })
    const start = this.versionStarts.get(jobId)
    const plan = scheduleJob({
      job,
      evaluation: entries[0]?.evaluation ?? this.newEvaluation(job, 'execution-ended'),
      executions,
      nodes: candidates,
      isNodeAlive: (nodeId) => this.nodes.isAlive(nodeId),
      nodeLostReason: (nodeId) => this.nodes.get(nodeId)?.state.ConnectionState.LastError || 'is disconnected',
      now,
      versionStartedAt: start?.version === job.Version ? start.at : (job.Version === 1 ? job.CreateTime : job.ModifyTime) / 1e6,
      settings: this.settings,
      required: requiredResources(job),
      newExecutionId: () => newExecutionId(this.uuid),
      lastQueuedExplanation: this.waitingJobs.get(jobId),
    })
    await applyPlan(tx, plan, entries, effects, { now, newEvaluation: (j, t, o) => this.newEvaluation(j, t, o) })
  }

  /** Carries out what a committed transaction decided. */
  private flush(effects: Effects): void {
    for (const id of effects.ended) {
      this.nodes.release(id)
      this.logStreams.executionEnded(id)
    }
    for (const a of effects.allocations) this.nodes.allocate(a.nodeId, a.executionId, a.resources)
    for (const { nodeId, message } of effects.messages) this.nodes.send(nodeId, message)
    for (const [jobId, status] of effects.waiting) {
      if (status.waiting) this.waitingJobs.set(jobId, status.explanation)
      else this.waitingJobs.delete(jobId)
      if (status.daemon && !status.terminal) this.daemonJobs.add(jobId)
      if (status.terminal) this.forgetJob(jobId)
    }
    for (const { jobId, at } of effects.deadlines) this.deadlines.schedule(jobId, at)
    for (const { evaluation, persisted } of effects.evaluations) this.broker.enqueue(evaluation, persisted)
    for (const { jobId, state } of effects.jobStates) this.emitJob(jobId, state)
    // Freed capacity may let a waiting job run.
    if (effects.ended.length > 0 && this.waitingJobs.size > 0) this.wakeJobs(false)
  }

  private forgetJob(jobId: string): void {
    this.waitingJobs.delete(jobId)
    this.daemonJobs.delete(jobId)
    this.deadlines.clear(jobId)
    this.versionStarts.delete(jobId)
  }

  /** Re-evaluates jobs waiting for nodes (and daemon jobs when a node joined). */
  private wakeJobs(nodeJoined: boolean): void {
    const jobs = new Set(this.waitingJobs.keys())
    if (nodeJoined) for (const id of this.daemonJobs) jobs.add(id)
    for (const jobId of jobs) this.broker.enqueue(this.newEvaluation({ ID: jobId } as Job, nodeJoined ? 'node-join' : 'capacity-freed'), false)
  }

  private emitJob(jobId: string, state: JobStateType): void {
    this.dispatchEvent(new CustomEvent<JobStateEventDetail>('job', { detail: { jobId, state } }))
  }

  private emitNode(nodeId: string, state: NodeState): void {
    this.dispatchEvent(new CustomEvent<NodeEventDetail>('node', { detail: { nodeId, state } }))
  }
}
