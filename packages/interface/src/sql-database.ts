/**
 * The tiny SQL surface the SQL job store needs. Both node:sqlite (DatabaseSync, adapter in
 * node-runner) and Durable Object SQLite storage (`ctx.storage.sql`, adapter in edge/) are
 * synchronous, so this interface is too: that is what lets a state transition read, check and
 * write in one transaction with nothing interleaved.
 *
 * Transactions go through `transaction` and `asyncTransaction`, never through SQL: Durable
 * Object SQLite refuses BEGIN, COMMIT, ROLLBACK and SAVEPOINT statements (its own
 * `transactionSync` and `transaction` are the only way in), so `exec('BEGIN')` is not portable.
 */
export type SqlValue = string | number | bigint | Uint8Array | null

/** A row as column name -> value. */
export type SqlRow = Record<string, SqlValue>

/** A synchronous SQL database connection. */
export interface SqlDatabase {
  /** Run a statement (or several, separated by `;`, when there are no params). */
  exec(sql: string, ...params: SqlValue[]): void
  /** Run a query and return all rows. */
  all<T extends SqlRow = SqlRow>(sql: string, ...params: SqlValue[]): T[]
  /**
   * Run `fn` in a transaction: committed when it returns, rolled back when it throws. Called
   * inside another transaction it nests (a savepoint): a throw undoes only its own work.
   */
  transaction<T>(fn: () => T): T
  /**
   * Run the async `fn` in one exclusive transaction: committed when its promise resolves, rolled
   * back when it rejects; `transaction` calls inside it nest. Exclusive means the caller lets
   * nothing else use the connection until it settles (the job store queues its other work
   * behind it); on a Durable Object the runtime also holds back other events meanwhile, so `fn`
   * must not wait for a request, message or alarm that only another event could deliver.
   */
  asyncTransaction<T>(fn: () => Promise<T>): Promise<T>
  close?(): void
}
