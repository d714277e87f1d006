import { describe, expect, it } from 'vitest'
import { NotFoundError } from '@shoal/models'
import type { SqlDatabase } from '@shoal/interface'
import { CommitQueue } from '../../packages/orchestrator/src/store/commit-queue.ts'
import { createNodeSqliteDatabase } from '../src/sqlite/node-sqlite-database.ts'

/** A real in-memory database that counts the transactions it is asked to run. */
function countingDatabase(): { db: SqlDatabase; transactions: () => number; values: () => number[] } {
  const real = createNodeSqliteDatabase(':memory:')
  real.exec('CREATE TABLE t (v INTEGER)')
  let count = 0
  const db: SqlDatabase = {
    exec: (sql, ...params) => real.exec(sql, ...params),
    all: (sql, ...params) => real.all(sql, ...params),
    transaction: (fn) => {
      count++
      return real.transaction(fn)
    },
    asyncTransaction: (fn) => real.asyncTransaction(fn),
  }
  const values = () => real.all<{ v: number }>('SELECT v FROM t ORDER BY v').map((row) => row.v)
  return { db, transactions: () => count, values }
}

describe('CommitQueue on node:sqlite', () => {
  it('commits writes issued together in one transaction, in call order', async () => {
    const { db, transactions, values } = countingDatabase()
    const queue = new CommitQueue(db)
    const results = await Promise.all([1, 2, 3].map((v) => queue.run(() => (db.exec('INSERT INTO t VALUES (?)', v), v), true)))
    expect(results).toEqual([1, 2, 3])
    expect(values()).toEqual([1, 2, 3])
    expect(transactions()).toBe(1)
  })

  it('fails an operation that throws a ShoalError alone and commits the rest', async () => {
    const { db, values } = countingDatabase()
    const queue = new CommitQueue(db)
    const results = await Promise.allSettled([
      queue.run(() => db.exec('INSERT INTO t VALUES (?)', 1), true),
      queue.run(() => {
        throw new NotFoundError('job j-1 not found')
      }, true),
      queue.run(() => db.exec('INSERT INTO t VALUES (?)', 3), true),
    ])
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(values()).toEqual([1, 3])
  })

  it('rolls back the whole group when an operation fails unexpectedly', async () => {
    const { db, values } = countingDatabase()
    const queue = new CommitQueue(db)
    const results = await Promise.allSettled([
      queue.run(() => db.exec('INSERT INTO t VALUES (?)', 1), true),
      queue.run(() => {
        db.exec('INSERT INTO t VALUES (?)', 2)
        throw new TypeError('half-way')
      }, true),
    ])
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected'])
    expect(values()).toEqual([])
  })

  it('runs an exclusive task alone: later operations wait for it', async () => {
    const { db, values } = countingDatabase()
    const queue = new CommitQueue(db)
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const exclusive = queue.exclusive(async () => {
      await held
      db.exec('INSERT INTO t VALUES (?)', 1)
    })
    const read = queue.run(() => values(), false)
    release()
    await exclusive
    expect(await read).toEqual([1])
  })
})
