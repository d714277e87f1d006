/**
 * The SqlDatabase contract over Durable Object SQLite (`ctx.storage`): what the requester's SQL
 * job store runs on at the edge. Durable Object SQLite refuses BEGIN/COMMIT/SAVEPOINT statements,
 * so transactions map onto the object's own API: `transaction` onto `transactionSync` (a
 * savepoint when nested), `asyncTransaction` onto `transaction`, which also holds back the
 * object's other events until it settles.
 */
import type { DurableObjectStorage } from 'cloudflare:workers'
import type { SqlDatabase, SqlRow, SqlValue } from '@shoal/interface'

/** A SqlDatabase over a Durable Object's SQLite storage. */
export class DurableObjectSqlDatabase implements SqlDatabase {
  readonly #storage: DurableObjectStorage

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage
  }

  exec(sql: string, ...params: SqlValue[]): void {
    // Iterating the cursor runs every statement of a multi-statement string.
    for (const _row of this.#storage.sql.exec(sql, ...params.map(binding))) {
      // Rows of a statement are not needed.
    }
  }

  all<T extends SqlRow = SqlRow>(sql: string, ...params: SqlValue[]): T[] {
    return this.#storage.sql.exec(sql, ...params.map(binding)).toArray() as T[]
  }

  transaction<T>(fn: () => T): T {
    return this.#storage.transactionSync(() => {
      const result = fn()
      if (typeof (result as { then?: unknown } | null)?.then === 'function') {
        throw new TypeError('SqlDatabase.transaction needs a synchronous function; it returned a promise')
      }
      return result
    })
  }

  asyncTransaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.#storage.transaction(() => fn())
  }
}

/** Durable Object SQLite binds ArrayBuffers (not Uint8Array views) as BLOBs, and numbers rather than bigints. */
function binding(value: SqlValue): unknown {
  if (value instanceof Uint8Array) return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength)
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new RangeError(`SQL parameter ${value} is outside the integers Durable Object SQLite binds exactly (±2^53-1)`)
    }
    return Number(value)
  }
  return value
}
