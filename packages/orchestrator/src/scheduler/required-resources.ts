import type { Job, Resources } from '@shoal/models'
import { parseResources } from '@shoal/models'
import { zeroResources } from '@shoal/models'

/**
 * Resources one execution of `job` needs, as numbers. Specs reach the scheduler validated, so
 * an unparsable quantity (which validation reports) counts as zero here.
 */
export function requiredResources(job: Job): Resources {
  const config = job.Tasks[0]?.Resources
  if (!config) return zeroResources()
  try {
    return parseResources(config)
  } catch {
    return zeroResources()
  }
}
