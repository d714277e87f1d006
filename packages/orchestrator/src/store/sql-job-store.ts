/**
 * The requester's durable JobStore over the synchronous SqlDatabase contract: node:sqlite on a
 * server, Durable Object SQLite on the edge. Runtime-neutral (Web APIs only).
 *
 * Concurrency: SQL calls are synchronous, so an operation runs to completion without anything
 * interleaving. Operations are queued in call order and committed in groups (see CommitQueue):
 * every write is atomic and durable once its promise resolves, and concurrent callers share
 * commits. `transaction(fn)` may await between its operations, so it runs alone: it waits for
 * what was queued before it, runs `fn` in the database's asyncTransaction (rolled back when
 * `fn` throws), and
 * everything called on the store meanwhile (reads too, which would otherwise see its uncommitted
 * writes) waits for it to end. The `tx` handed to `fn` runs its operations directly; calling the
 * store itself inside `fn` and awaiting it therefore deadlocks: always use `tx`. A ShoalError
 * (NotFound, Conflict, BadRequest) from an operation means it wrote nothing, so `fn` may catch it
 * and go on.
 *
 * What the store sets: createJob stores Version 1 and Revision 1 and records a "Job submitted"
 * history item; updateJob stores Version+1 (the previous version stays readable through
 * getJobVersions) and records "Job updated"; updateJobState records a "State Update" item with
 * the previous and new state (none when only the message changes); updateExecution records `event` when given. Every update bumps
 * Revision and sets ModifyTime from the clock (Unix nanoseconds); CreateTime is kept, or set
 * from the clock when 0. A terminal job or execution state never changes again (ConflictError),
 * except that a Failed job may be marked Stopped. Lists are ordered and paged with opaque tokens
 * that carry the query's ordering and page size; the default page size is 100, the most 1000.
 */
import { ShoalError } from '@shoal/models'
import type { Evaluation, Execution, Job, JobHistory, NodeState } from '@shoal/models'
import type {
  Clock,
  ExecutionQuery,
  ExecutionUpdate,
  HistoryQuery,
  JobQuery,
  JobStateUpdate,
  JobStore,
  Page,
  PageOptions,
  SqlDatabase,
} from '@shoal/interface'
import { systemClock } from '@shoal/interface'
import { CommitQueue } from './commit-queue.ts'
import { migrate } from './schema.ts'
import { SqlJobTables } from './sql-job-tables.ts'

/** Options of SqlJobStore. */
export interface SqlJobStoreOptions {
  /** The database; the store creates or migrates its tables in it, and closes it on close(). */
  db: SqlDatabase
  /** Source of ModifyTime/CreateTime and history times (default: the system clock). */
  clock?: Pick<Clock, 'now'>
}

/** The JobStore methods, each routed through `read` or `write` so subclasses decide how they run. */
abstract class SqlJobStoreOperations implements JobStore {
  protected readonly tables: SqlJobTables

  constructor(tables: SqlJobTables) {
    this.tables = tables
  }

  /** Runs a synchronous read. */
  protected abstract read<T>(fn: () => T): Promise<T>
  /** Runs a synchronous write atomically. */
  protected abstract write<T>(fn: () => T): Promise<T>
  abstract transaction<T>(fn: (tx: JobStore) => Promise<T> | T): Promise<T>

