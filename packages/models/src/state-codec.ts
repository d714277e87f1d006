/**
 * Wire encodings of states. Job states travel as strings (Bacalhau's MarshalText); execution
 * compute and desired states travel as integers. On input Shoal accepts either form for each,
 * names matched case-insensitively, and always produces the wire form.
 */
import { z } from 'zod'
import { EXECUTION_DESIRED_STATES, EXECUTION_STATES, JOB_STATES } from './states.ts'
import type { ExecutionDesiredStateName, ExecutionStateName, JobStateType } from './states.ts'

const indexOfName = (names: readonly string[], name: string): number => {
  const folded = name.trim().toLowerCase()
  return names.findIndex((candidate) => candidate.toLowerCase() === folded)
}

/**
 * A job state from its wire form: a name (any case) or, leniently, its integer. Like Bacalhau's
 * UnmarshalText, an unknown name decodes to `Undefined` rather than failing.
 */
export function jobStateFromWire(value: string | number): JobStateType {
  if (typeof value === 'number') return JOB_STATES[value] ?? 'Undefined'
  const index = indexOfName(JOB_STATES, value)
  return index < 0 ? 'Undefined' : JOB_STATES[index]
}

/** The integer of an execution compute state given as integer or name; undefined for an unknown name. */
export function executionStateFromWire(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined
  const index = indexOfName(EXECUTION_STATES, value)
  return index < 0 ? undefined : index
}

/** The wire integer of an execution compute state (`executionStateToWire('Completed')` = 9). */
export function executionStateToWire(state: ExecutionStateName | number): number {
  return typeof state === 'number' ? state : EXECUTION_STATES.indexOf(state)
}

/** The integer of an execution desired state given as integer or name; undefined for an unknown name. */
export function desiredStateFromWire(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined
  const index = indexOfName(EXECUTION_DESIRED_STATES, value)
  return index < 0 ? undefined : index
}

/** The wire integer of an execution desired state (`desiredStateToWire('Stopped')` = 2). */
export function desiredStateToWire(state: ExecutionDesiredStateName | number): number {
  return typeof state === 'number' ? state : EXECUTION_DESIRED_STATES.indexOf(state)
}

/** The name of an execution desired state integer, or `Unknown(n)`. */
export function desiredStateName(value: number): string {
  return EXECUTION_DESIRED_STATES[value] ?? `Unknown(${value})`
}

/** A job state on input (string or integer), decoded to its string wire form. */
export const JobStateTypeSchema = z.union([z.string(), z.number().int()]).transform((value) => jobStateFromWire(value))

const integerState = (names: readonly string[], decode: (v: number | string) => number | undefined, what: string) =>
  z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
    const decoded = decode(value)
    if (decoded === undefined) {
      ctx.addIssue({ code: 'custom', message: `unknown ${what} ${JSON.stringify(value)}: use one of ${names.join(', ')} or its number` })
      return z.NEVER
    }
    return decoded
  })

/** An execution compute state on input (integer or name), encoded as its wire integer. */
export const ExecutionStateTypeSchema = integerState(EXECUTION_STATES, executionStateFromWire, 'execution state')

/** An execution desired state on input (integer or name), encoded as its wire integer. */
export const ExecutionDesiredStateTypeSchema = integerState(EXECUTION_DESIRED_STATES, desiredStateFromWire, 'desired state')
