/**
 * Case-insensitive keys. Bacalhau decodes job specs with Go's encoding/json, which matches
 * struct fields case-insensitively, so `type`, `TYPE` and `Type` all work. canonicalizeKeys walks
 * a value alongside a zod schema and renames every key the schema knows to its PascalCase wire
 * form. Keys of maps the user owns (Env, Meta, Labels) are kept as given. Params of a SpecConfig
 * are walked with the params schema of its type; params of unknown types are kept as given.
 * A key the model does not know is dropped with a warning naming its path (Go ignores it too),
 * except inside known Params, where it is kept (the plug-in may read it) and still reported.
 * A null value of a known key counts as absent, as it does in Go.
 */
import type { z } from 'zod'
import { specKindRegistry } from './job-schema.ts'
import { joinPath } from './issue-path.ts'
import { WasmEngineParamsKeysSchema } from './legacy-wasm.ts'
import { PARAMS_SCHEMAS } from './spec-params.ts'
import type { SpecKind } from './spec-params.ts'
import { canonicalType } from './plugin-types.ts'

/** The part of zod's internal definition the walk reads. */
interface SchemaDef {
  type: string
  shape?: Record<string, z.ZodType>
  catchall?: z.ZodType
  element?: z.ZodType
  valueType?: z.ZodType
  innerType?: z.ZodType
  in?: z.ZodType
  options?: z.ZodType[]
}

const defOf = (schema: z.ZodType): SchemaDef => (schema as unknown as { _zod: { def: SchemaDef } })._zod.def

/** The schema under optional/default/nullable/pipe wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema
  for (let depth = 0; depth < 32; depth++) {
    const def = defOf(current)
    if (def.innerType) current = def.innerType
    else if (def.type === 'pipe' && def.in) current = def.in
    else return current
  }
  return current
}

/** Schemas used only to canonicalise params keys where they differ from validation (legacy wasm). */
const PARAMS_KEY_SCHEMAS: Record<SpecKind, Record<string, z.ZodType>> = {
  ...PARAMS_SCHEMAS,
  engine: { ...PARAMS_SCHEMAS.engine, wasm: WasmEngineParamsKeysSchema },
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Picks the union member matching the value's shape (object, array or scalar). */
function pickOption(options: z.ZodType[], value: unknown): z.ZodType | undefined {
  const want = Array.isArray(value) ? 'array' : isObject(value) ? 'object' : undefined
  if (want === undefined) return undefined
  return options.find((option) => defOf(unwrap(option)).type === want)
}

/** How canonicalizeKeys words a key the schema does not know (after the key's path and ": "). */
export const UNKNOWN_FIELD = 'unknown field, ignored'

/**
 * A copy of `value` whose keys known to `schema` are in wire form; `warnings` gets one entry
 * per unknown or duplicate key. `path` is the formatted path of `value` (e.g. `Tasks[0]`).
 */
export function canonicalizeKeys(value: unknown, schema: z.ZodType, path: string, warnings: string[]): unknown {
  const inner = unwrap(schema)
  const def = defOf(inner)
  if (def.type === 'union' && def.options) {
    const option = pickOption(def.options, value)
    return option ? canonicalizeKeys(value, option, path, warnings) : value
  }
  if (def.type === 'array' && def.element && Array.isArray(value)) {
    return value.map((item, index) => canonicalizeKeys(item, def.element as z.ZodType, joinPath(path, index), warnings))
  }
  if (def.type === 'record' && def.valueType && isObject(value)) {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[key] = canonicalizeKeys(item, def.valueType, joinPath(path, key), warnings)
    return out
  }
  if (def.type === 'object' && def.shape && isObject(value)) {
    const out = canonicalizeObject(value, def, path, warnings)
    const kind = specKindRegistry.get(inner)?.specKind
    return kind ? canonicalizeParams(out, kind, path, warnings) : out
  }
  return value
}

function canonicalizeObject(value: Record<string, unknown>, def: SchemaDef, path: string, warnings: string[]): Record<string, unknown> {
  const shape = def.shape as Record<string, z.ZodType>
  const byFolded = new Map(Object.keys(shape).map((key) => [key.toLowerCase(), key]))
  const seen = new Map<string, string>()
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    const canonical = byFolded.get(key.toLowerCase())
    if (canonical === undefined) {
      if (def.catchall) {
        warnings.push(`${joinPath(path, key)}: unknown parameter, passed through unchanged`)
        out[key] = item
      } else {
        warnings.push(`${joinPath(path, key)}: ${UNKNOWN_FIELD}`)
      }
      continue
    }
    const previous = seen.get(canonical)
    if (previous !== undefined) warnings.push(`${joinPath(path, key)}: duplicate of ${joinPath(path, previous)} (keys are case-insensitive); the last one wins`)
    seen.set(canonical, key)
    if (item === null || item === undefined) {
      delete out[canonical]
      continue
    }
    out[canonical] = canonicalizeKeys(item, shape[canonical], joinPath(path, canonical), warnings)
  }
  return out
}

function canonicalizeParams(spec: Record<string, unknown>, kind: SpecKind, path: string, warnings: string[]): Record<string, unknown> {
  if (typeof spec.Type !== 'string' || !isObject(spec.Params)) return spec
  const schemas = PARAMS_KEY_SCHEMAS[kind]
  const type = canonicalType(spec.Type, Object.keys(schemas))
  if (type === undefined) return spec
  return { ...spec, Params: canonicalizeKeys(spec.Params, schemas[type], joinPath(path, 'Params'), warnings) }
}
