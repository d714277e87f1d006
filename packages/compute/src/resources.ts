import { RESOURCE_KEYS, ValidationError, formatBytes, parseResources, resourcesIssues, type Resources, type ResourcesConfig } from '@shoal/models'

/** What a task gets when its Resources leave CPU or Memory unset (Bacalhau's job defaults). */
export const DEFAULT_TASK_RESOURCES: Readonly<Resources> = Object.freeze({ CPU: 0.5, Memory: 512_000_000, Disk: 0, GPU: 0 })

/**
 * Resources of a task's ResourcesConfig as numbers (Bacalhau's quantity rules, from
 * @shoal/models); unset fields take `defaults`.
 * ValidationError naming the field (under `path`) when a quantity cannot be read.
 */
export function parseResourcesConfig(
  config: ResourcesConfig | undefined,
  defaults: Readonly<Resources> = DEFAULT_TASK_RESOURCES,
  path = 'Resources',
): Resources {
  const issues = resourcesIssues(config ?? {})
  if (issues.length > 0) throw new ValidationError(issues.map((issue) => ({ ...issue, path: `${path}.${issue.path}` })))
  const parsed = parseResources(config ?? {})
  const result: Resources = { ...defaults }
  for (const key of RESOURCE_KEYS) if ((config?.[key] ?? '') !== '') result[key] = parsed[key]
  return result
}

/** One resource amount for people: "2 CPU", "512 MB memory", "1 GB disk", "1 GPU". */
export function formatResource(key: keyof Resources, amount: number): string {
  switch (key) {
    case 'CPU':
      return `${Math.round(amount * 1000) / 1000} CPU`
    case 'Memory':
      return `${formatBytes(amount)} memory`
    case 'Disk':
      return `${formatBytes(amount)} disk`
    case 'GPU':
      return `${amount} GPU`
  }
}
