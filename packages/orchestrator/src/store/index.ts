/** The requester's durable job store: SqlJobStore over the SqlDatabase contract. */
export { SqlJobStore } from './sql-job-store.ts'
export type { SqlJobStoreOptions } from './sql-job-store.ts'
export { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './page-token.ts'
export { parseLabelSelectors } from './label-selector.ts'
export { SCHEMA_VERSION } from './schema.ts'
