import type { Execution, Job } from '@shoal/models'
import type { ExecutionQuery, JobQuery, JobStore } from '@shoal/interface'

const PAGE = 500
const MAX_PAGES = 100_000

/** Every execution matching `query`, across pages. */
export async function listAllExecutions(store: JobStore, query: Omit<ExecutionQuery, 'limit' | 'nextToken'>): Promise<Execution[]> {
  const out: Execution[] = []
  let nextToken = ''
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await store.listExecutions({ ...query, limit: PAGE, nextToken })
    out.push(...result.Items)
    nextToken = result.NextToken
    if (!nextToken) break
  }
  return out
}

/** Every job matching `query`, across pages. */
export async function listAllJobs(store: JobStore, query: Omit<JobQuery, 'limit' | 'nextToken'>): Promise<Job[]> {
  const out: Job[] = []
  let nextToken = ''
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await store.listJobs({ ...query, limit: PAGE, nextToken })
    out.push(...result.Items)
    nextToken = result.NextToken
    if (!nextToken) break
  }
  return out
}
