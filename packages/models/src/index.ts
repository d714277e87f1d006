/**
 * @shoal/models — the Bacalhau-compatible v1 job model: wire types, state encodings, IDs,
 * errors, zod schemas, job spec parsing (YAML/JSON, case-insensitive keys, legacy wasm form),
 * normalization, server defaults, validation with field paths, and resource quantities.
 */
export * from './types.ts'
export * from './states.ts'
export * from './ids.ts'
export * from './errors.ts'
export * from './plugin-types.ts'
export * from './issue-path.ts'
export * from './quantities.ts'
export * from './state-codec.ts'
export * from './spec-params.ts'
export * from './job-schema.ts'
export * from './execution-schema.ts'
export * from './node-schema.ts'
export * from './schema-keys.ts'
export * from './legacy-wasm.ts'
export * from './job-normalize.ts'
export * from './job-defaults.ts'
export * from './job-sanitize.ts'
export * from './job-validation.ts'
export * from './job-limits.ts'
export * from './nesting-depth.ts'
export * from './job-spec.ts'
export * from './wire.ts'
export type * from './api-types.ts'
export * from './resource-arithmetic.ts'
