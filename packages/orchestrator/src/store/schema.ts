/**
 * The SQL job store's schema, as numbered migrations. The applied version lives in a table of
 * our own (`shoal_schema_version`) rather than PRAGMA user_version, which Durable Object SQLite
 * does not allow. Documents are JSON text; the columns beside them exist only for what queries
 * filter and sort on. Times are REAL so JavaScript's Unix-nanosecond numbers round-trip exactly.
 * Append a migration to change the schema; never edit one that has shipped.
 */
import { ShoalError } from '@shoal/models'
import type { SqlDatabase } from '@shoal/interface'

/** One schema step: the statements that move the schema from `version - 1` to `version`. */
export interface Migration {
  version: number
  statements: string[]
}

/** Every migration, in order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        namespace TEXT NOT NULL,
        state TEXT NOT NULL,
        create_time REAL NOT NULL,
        modify_time REAL NOT NULL,
        labels TEXT NOT NULL,
        doc TEXT NOT NULL
      )`,
      'CREATE UNIQUE INDEX jobs_namespace_name ON jobs (namespace, name)',
      'CREATE INDEX jobs_name ON jobs (name, id)',
      'CREATE INDEX jobs_create_time ON jobs (create_time, id)',
      'CREATE INDEX jobs_modify_time ON jobs (modify_time, id)',
      'CREATE INDEX jobs_state ON jobs (state)',
      `CREATE TABLE job_versions (
        job_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (job_id, version)
      )`,
      `CREATE TABLE executions (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        job_id TEXT NOT NULL,
        node_id TEXT NOT NULL,
        job_version INTEGER NOT NULL,
        compute_state INTEGER NOT NULL,
        desired_state INTEGER NOT NULL,
        create_time REAL NOT NULL,
        modify_time REAL NOT NULL,
        doc TEXT NOT NULL
      )`,
      'CREATE INDEX executions_job ON executions (job_id, seq)',
      'CREATE INDEX executions_node ON executions (node_id, seq)',
      'CREATE INDEX executions_compute_state ON executions (compute_state, seq)',
      `CREATE TABLE evaluations (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        job_id TEXT NOT NULL,
        status TEXT NOT NULL,
        create_time REAL NOT NULL,
        modify_time REAL NOT NULL,
        doc TEXT NOT NULL
      )`,
      'CREATE INDEX evaluations_job ON evaluations (job_id)',
      'CREATE INDEX evaluations_status ON evaluations (status, seq)',
      `CREATE TABLE job_history (
        job_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        execution_id TEXT,
        doc TEXT NOT NULL,
        PRIMARY KEY (job_id, seq)
      )`,
      `CREATE TABLE nodes (
        id TEXT PRIMARY KEY,
        membership TEXT NOT NULL,
        doc TEXT NOT NULL
      )`,
    ],
  },
  {
    // Indexes no query uses (checked with EXPLAIN QUERY PLAN): execution lists filter by job or
    // node first; evaluations are few (only pending ones are kept) and read by ID or in seq order.
    // Each cost a B-tree write per execution change or evaluation.
    version: 2,
    statements: ['DROP INDEX executions_compute_state', 'DROP INDEX evaluations_job', 'DROP INDEX evaluations_status'],
  },
]

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version

/**
 * Brings the database's schema up to SCHEMA_VERSION, each migration in its own transaction.
 * Throws when the database was written by a newer Shoal.
 */
export function migrate(db: SqlDatabase): number {
  db.exec('CREATE TABLE IF NOT EXISTS shoal_schema_version (version INTEGER NOT NULL)')
  const rows = db.all<{ version: number }>('SELECT version FROM shoal_schema_version')
  const current = rows.length === 0 ? 0 : Number(rows[0].version)
  if (current > SCHEMA_VERSION) {
    throw new ShoalError(
      `job store schema version ${current} is newer than this Shoal supports (${SCHEMA_VERSION})`,
      { component: 'orchestrator', hint: 'Upgrade Shoal, or point --data-dir at a fresh directory.' },
    )
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue
    db.transaction(() => {
      for (const statement of migration.statements) db.exec(statement)
      db.exec('DELETE FROM shoal_schema_version')
      db.exec('INSERT INTO shoal_schema_version (version) VALUES (?)', migration.version)
    })
  }
  return SCHEMA_VERSION
}
