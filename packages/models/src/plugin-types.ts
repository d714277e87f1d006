/**
 * The plug-in types Shoal knows: engines, publishers and input sources. Validation rejects any
 * other type by name. Later work extends these lists when it adds an implementation.
 */

/** Engine types a job may ask for (upstream pkg/models/constants.go, plus `noop`). */
export const KNOWN_ENGINE_TYPES = ['wasm', 'docker', 'noop'] as const
/** A known engine type. */
export type KnownEngineType = (typeof KNOWN_ENGINE_TYPES)[number]

/**
 * Publisher types a task may name; an empty Type means "no publisher / the node's default".
 * All of upstream's names are known (a job naming one no node offers is queued with the reason).
 */
export const KNOWN_PUBLISHER_TYPES = ['local', 'ipfs', 's3', 's3managed', 'noop'] as const
/** A known publisher type. */
export type KnownPublisherType = (typeof KNOWN_PUBLISHER_TYPES)[number]

/** Input source types a task may use: upstream's names (pkg/models/constants.go). */
export const KNOWN_INPUT_SOURCE_TYPES = ['inline', 'urlDownload', 'local', 's3', 's3managed', 's3PreSigned', 'ipfs', 'repoclone', 'repoCloneLFS', 'noop'] as const
/** A known input source type. */
export type KnownInputSourceType = (typeof KNOWN_INPUT_SOURCE_TYPES)[number]

/** Deprecated input source type names and what they mean today (`localDirectory` -> `local`). */
export const INPUT_SOURCE_TYPE_ALIASES: Readonly<Record<string, KnownInputSourceType>> = Object.freeze({
  localDirectory: 'local',
})

/** Network types, in Bacalhau's wire order (`Default` lets the executor decide). */
export const NETWORK_TYPES = ['Default', 'None', 'Host', 'Full', 'HTTP', 'Bridge'] as const
/** A network type name. */
export type NetworkType = (typeof NETWORK_TYPES)[number]

/** Constraint (label selector) operators, as Kubernetes' selection package spells them. */
export const CONSTRAINT_OPERATORS = ['=', '==', '!=', 'in', 'notin', 'exists', '!', 'gt', 'lt'] as const
/** A constraint operator. */
export type ConstraintOperator = (typeof CONSTRAINT_OPERATORS)[number]

/** Meta keys starting with this are Bacalhau's own (orchestrator ID, client IDs, ...). */
export const META_RESERVED_PREFIX = 'bacalhau.org/'

/** Environment variable names starting with this are set by the compute node. */
export const ENV_RESERVED_PREFIX = 'BACALHAU_'

/** The namespace a job lands in when it names none. */
export const DEFAULT_NAMESPACE = 'default'

/**
 * The canonical spelling of `type` among `known` (matched case-insensitively), or `undefined`.
 * Bacalhau compares plug-in types with strings.EqualFold, so `WASM` means `wasm`.
 */
export function canonicalType<T extends string>(type: string, known: readonly T[]): T | undefined {
  const folded = type.trim().toLowerCase()
  return known.find((candidate) => candidate.toLowerCase() === folded)
}

