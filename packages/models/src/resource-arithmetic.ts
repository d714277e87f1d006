/**
 * Arithmetic on Resources (CPU in cores, Memory/Disk in bytes, GPU a count), shared by the
 * requester's capacity accounting and the compute node's bidding.
 */
import type { Resources } from './types.ts'

/** The four resource dimensions, in the order explanations list them. */
export const RESOURCE_KEYS = ['CPU', 'Memory', 'Disk', 'GPU'] as const
/** One resource dimension. */
export type ResourceKey = (typeof RESOURCE_KEYS)[number]

// CPU is fractional (millicore arithmetic): compare with a little tolerance so 0.1 + 0.2 fits 0.3.
const EPSILON = 1e-9

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

/** The dimensions in which `need` exceeds `have` (empty when it fits). */
export function exceeding(need: Resources, have: Resources): ResourceKey[] {
  return RESOURCE_KEYS.filter((key) => need[key] > have[key] + EPSILON)
}

/** The first dimension in which `required` exceeds `free`, or undefined when it fits. */
export function firstShortfall(required: Resources, free: Resources): ResourceKey | undefined {
  return exceeding(required, free)[0]
}
