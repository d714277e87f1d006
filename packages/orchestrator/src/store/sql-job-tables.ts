/**
 * The SQL job store's operations, synchronous and without locking or transactions of their
 * own: SqlJobStore decides how each runs (alone in a transaction, or inside a caller's). Every
 * write method checks everything that can fail before its first write, so a rejected call
 * leaves nothing behind even inside a larger transaction.
 */
import { BadRequestError, ConflictError, NotFoundError } from '@shoal/models'
import type { Evaluation, Execution, ExecutionStateType, Job, JobHistory, NodeState } from '@shoal/models'
import type {
  Clock,
  ExecutionQuery,
  ExecutionUpdate,
  HistoryQuery,
  JobQuery,
  JobStateUpdate,
  Page,
  PageOptions,
  SqlDatabase,
} from '@shoal/interface'
import { toNanos } from '@shoal/interface'
import { labelSelectorSql, parseLabelSelectors } from './label-selector.ts'
import { SqlFilter } from './sql-filter.ts'
import { encodePageToken, planPage, type PagePlan } from './page-token.ts'
import { checkExecutionUpdate, checkJobStateUpdate } from './update-condition.ts'

type DocRow = { doc: string }
type KeyedDocRow = { sort_key: string | number | bigint; tie: string | number | bigint; doc: string }

const JOB_ORDER_COLUMNS = { created_at: 'create_time', modified_at: 'modify_time', id: 'id', name: 'name' } as const
const JOB_ORDERS = Object.keys(JOB_ORDER_COLUMNS) as Array<keyof typeof JOB_ORDER_COLUMNS>
/** Execution orderings; `seq` is the order they were stored in (the default). */
const EXECUTION_ORDER_COLUMNS = { seq: 'seq', created_at: 'create_time', modified_at: 'modify_time' } as const
const EXECUTION_ORDERS = Object.keys(EXECUTION_ORDER_COLUMNS) as Array<keyof typeof EXECUTION_ORDER_COLUMNS>

/** One keyset-paged list query: rows of `table` matching `where`, sorted by `sortColumn` then `tieColumn`. */
interface KeysetQuery {
  table: string
  list: string
  /** The query's conditions; built for this one query, so the page cursor is added to it. */
  filter: SqlFilter
  plan: PagePlan<string>
  /** The sort column; the tie-breaker column alone when they are the same. */
  sortColumn: string
  /** A unique column that breaks ties (ID or sequence number). */
  tieColumn: string
}
/** Most matches an ambiguous ID prefix error lists. */
const PREFIX_MATCHES_SHOWN = 5

/** Synchronous operations on the job store's tables. */
export class SqlJobTables {
  readonly #db: SqlDatabase
  readonly #clock: Pick<Clock, 'now'>

  constructor(db: SqlDatabase, clock: Pick<Clock, 'now'>) {
    this.#db = db
    this.#clock = clock
  }

  // ----- jobs -----

