/**
 * @shoal/models — the Bacalhau-compatible v1 job model: types, state encodings, IDs, errors,
 * and (schemas, parsing, defaults, validation) for untrusted job specs.
 */
export * from './types.ts'
export * from './states.ts'
export * from './ids.ts'
export * from './errors.ts'
