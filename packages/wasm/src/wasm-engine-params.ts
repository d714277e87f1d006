/**
 * The `wasm` engine's Params (upstream pkg/executor/wasm/models/types.go): decoding and the checks
 * the engine makes before running. Keys are matched case-insensitively, as job specs are.
 */
import type { Task } from '@shoal/models'

/** Decoded `wasm` engine params. */
export interface WasmEngineParams {
  /** Target of the input that holds the entry module (a .wasm file, or a directory with one). */
  EntryModule: string
  /** Export to call; `_start` when empty. */
  Entrypoint: string
  /** Program arguments; argv is ["", ...Parameters] as upstream. */
  Parameters: string[]
  /** Added to the task environment. */
  EnvironmentVariables: Record<string, string>
  /** Targets of inputs holding modules the entry module imports from. */
  ImportModules: string[]
}

/** Default entrypoint of a WASI command. */
export const DEFAULT_ENTRYPOINT = '_start'

function field(params: Record<string, unknown>, name: string): unknown {
  if (name in params) return params[name]
  const lower = name.toLowerCase()
  const key = Object.keys(params).find((k) => k.toLowerCase() === lower)
  return key === undefined ? undefined : params[key]
}

/** Decodes `task.Engine.Params`; `problems` names every invalid field (empty when fine). */
export function decodeWasmEngineParams(task: Task): { params: WasmEngineParams; problems: string[] } {
  const raw = (task.Engine?.Params ?? {}) as Record<string, unknown>
  const problems: string[] = []
  const path = (name: string) => `Engine.Params.${name}`
  const entryModule = field(raw, 'EntryModule')
  if (typeof entryModule !== 'string' || entryModule.trim() === '') {
    problems.push(`${path('EntryModule')}: set it to the Target of the input source that holds the .wasm module`)
  }
  const entrypoint = field(raw, 'Entrypoint')
  if (entrypoint !== undefined && entrypoint !== null && typeof entrypoint !== 'string') problems.push(`${path('Entrypoint')}: expected a string`)
  const strings = (name: string): string[] => {
    const value = field(raw, name)
    if (value === undefined || value === null) return []
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      problems.push(`${path(name)}: expected a list of strings`)
      return []
    }
    return value as string[]
  }
  const env = field(raw, 'EnvironmentVariables')
  let environment: Record<string, string> = {}
  if (env !== undefined && env !== null) {
    if (typeof env !== 'object' || Array.isArray(env) || Object.values(env).some((v) => typeof v !== 'string')) {
      problems.push(`${path('EnvironmentVariables')}: expected a map of strings`)
    } else environment = env as Record<string, string>
  }
  const params: WasmEngineParams = {
    EntryModule: typeof entryModule === 'string' ? entryModule : '',
    Entrypoint: typeof entrypoint === 'string' && entrypoint !== '' ? entrypoint : DEFAULT_ENTRYPOINT,
    Parameters: strings('Parameters'),
    EnvironmentVariables: environment,
    ImportModules: strings('ImportModules'),
  }
  return { params, problems }
}
