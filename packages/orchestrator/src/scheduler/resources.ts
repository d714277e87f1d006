import type { Resources } from '@shoal/models'

/** The four resource dimensions, in the order explanations list them. */
export const RESOURCE_KEYS = ['CPU', 'Memory', 'Disk', 'GPU'] as const
/** One resource dimension. */
export type ResourceKey = (typeof RESOURCE_KEYS)[number]

/** No resources. */
export const zeroResources = (): Resources => ({ CPU: 0, Memory: 0, Disk: 0, GPU: 0 })

/** `a + b`, per dimension. */
export function addResources(a: Resources, b: Resources): Resources {
  return { CPU: a.CPU + b.CPU, Memory: a.Memory + b.Memory, Disk: a.Disk + b.Disk, GPU: a.GPU + b.GPU }
}

/** `a - b`, per dimension, never below zero. */
export function subtractResources(a: Resources, b: Resources): Resources {
  return {
    CPU: Math.max(0, a.CPU - b.CPU),
    Memory: Math.max(0, a.Memory - b.Memory),
    Disk: Math.max(0, a.Disk - b.Disk),
    GPU: Math.max(0, a.GPU - b.GPU),
  }
}

/** The first dimension in which `required` exceeds `free`, or undefined when it fits. */
export function firstShortfall(required: Resources, free: Resources): ResourceKey | undefined {
  // CPU comparisons tolerate float noise from millicore arithmetic.
  for (const key of RESOURCE_KEYS) if (required[key] > free[key] + (key === 'CPU' ? 1e-9 : 0)) return key
  return undefined
}

/** Whether every dimension is zero. */
export const isZeroResources = (r: Resources): boolean => r.CPU === 0 && r.Memory === 0 && r.Disk === 0 && r.GPU === 0

/** Sum of an execution's allocated resources over its tasks. */
export function totalAllocated(allocated: { Tasks?: Record<string, Resources> } | undefined): Resources {
  let total = zeroResources()
  for (const r of Object.values(allocated?.Tasks ?? {})) total = addResources(total, r)
  return total
}
