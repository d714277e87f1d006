/**
 * The tiny SQL surface the SQL job store needs. Both node:sqlite (DatabaseSync, adapter in
 * node-runner) and Durable Object SQLite storage (`ctx.storage.sql`, adapter in edge/) are
 * synchronous, so this interface is too: that is what lets a state transition read, check and
 * write in one transaction with nothing interleaved.
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
  /** Run `fn` in a transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(fn: () => T): T
  close?(): void
}
