import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ExecutionState } from '@shoal/models'
import { SqlJobStore } from '../../packages/orchestrator/src/store/index.ts'
import { runJobStoreCompliance } from '../../packages/orchestrator/test/store/job-store-compliance.ts'
import { ManualClock, makeExecution, makeJob, makeNode } from '../../packages/orchestrator/test/store/job-store-fixtures.ts'
import { createNodeSqliteDatabase } from '../src/sqlite/node-sqlite-database.ts'

const tempDirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-store-'))
  tempDirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

runJobStoreCompliance('SqlJobStore on node:sqlite :memory:', async ({ clock }) => {
  const store = new SqlJobStore({ db: createNodeSqliteDatabase(':memory:'), clock })
  return { store, cleanup: () => store.close() }
})

runJobStoreCompliance('SqlJobStore on a node:sqlite file', async ({ clock }) => {
  const store = new SqlJobStore({ db: createNodeSqliteDatabase(join(tempDir(), 'data', 'jobs.db')), clock })
  return { store, cleanup: () => store.close() }
})

describe('SqlJobStore on a file', () => {
  it('keeps everything across close and reopen', async () => {
    const path = join(tempDir(), 'jobs.db')
    const clock = new ManualClock()
    const job = makeJob({ Name: 'durable', Labels: { keep: 'yes' } })
    const execution = makeExecution(job.ID)
    const first = new SqlJobStore({ db: createNodeSqliteDatabase(path), clock })
    await first.createJob(job)
    await first.createExecution(execution)
    await first.updateExecution({
      executionId: execution.ID,
      newValues: { ComputeState: { StateType: ExecutionState.Running } },
      event: { Message: 'Running', Topic: 'Execution', Timestamp: '' },
    })
    await first.updateJob({ ...(await first.getJob(job.ID)), Count: 2 })
    await first.putNode(makeNode('n-durable'))
    await first.close()

    const second = new SqlJobStore({ db: createNodeSqliteDatabase(path), clock })
    try {
      expect((await second.getJobByIdOrName('durable')).ID).toBe(job.ID)
      expect((await second.getJobVersions(job.ID)).map((version) => version.Version)).toEqual([1, 2])
      expect((await second.getExecution(execution.ID)).ComputeState.StateType).toBe(ExecutionState.Running)
      expect((await second.getHistory(job.ID)).Items.map((item) => item.SeqNum)).toEqual([1, 2, 3])
      expect((await second.listJobs({ labels: ['keep=yes'] })).Items).toHaveLength(1)
      expect((await second.getNode('n-durable')).Membership).toBe('APPROVED')
    } finally {
      await second.close()
    }
  })

  it('rejects operations after close', async () => {
    const store = new SqlJobStore({ db: createNodeSqliteDatabase(join(tempDir(), 'jobs.db')) })
    await store.close()
    await expect(store.getJob('j-1')).rejects.toThrow('job store is closed')
    await expect(store.transaction(() => 1)).rejects.toThrow('job store is closed')
  })

  it('refuses a database written by a newer schema', async () => {
    const path = join(tempDir(), 'jobs.db')
    const db = createNodeSqliteDatabase(path)
    new SqlJobStore({ db })
    db.exec('UPDATE shoal_schema_version SET version = 999')
    db.close()
    expect(() => new SqlJobStore({ db: createNodeSqliteDatabase(path) })).toThrow(/schema version 999 is newer/)
  })
})

describe('createNodeSqliteDatabase', () => {
  it('creates the directory and a WAL-mode database file', () => {
    const path = join(tempDir(), 'nested', 'dir', 'jobs.db')
    const db = createNodeSqliteDatabase(path)
    expect(db.all('PRAGMA journal_mode')[0]).toEqual({ journal_mode: 'wal' })
    db.close()
  })

  it('says which path it cannot open and what to do', () => {
    const blocker = join(tempDir(), 'not-a-directory')
    writeFileSync(blocker, 'a file where a directory should be')
    expect(() => createNodeSqliteDatabase(join(blocker, 'jobs.db'))).toThrow(
      new RegExp(`cannot open job store at ${blocker}/jobs.db: .* — choose a writable --data-dir`),
    )
  })

  it('commits a transaction that returns and rolls back one that throws, nested ones as savepoints', () => {
    const db = createNodeSqliteDatabase(':memory:')
    db.exec('CREATE TABLE t (v INTEGER)')
    db.transaction(() => {
      db.exec('INSERT INTO t VALUES (?)', 1)
      expect(() =>
        db.transaction(() => {
          db.exec('INSERT INTO t VALUES (?)', 2)
          throw new Error('inner')
        }),
      ).toThrow('inner')
      db.exec('INSERT INTO t VALUES (?)', 3)
    })
    expect(() =>
      db.transaction(() => {
        db.exec('INSERT INTO t VALUES (?)', 4)
        throw new Error('outer')
      }),
    ).toThrow('outer')
    expect(db.all('SELECT v FROM t ORDER BY v').map((row) => row.v)).toEqual([1, 3])
    db.close()
  })

  it('commits an async transaction that resolves and rolls back one that rejects, with synchronous ones inside as savepoints', async () => {
    const db = createNodeSqliteDatabase(':memory:')
    db.exec('CREATE TABLE t (v INTEGER)')
    const value = await db.asyncTransaction(async () => {
      db.exec('INSERT INTO t VALUES (?)', 1)
      await new Promise((resolve) => setTimeout(resolve, 1))
      expect(() =>
        db.transaction(() => {
          db.exec('INSERT INTO t VALUES (?)', 2)
          throw new Error('inner')
        }),
      ).toThrow('inner')
      db.transaction(() => db.exec('INSERT INTO t VALUES (?)', 3))
      return 'kept'
    })
    expect(value).toBe('kept')
    await expect(
      db.asyncTransaction(async () => {
        db.exec('INSERT INTO t VALUES (?)', 4)
        await Promise.resolve()
        throw new Error('abandoned')
      }),
    ).rejects.toThrow('abandoned')
    expect(db.all('SELECT v FROM t ORDER BY v').map((row) => row.v)).toEqual([1, 3])
    db.close()
  })
})
