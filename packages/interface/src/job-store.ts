import type {
  Evaluation,
  Execution,
  Job,
  JobHistory,
  JobStateType,
  NodeState,
  ExecutionStateType,
  ExecutionDesiredStateType,
} from '@shoal/models'

/** A page of results; `NextToken` is opaque and empty on the last page. */
export interface Page<T> {
  Items: T[]
  NextToken: string
}

/**
 * Paging options; `nextToken` must come from a previous Page of the same list. A token carries
 * its query's ordering and page size, which take precedence over `orderBy`, `reverse` and `limit`
 * (as Bacalhau's paging tokens do), so a token alone continues the same query.
 */
export interface PageOptions {
  limit?: number
  nextToken?: string
}

/** Query of the job list. */
export interface JobQuery extends PageOptions {
  /** Namespace to list; undefined or '' = all. */
  namespace?: string
  /** Label selector requirements that must match job Labels ("key=value", "key!=v", "key"). */
  labels?: string[]
  orderBy?: 'created_at' | 'modified_at' | 'id' | 'name'
  reverse?: boolean
  states?: JobStateType[]
}

/** Query of executions. */
export interface ExecutionQuery extends PageOptions {
  jobId?: string
  nodeId?: string
  /** Only executions in one of these compute states. */
  computeStates?: ExecutionStateType[]
  /** Only executions in one of these desired states. */
  desiredStates?: ExecutionDesiredStateType[]
  jobVersion?: number
  /** Order by creation or last modification (default: the order executions were stored in). */
  orderBy?: 'created_at' | 'modified_at'
  reverse?: boolean
}

/** Conditions a conditional update checks inside its transaction; a mismatch is a ConflictError. */
export interface UpdateCondition<S> {
  expectedStates?: S[]
  unexpectedStates?: S[]
  expectedRevision?: number
}

/** A change of a job's state. */
export interface JobStateUpdate {
  jobId: string
  newState: JobStateType
  message?: string
  condition?: UpdateCondition<JobStateType>
}

/** A change of an execution (any fields but ID/JobID), with optional conditions on its ComputeState. */
export interface ExecutionUpdate {
  executionId: string
  newValues: Partial<Omit<Execution, 'ID' | 'JobID'>>
  condition?: UpdateCondition<ExecutionStateType> & { expectedDesiredStates?: ExecutionDesiredStateType[] }
  /** Optional history event recorded in the same transaction. */
  event?: JobHistory['Event']
}

/** Query of a job's history. */
export interface HistoryQuery extends PageOptions {
  /** Only items of executions whose ID starts with this (a short ID works). */
  executionId?: string
  /** Only items recorded for this job version (undefined = every version). */
  jobVersion?: number
  /** Only items with SeqNum greater than this. */
  since?: number
  type?: 'JobLevel' | 'ExecutionLevel'
}

/**
 * The requester's durable state. Every method is atomic; `transaction` runs several operations
 * atomically and exclusively (no other write interleaves). Implementations: the SQL store over
 * SqlDatabase (node:sqlite, Durable Object SQLite). A compliance suite runs against each.
 */
export interface JobStore {
  /** Runs `fn` with exclusive access; all its writes commit together or not at all. */
  transaction<T>(fn: (tx: JobStore) => Promise<T> | T): Promise<T>

  /** Stores a new job (Version 1) and records its creation. Conflict if the ID exists. */
  createJob(job: Job): Promise<void>
  /** Stores a new version of an existing job (Version+1 computed by the store), returns it. */
  updateJob(job: Job): Promise<Job>
  getJob(id: string): Promise<Job>
  /** A job by ID, or by Name within a namespace; NotFoundError when neither matches. */
  getJobByIdOrName(idOrName: string, namespace?: string): Promise<Job>
  /** The job with this Name in the namespace, or undefined. */
  findJobByName(name: string, namespace: string): Promise<Job | undefined>
  listJobs(query?: JobQuery): Promise<Page<Job>>
  /** All versions of a job, oldest first. */
  getJobVersions(jobId: string): Promise<Job[]>
  /** Sets State (and records a "State Update" history item when StateType changes, not for a new message alone). */
  updateJobState(update: JobStateUpdate): Promise<Job>
  deleteJob(jobId: string): Promise<void>

  createExecution(execution: Execution): Promise<void>
  getExecution(id: string): Promise<Execution>
  listExecutions(query?: ExecutionQuery): Promise<Page<Execution>>
  /** Applies the update if its condition holds (ConflictError otherwise); bumps Revision. */
  updateExecution(update: ExecutionUpdate): Promise<Execution>

  createEvaluation(evaluation: Evaluation): Promise<void>
  getEvaluation(id: string): Promise<Evaluation>
  updateEvaluation(evaluation: Evaluation): Promise<void>
  /** Evaluations not yet complete (for recovery after a restart). */
  listPendingEvaluations(): Promise<Evaluation[]>
  deleteEvaluation(id: string): Promise<void>

  /** Appends a history item (SeqNum assigned by the store, increasing per job). */
  addHistory(item: Omit<JobHistory, 'SeqNum'>): Promise<JobHistory>
  getHistory(jobId: string, query?: HistoryQuery): Promise<Page<JobHistory>>

  putNode(node: NodeState): Promise<void>
  getNode(id: string): Promise<NodeState>
  listNodes(query?: PageOptions): Promise<Page<NodeState>>
  deleteNode(id: string): Promise<void>

  close?(): Promise<void>
}
