/**
 * Bounds on what a submitted job may ask for. Bacalhau sets none of these; every one stops a
 * single submission from costing the orchestrator memory or time out of proportion to its use
 * (a Count of 10^9 allocates per evaluation; a 9 MB name is copied into every listing and
 * event). Where Kubernetes, whose label and job model Bacalhau follows, sets a bound, it is
 * the one used here; docs/COMPATIBILITY.md lists them.
 */

/** Most replicas a job may ask for (Kubernetes refuses indexed Jobs with more completions). */
export const MAX_JOB_COUNT = 100_000

/** Longest job ID, job Name, task Name and Namespace, in characters (Bacalhau's own disabled name rule). */
export const MAX_NAME_LENGTH = 255

/** Longest label key: Kubernetes' 253-character prefix, `/`, and 63-character name. */
export const MAX_LABEL_KEY_LENGTH = 317

/**
 * Deepest nesting of objects and lists in a job spec (the job itself is level 1). Params are
 * free-form, but no engine, storage or publisher reads past a few levels, and deeper values
 * overflow the stack of the recursive steps every spec goes through (cloning, encoding).
 */
export const MAX_SPEC_DEPTH = 64

/** "has N characters", for a too-long value without echoing it (it may be megabytes). */
export const lengthOf = (text: string): string => `has ${text.length} characters`