  createJob(job: Job): Promise<void> {
    return this.write(() => this.tables.createJob(job))
  }
  updateJob(job: Job): Promise<Job> {
    return this.write(() => this.tables.updateJob(job))
  }
  getJob(id: string): Promise<Job> {
    return this.read(() => this.tables.getJob(id))
  }
  getJobByIdOrName(idOrName: string, namespace?: string): Promise<Job> {
    return this.read(() => this.tables.getJobByIdOrName(idOrName, namespace))
  }
  findJobByName(name: string, namespace: string): Promise<Job | undefined> {
    return this.read(() => this.tables.findJobByName(name, namespace))
  }
  listJobs(query?: JobQuery): Promise<Page<Job>> {
    return this.read(() => this.tables.listJobs(query))
  }
  getJobVersions(jobId: string): Promise<Job[]> {
    return this.read(() => this.tables.getJobVersions(jobId))
  }
  updateJobState(update: JobStateUpdate): Promise<Job> {
    return this.write(() => this.tables.updateJobState(update))
  }
  deleteJob(jobId: string): Promise<void> {
    return this.write(() => this.tables.deleteJob(jobId))
  }
  createExecution(execution: Execution): Promise<void> {
    return this.write(() => this.tables.createExecution(execution))
  }
  getExecution(id: string): Promise<Execution> {
    return this.read(() => this.tables.getExecution(id))
  }
  listExecutions(query?: ExecutionQuery): Promise<Page<Execution>> {
    return this.read(() => this.tables.listExecutions(query))
  }
  updateExecution(update: ExecutionUpdate): Promise<Execution> {
    return this.write(() => this.tables.updateExecution(update))
  }
  createEvaluation(evaluation: Evaluation): Promise<void> {
    return this.write(() => this.tables.createEvaluation(evaluation))
  }
  getEvaluation(id: string): Promise<Evaluation> {
    return this.read(() => this.tables.getEvaluation(id))
  }
  updateEvaluation(evaluation: Evaluation): Promise<void> {
    return this.write(() => this.tables.updateEvaluation(evaluation))
  }
  listPendingEvaluations(): Promise<Evaluation[]> {
    return this.read(() => this.tables.listPendingEvaluations())
  }
  deleteEvaluation(id: string): Promise<void> {
    return this.write(() => this.tables.deleteEvaluation(id))
  }
  addHistory(item: Omit<JobHistory, 'SeqNum'>): Promise<JobHistory> {
    return this.write(() => this.tables.addHistory(item))
  }
  getHistory(jobId: string, query?: HistoryQuery): Promise<Page<JobHistory>> {
    return this.read(() => this.tables.getHistory(jobId, query))
  }
  putNode(node: NodeState): Promise<void> {
    return this.write(() => this.tables.putNode(node))
  }
  getNode(id: string): Promise<NodeState> {
    return this.read(() => this.tables.getNode(id))
  }
  listNodes(query?: PageOptions): Promise<Page<NodeState>> {
    return this.read(() => this.tables.listNodes(query))
  }
  deleteNode(id: string): Promise<void> {
    return this.write(() => this.tables.deleteNode(id))
  }
}

/** The durable JobStore over a SqlDatabase (see the module comment for its guarantees). */
export class SqlJobStore extends SqlJobStoreOperations {
  readonly #db: SqlDatabase
  readonly #queue: CommitQueue
  #closed = false

  /** Opens the store, creating or migrating its tables (synchronously) first. */
  constructor(options: SqlJobStoreOptions) {
    super(openTables(options))
    this.#db = options.db
    this.#queue = new CommitQueue(options.db)
  }

  protected read<T>(fn: () => T): Promise<T> {
    return this.#closed ? Promise.reject(closedError()) : this.#queue.run(fn, false)
  }

  protected write<T>(fn: () => T): Promise<T> {
    return this.#closed ? Promise.reject(closedError()) : this.#queue.run(fn, true)
  }

  /** Runs `fn` with exclusive access in one database transaction; everything it did is rolled back if it throws. */
  transaction<T>(fn: (tx: JobStore) => Promise<T> | T): Promise<T> {
    if (this.#closed) return Promise.reject(closedError())
    return this.#queue.exclusive(async () => {
      const tx = new SqlJobStoreTransaction(this.tables)
      try {
        return await this.#db.asyncTransaction(() => Promise.resolve(fn(tx)))
      } finally {
        tx.finish()
      }
    })
  }

  /** Lets queued work finish, then closes the database. Later calls reject. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#queue.exclusive(async () => this.#db.close?.())
  }
}

/** The `tx` handed to a transaction's function: runs operations directly, inside its transaction. */
class SqlJobStoreTransaction extends SqlJobStoreOperations {
  #finished = false

  /** Marks the transaction over; later calls on this object reject. */
  finish(): void {
    this.#finished = true
  }

  protected read<T>(fn: () => T): Promise<T> {
    return this.#finished ? Promise.reject(finishedError()) : settle(fn)
  }

  protected write<T>(fn: () => T): Promise<T> {
    return this.#finished ? Promise.reject(finishedError()) : settle(fn)
  }

  /** Nested transactions join this one: they commit or roll back with it. */
  async transaction<T>(fn: (tx: JobStore) => Promise<T> | T): Promise<T> {
    if (this.#finished) throw finishedError()
    return await fn(this)
  }
}

function openTables(options: SqlJobStoreOptions): SqlJobTables {
  migrate(options.db)
  return new SqlJobTables(options.db, options.clock ?? systemClock)
}

function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn())
  } catch (error) {
    return Promise.reject(error)
  }
}

function closedError(): ShoalError {
  return new ShoalError('job store is closed', { component: 'orchestrator', hint: 'The requester is shutting down; retry against a running one.' })
}

function finishedError(): ShoalError {
  return new ShoalError('transaction already finished: use its `tx` only inside the transaction function', {
    component: 'orchestrator',
  })
}