  createJob(job: Job): void {
    const now = this.#nowNanos()
    const namespace = job.Namespace || 'default'
    const name = job.Name || job.ID
    const clashes = this.#db.all<{ id: string }>(
      'SELECT id FROM jobs WHERE id = ? OR (namespace = ? AND name = ?)',
      job.ID,
      namespace,
      name,
    )
    for (const clash of clashes) {
      if (clash.id === job.ID) throw new ConflictError(`job ${job.ID} already exists`, { component: 'orchestrator' })
      throw new ConflictError(`a job named "${name}" already exists in namespace "${namespace}" (${clash.id})`, {
        component: 'orchestrator',
        hint: 'Submit it as an update of that job, or choose another Name.',
      })
    }
    const stored: Job = {
      ...job,
      Name: name,
      Namespace: namespace,
      Version: 1,
      Revision: 1,
      CreateTime: job.CreateTime || now,
      ModifyTime: now,
    }
    this.#db.exec(
      'INSERT INTO jobs (id, name, namespace, state, create_time, modify_time, labels, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      stored.ID,
      name,
      namespace,
      stored.State.StateType,
      stored.CreateTime,
      now,
      JSON.stringify(stored.Labels ?? {}),
      JSON.stringify(stored),
    )
    this.#insertHistory(
      {
        Type: 'JobLevel',
        JobID: stored.ID,
        JobVersion: 1,
        JobState: { Previous: 'Undefined', New: stored.State.StateType },
        Event: { Message: 'Job submitted', Topic: 'Submission', Timestamp: this.#nowIso() },
        Time: this.#nowIso(),
      },
      1,
    )
  }

  updateJob(job: Job): Job {
    const [current, currentDoc] = this.#loadJob(job.ID)
    if ((job.Name && job.Name !== current.Name) || (job.Namespace && job.Namespace !== current.Namespace)) {
      throw new BadRequestError(
        `cannot change the name or namespace of job ${current.ID} (${current.Namespace}/${current.Name}) in an update`,
        { component: 'orchestrator', hint: 'Submit a job with a new Name to create a separate job.' },
      )
    }
    const now = this.#nowNanos()
    const updated: Job = {
      ...job,
      ID: current.ID,
      Name: current.Name,
      Namespace: current.Namespace,
      CreateTime: current.CreateTime,
      Version: current.Version + 1,
      Revision: current.Revision + 1,
      ModifyTime: now,
    }
    this.#db.exec('INSERT INTO job_versions (job_id, version, doc) VALUES (?, ?, ?)', current.ID, current.Version, currentDoc)
    this.#db.exec(
      'UPDATE jobs SET state = ?, modify_time = ?, labels = ?, doc = ? WHERE id = ?',
      updated.State.StateType,
      now,
      JSON.stringify(updated.Labels ?? {}),
      JSON.stringify(updated),
      updated.ID,
    )
    this.#insertHistory({
      Type: 'JobLevel',
      JobID: updated.ID,
      JobVersion: updated.Version,
      JobState: { Previous: current.State.StateType, New: updated.State.StateType },
      Event: { Message: 'Job updated', Topic: 'Submission', Timestamp: this.#nowIso() },
      Time: this.#nowIso(),
    })
    return updated
  }

  getJob(id: string): Job {
    return this.#loadJob(id)[0]
  }

  getJobByIdOrName(idOrName: string, namespace?: string): Job {
    const exact = this.#db.all<DocRow>('SELECT doc FROM jobs WHERE id = ?', idOrName)
    if (exact.length > 0) return JSON.parse(exact[0].doc) as Job
    const byName = namespace
      ? this.#db.all<DocRow>('SELECT doc FROM jobs WHERE namespace = ? AND name = ?', namespace, idOrName)
      : this.#db.all<DocRow>('SELECT doc FROM jobs WHERE name = ? ORDER BY namespace LIMIT 2', idOrName)
    if (byName.length === 1) return JSON.parse(byName[0].doc) as Job
    if (byName.length > 1) {
      throw new BadRequestError(`job name "${idOrName}" is used in several namespaces`, {
        component: 'orchestrator',
        hint: 'Give the namespace, or use the job ID.',
      })
    }
    if (idOrName !== '') {
      const matches = this.#db.all<{ id: string }>(
        'SELECT id FROM jobs WHERE id >= ? AND id < ? ORDER BY id LIMIT ?',
        idOrName,
        `${idOrName}\uffff`,
        PREFIX_MATCHES_SHOWN + 1,
      )
      if (matches.length === 1) return this.getJob(matches[0].id)
      if (matches.length > 1) {
        const shown = matches.slice(0, PREFIX_MATCHES_SHOWN).map((row) => row.id)
        const more = matches.length > PREFIX_MATCHES_SHOWN ? ', …' : ''
        throw new BadRequestError(`job ID prefix "${idOrName}" is ambiguous: it matches ${shown.join(', ')}${more}`, {
          component: 'orchestrator',
          hint: 'Use more characters of the job ID.',
        })
      }
    }
    const where = namespace ? ` in namespace "${namespace}"` : ''
    throw new NotFoundError(`job ${idOrName} not found${where}`, {
      component: 'orchestrator',
      hint: 'Check the job ID or name (list jobs with `job list`).',
    })
  }

  findJobByName(name: string, namespace: string): Job | undefined {
    const rows = this.#db.all<DocRow>('SELECT doc FROM jobs WHERE namespace = ? AND name = ?', namespace || 'default', name)
    return rows.length === 0 ? undefined : (JSON.parse(rows[0].doc) as Job)
  }

  listJobs(query: JobQuery = {}): Page<Job> {
    const plan = planPage('jobs', JOB_ORDERS, query, 'created_at')
    const column = JOB_ORDER_COLUMNS[plan.orderBy]
    if (column === undefined) {
      throw new BadRequestError(`invalid order_by "${String(plan.orderBy)}": use created_at, modified_at, id or name`)
    }
    const filter = new SqlFilter().equals('namespace', query.namespace || undefined).oneOf('state', query.states)
    if (query.labels !== undefined && query.labels.length > 0) {
      const requirements = parseLabelSelectors(query.labels)
      if (requirements.length > 0) {
        const selector = labelSelectorSql(requirements, 'labels')
        filter.where(selector.sql, ...selector.params)
      }
    }
    return this.#keysetPage<Job>({ table: 'jobs', list: 'jobs', filter, plan, sortColumn: column, tieColumn: 'id' })
  }

  getJobVersions(jobId: string): Job[] {
    const current = this.getJob(jobId)
    const older = this.#db.all<DocRow>('SELECT doc FROM job_versions WHERE job_id = ? ORDER BY version', jobId)
    return [...older.map((row) => JSON.parse(row.doc) as Job), current]
  }

  updateJobState(update: JobStateUpdate): Job {
    const current = this.getJob(update.jobId)
    checkJobStateUpdate(current, update.newState, update.condition)
    const now = this.#nowNanos()
    const updated: Job = {
      ...current,
      State: { StateType: update.newState, Message: update.message ?? '' },
      Revision: current.Revision + 1,
      ModifyTime: now,
    }
    this.#db.exec(
      'UPDATE jobs SET state = ?, modify_time = ?, doc = ? WHERE id = ?',
      update.newState,
      now,
      JSON.stringify(updated),
      updated.ID,
    )
    // Only the message changed (a queued job's reason): no state change to record.
    if (current.State.StateType === update.newState) return updated
    this.#insertHistory({
      Type: 'JobLevel',
      JobID: updated.ID,
      JobVersion: updated.Version,
      JobState: { Previous: current.State.StateType, New: update.newState },
      Event: {
        Message: update.message ? `${update.newState}. ${update.message}` : update.newState,
        Topic: 'State Update',
        Timestamp: this.#nowIso(),
        Details: { NewState: update.newState },
      },
      Time: this.#nowIso(),
    })
    return updated
  }

  deleteJob(jobId: string): void {
    const deleted = this.#db.all<{ id: string }>('DELETE FROM jobs WHERE id = ? RETURNING id', jobId)
    if (deleted.length === 0) throw notFound('job', jobId)
    this.#db.exec('DELETE FROM job_versions WHERE job_id = ?', jobId)
    this.#db.exec('DELETE FROM executions WHERE job_id = ?', jobId)
    this.#db.exec('DELETE FROM evaluations WHERE job_id = ?', jobId)
    this.#db.exec('DELETE FROM job_history WHERE job_id = ?', jobId)
  }

  // ----- executions -----

  createExecution(execution: Execution): void {
    const [found] = this.#db.all<{ job: number | null; execution: number | null }>(
      'SELECT (SELECT 1 FROM jobs WHERE id = ?) AS job, (SELECT 1 FROM executions WHERE id = ?) AS execution',
      execution.JobID,
      execution.ID,
    )
    if (found.job === null) throw notFound('job', execution.JobID)
    if (found.execution !== null) {
      throw new ConflictError(`execution ${execution.ID} already exists`, { component: 'orchestrator' })
    }
    const now = this.#nowNanos()
    const stored: Execution = { ...execution, Revision: 1, CreateTime: execution.CreateTime || now, ModifyTime: now }
    this.#db.exec(
      'INSERT INTO executions (id, job_id, node_id, job_version, compute_state, desired_state, create_time, modify_time, doc)' +
        ' VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      stored.ID,
      stored.JobID,
      stored.NodeID,
      stored.JobVersion,
      stored.ComputeState.StateType,
      stored.DesiredState.StateType,
      stored.CreateTime,
      now,
      JSON.stringify(stored),
    )
  }

  getExecution(id: string): Execution {
    return JSON.parse(this.#docById('executions', 'execution', id)) as Execution
  }

  listExecutions(query: ExecutionQuery = {}): Page<Execution> {
    const plan = planPage<keyof typeof EXECUTION_ORDER_COLUMNS>('executions', EXECUTION_ORDERS, query, 'seq')
    const column = EXECUTION_ORDER_COLUMNS[plan.orderBy]
    if (column === undefined) throw new BadRequestError(`invalid order_by "${String(plan.orderBy)}": use created_at or modified_at`)
    const filter = new SqlFilter()
      .equals('job_id', query.jobId)
      .equals('node_id', query.nodeId)
      .oneOf('compute_state', query.computeStates)
      .oneOf('desired_state', query.desiredStates)
      .equals('job_version', query.jobVersion)
    return this.#keysetPage<Execution>({ table: 'executions', list: 'executions', filter, plan, sortColumn: column, tieColumn: 'seq' })
  }

  updateExecution(update: ExecutionUpdate): Execution {
    const current = this.getExecution(update.executionId)
    const newValues = update.newValues
    checkExecutionUpdate(current, newValues.ComputeState?.StateType, update.condition)
    const updated = { ...current } as Record<string, unknown>
    for (const key in newValues) {
      const value = (newValues as Record<string, unknown>)[key]
      if (value !== undefined) updated[key] = value
    }
    const now = this.#nowNanos()
    const execution = updated as unknown as Execution
    execution.ID = current.ID
    execution.JobID = current.JobID
    execution.CreateTime = current.CreateTime
    execution.Revision = current.Revision + 1
    execution.ModifyTime = now
    this.#db.exec(
      'UPDATE executions SET node_id = ?, job_version = ?, compute_state = ?, desired_state = ?, modify_time = ?, doc = ? WHERE id = ?',
      execution.NodeID,
      execution.JobVersion,
      execution.ComputeState.StateType,
      execution.DesiredState.StateType,
      now,
      JSON.stringify(execution),
      execution.ID,
    )
    if (update.event !== undefined) {
      const previous: ExecutionStateType = current.ComputeState.StateType
      const next: ExecutionStateType = execution.ComputeState.StateType
      this.#insertHistory({
        Type: 'ExecutionLevel',
        JobID: execution.JobID,
        JobVersion: execution.JobVersion,
        ExecutionID: execution.ID,
        ...(previous === next ? {} : { ExecutionState: { Previous: previous, New: next } }),
        Event: update.event,
        Time: this.#nowIso(),
      })
    }
    return execution
  }

  // ----- evaluations -----

  createEvaluation(evaluation: Evaluation): void {
    if (this.#db.all('SELECT 1 FROM evaluations WHERE id = ?', evaluation.ID).length > 0) {
      throw new ConflictError(`evaluation ${evaluation.ID} already exists`, { component: 'orchestrator' })
    }
    const now = this.#nowNanos()
    const stored: Evaluation = { ...evaluation, CreateTime: evaluation.CreateTime || now, ModifyTime: now }
    this.#db.exec(
      'INSERT INTO evaluations (id, job_id, status, create_time, modify_time, doc) VALUES (?, ?, ?, ?, ?, ?)',
      stored.ID,
      stored.JobID,
      stored.Status,
      stored.CreateTime,
      now,
      JSON.stringify(stored),
    )
  }

  getEvaluation(id: string): Evaluation {
    return JSON.parse(this.#docById('evaluations', 'evaluation', id)) as Evaluation
  }

  updateEvaluation(evaluation: Evaluation): void {
    const rows = this.#db.all<{ create_time: number }>('SELECT create_time FROM evaluations WHERE id = ?', evaluation.ID)
    if (rows.length === 0) throw notFound('evaluation', evaluation.ID)
    const now = this.#nowNanos()
    const stored: Evaluation = { ...evaluation, CreateTime: evaluation.CreateTime || rows[0].create_time, ModifyTime: now }
    this.#db.exec(
      'UPDATE evaluations SET job_id = ?, status = ?, modify_time = ?, doc = ? WHERE id = ?',
      stored.JobID,
      stored.Status,
      now,
      JSON.stringify(stored),
      stored.ID,
    )
  }

  listPendingEvaluations(): Evaluation[] {
    return this.#db
      .all<DocRow>("SELECT doc FROM evaluations WHERE status = 'pending' ORDER BY seq")
      .map((row) => JSON.parse(row.doc) as Evaluation)
  }

  deleteEvaluation(id: string): void {
    if (this.#db.all('DELETE FROM evaluations WHERE id = ? RETURNING id', id).length === 0) throw notFound('evaluation', id)
  }

  // ----- history -----

  addHistory(item: Omit<JobHistory, 'SeqNum'>): JobHistory {
    const [found] = this.#db.all<{ job: number | null }>('SELECT (SELECT 1 FROM jobs WHERE id = ?) AS job', item.JobID)
    if (found.job === null) throw notFound('job', item.JobID)
    return this.#insertHistory(item)
  }

  getHistory(jobId: string, query: HistoryQuery = {}): Page<JobHistory> {
    const plan = planPage('history', ['seq'], { limit: query.limit, nextToken: query.nextToken }, 'seq')
    const [found] = this.#db.all<{ job: number | null }>('SELECT (SELECT 1 FROM jobs WHERE id = ?) AS job', jobId)
    if (found.job === null) throw notFound('job', jobId)
    const filter = new SqlFilter().equals('job_id', jobId).equals('type', query.type)
    if (query.since !== undefined) filter.where('seq > ?', query.since)
    // A prefix, as Bacalhau matches it, so a short execution ID works.
    if (query.executionId) filter.where('substr(execution_id, 1, ?) = ?', query.executionId.length, query.executionId)
    if (query.jobVersion !== undefined) filter.where("json_extract(doc, '$.JobVersion') = ?", query.jobVersion)
    return this.#keysetPage<JobHistory>({ table: 'job_history', list: 'history', filter, plan, sortColumn: 'seq', tieColumn: 'seq' })
  }

  // ----- nodes -----

  putNode(node: NodeState): void {
    this.#db.exec(
      'INSERT INTO nodes (id, membership, doc) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET membership = excluded.membership, doc = excluded.doc',
      node.Info.NodeID,
      node.Membership,
      JSON.stringify(node),
    )
  }

  getNode(id: string): NodeState {
    return JSON.parse(this.#docById('nodes', 'node', id)) as NodeState
  }

  listNodes(query: PageOptions = {}): Page<NodeState> {
    const plan = planPage('nodes', ['id'], { limit: query.limit, nextToken: query.nextToken }, 'id')
    return this.#keysetPage<NodeState>({ table: 'nodes', list: 'nodes', filter: new SqlFilter(), plan, sortColumn: 'id', tieColumn: 'id' })
  }

  deleteNode(id: string): void {
    if (this.#db.all('DELETE FROM nodes WHERE id = ? RETURNING id', id).length === 0) throw notFound('node', id)
  }

  // ----- helpers -----

  #loadJob(id: string): [Job, string] {
    const doc = this.#docById('jobs', 'job', id)
    return [JSON.parse(doc) as Job, doc]
  }

  /** The JSON document of row `id` of `table`; NotFoundError naming the `kind` when there is none. */
  #docById(table: 'jobs' | 'executions' | 'evaluations' | 'nodes', kind: Parameters<typeof notFound>[0], id: string): string {
    const rows = this.#db.all<DocRow>(`SELECT doc FROM ${table} WHERE id = ?`, id)
    if (rows.length === 0) throw notFound(kind, id)
    return rows[0].doc
  }

  /** Appends a history item; `seq` is given when known (a new job's first item is 1). */
  #insertHistory(item: Omit<JobHistory, 'SeqNum'>, seq?: number): JobHistory {
    let next = seq
    if (next === undefined) {
      const [row] = this.#db.all<{ last: number | null }>('SELECT max(seq) AS last FROM job_history WHERE job_id = ?', item.JobID)
      next = (row.last === null ? 0 : Number(row.last)) + 1
    }
    const stored: JobHistory = { SeqNum: next, ...item }
    this.#db.exec(
      'INSERT INTO job_history (job_id, seq, type, execution_id, doc) VALUES (?, ?, ?, ?, ?)',
      item.JobID,
      next,
      item.Type,
      item.ExecutionID ?? null,
      JSON.stringify(stored),
    )
    return stored
  }

  /**
   * A page of `query.table` in (sort, tie) order, continuing after the plan's cursor; the next
   * token records the ordering and page size so a token alone continues the same query.
   */
  #keysetPage<T>(query: KeysetQuery): Page<T> {
    const { plan, sortColumn, tieColumn, filter } = query
    const direction = plan.reverse ? 'DESC' : 'ASC'
    const single = sortColumn === tieColumn
    // The filter was built for this one query, so the cursor condition joins it.
    if (plan.after) {
      const comparison = plan.reverse ? '<' : '>'
      if (single) filter.where(`${tieColumn} ${comparison} ?`, plan.after.id)
      else filter.where(`(${sortColumn}, ${tieColumn}) ${comparison} (?, ?)`, plan.after.key, plan.after.id)
    }
    const rows = this.#db.all<KeyedDocRow>(
      `SELECT ${sortColumn} AS sort_key, ${tieColumn} AS tie, doc FROM ${query.table}${filter.sql()}` +
        ` ORDER BY ${single ? '' : `${sortColumn} ${direction}, `}${tieColumn} ${direction} LIMIT ?`,
      ...filter.params,
      plan.limit + 1,
    )
    const page = rows.slice(0, plan.limit)
    let nextToken = ''
    if (rows.length > plan.limit) {
      const last = page[page.length - 1]
      nextToken = encodePageToken({
        list: query.list,
        orderBy: plan.orderBy,
        reverse: plan.reverse,
        limit: plan.limit,
        key: single ? 0 : sqlKey(last.sort_key),
        id: sqlKey(last.tie),
      })
    }
    return { Items: page.map((row) => JSON.parse(row.doc) as T), NextToken: nextToken }
  }

  #nowNanos(): number {
    return toNanos(this.#clock.now())
  }

  #nowIso(): string {
    return new Date(this.#clock.now()).toISOString()
  }
}

function notFound(kind: 'job' | 'execution' | 'evaluation' | 'node', id: string): NotFoundError {
  return new NotFoundError(`${kind} ${id} not found`, {
    component: 'orchestrator',
    hint: kind === 'node' ? 'List nodes with `node list`.' : 'Check the ID (list jobs with `job list`).',
  })
}

/** A key read back from SQLite (integers may come back as bigint) as a token field. */
function sqlKey(value: string | number | bigint): string | number {
  return typeof value === 'bigint' ? Number(value) : value
}
