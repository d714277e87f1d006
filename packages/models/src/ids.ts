/** ID helpers: Bacalhau IDs are a one-letter prefix and a UUID. */

/** Prefixes of each kind of ID. */
export const ID_PREFIXES = { job: 'j-', execution: 'e-', evaluation: 'v-', node: 'n-' } as const

/** A source of UUIDs, injectable so tests are deterministic. */
export type UuidSource = () => string

const defaultUuid: UuidSource = () => crypto.randomUUID()

/** A new job ID (`j-<uuid>`). */
export const newJobId = (uuid: UuidSource = defaultUuid): string => ID_PREFIXES.job + uuid()
/** A new execution ID (`e-<uuid>`). */
export const newExecutionId = (uuid: UuidSource = defaultUuid): string => ID_PREFIXES.execution + uuid()
/** A new evaluation ID (`v-<uuid>`). */
export const newEvaluationId = (uuid: UuidSource = defaultUuid): string => ID_PREFIXES.evaluation + uuid()
/** A new node ID (`n-<uuid>`). */
export const newNodeId = (uuid: UuidSource = defaultUuid): string => ID_PREFIXES.node + uuid()

/** The first 10 characters of an ID, as Bacalhau's CLI shows it (`j-12345678`). */
export const shortId = (id: string): string => id.slice(0, 10)
