/**
 * The `wasm` engine's Params (upstream pkg/executor/wasm/models/types.go): decoding and the checks
 * the engine makes before running. Keys are matched case-insensitively, as job specs are.
 */
import { ParamsReader, type Task } from '@shoal/models'

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

/** Decodes `task.Engine.Params`; `problems` names every invalid field (empty when fine). */
export function decodeWasmEngineParams(task: Task): { params: WasmEngineParams; problems: string[] } {
  const reader = new ParamsReader({ params: task.Engine?.Params, path: 'Engine.Params' })
  const entryModule = reader.field('EntryModule')
  if (typeof entryModule !== 'string' || entryModule.trim() === '') {
    reader.problem('EntryModule', 'set it to the Target of the input source that holds the .wasm module')
  }
  const entrypoint = reader.string('Entrypoint')
  const params: WasmEngineParams = {
    EntryModule: typeof entryModule === 'string' ? entryModule : '',
    Entrypoint: entrypoint !== '' ? entrypoint : DEFAULT_ENTRYPOINT,
    Parameters: reader.strings('Parameters'),
    EnvironmentVariables: reader.stringMap('EnvironmentVariables'),
    ImportModules: reader.strings('ImportModules'),
  }
  return { params, problems: reader.problems }
}
