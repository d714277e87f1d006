import { ValidationError, type Resources, type ResourcesConfig } from '@shoal/models'

/** No resources at all. */
export const zeroResources = (): Resources => ({ CPU: 0, Memory: 0, Disk: 0, GPU: 0 })

/** What a task gets when its Resources leave CPU or Memory unset (Bacalhau's job defaults). */
export const DEFAULT_TASK_RESOURCES: Readonly<Resources> = Object.freeze({ CPU: 0.5, Memory: 512_000_000, Disk: 0, GPU: 0 })

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  ki: 1024,
  kib: 1024,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
}

/** Bytes of a quantity such as "512Mb" (SI, as Bacalhau reads it), "1Gi" (binary) or "1024". */
export function parseByteQuantity(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value)
  const factor = match ? BYTE_UNITS[match[2].toLowerCase()] : undefined
  if (!match || factor === undefined) throw new Error(`cannot read ${JSON.stringify(value)} as a size (examples: 512Mb, 1Gi, 2GB)`)
  return Math.round(Number(match[1]) * factor)
}

/** Cores of a CPU quantity: "500m" = 0.5, "0.5", "2". */
export function parseCpuQuantity(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(m?)\s*$/.exec(value)
  if (!match) throw new Error(`cannot read ${JSON.stringify(value)} as CPU (examples: 500m, 0.5, 2)`)
  return match[2] === 'm' ? Number(match[1]) / 1000 : Number(match[1])
}

/**
 * Resources of a task's ResourcesConfig as numbers; unset CPU/Memory take `defaults`.
 * ValidationError naming the field (under `path`) when a quantity cannot be read.
 */
export function parseResourcesConfig(
  config: ResourcesConfig | undefined,
  defaults: Readonly<Resources> = DEFAULT_TASK_RESOURCES,
  path = 'Resources',
): Resources {
  const result: Resources = { ...defaults }
  const issues: { path: string; message: string }[] = []
  const read = (key: keyof ResourcesConfig, parse: (v: string) => number) => {
    const value = config?.[key]
    if (value === undefined || value === '') return
    try {
      result[key] = parse(value)
    } catch (err) {
      issues.push({ path: `${path}.${key}`, message: (err as Error).message })
    }
  }
  read('CPU', parseCpuQuantity)
  read('Memory', parseByteQuantity)
  read('Disk', parseByteQuantity)
  read('GPU', (v) => {
    if (!/^\s*\d+\s*$/.test(v)) throw new Error(`cannot read ${JSON.stringify(v)} as a GPU count (a whole number)`)
    return Number(v)
  })
  if (issues.length > 0) throw new ValidationError(issues)
  return result
}

const KEYS = ['CPU', 'Memory', 'Disk', 'GPU'] as const

// CPU is fractional: compare with a little tolerance so 0.1 + 0.2 fits into 0.3.
const EPSILON = 1e-9

/** a + b. */
export function addResources(a: Resources, b: Resources): Resources {
  return { CPU: a.CPU + b.CPU, Memory: a.Memory + b.Memory, Disk: a.Disk + b.Disk, GPU: a.GPU + b.GPU }
}

/** a - b, never below zero. */
export function subtractResources(a: Resources, b: Resources): Resources {
  const result = zeroResources()
  for (const key of KEYS) result[key] = Math.max(0, a[key] - b[key])
  return result
}

/** The resources of `need` that exceed `have` (empty when `need` fits). */
export function exceeding(need: Resources, have: Resources): (keyof Resources)[] {
  return KEYS.filter((key) => need[key] > have[key] + EPSILON)
}

/** A byte count for people: SI units, as Bacalhau prints them ("2 GB", "256 MB"). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  const shown = unit === 0 ? String(value) : String(Math.round(value * 10) / 10)
  return `${shown} ${units[unit]}`
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
