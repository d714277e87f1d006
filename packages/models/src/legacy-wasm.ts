/**
 * The legacy wasm engine form, where EntryModule and ImportModules are input sources inside the
 * engine params instead of Targets of the task's InputSources. Like Bacalhau's orchestrator
 * (pkg/orchestrator/transformer/wasm_legacy.go), Shoal moves each module into InputSources —
 * keeping its Target, or `/wasm/entry.wasm` and `/wasm/imports/module_<i>.wasm` when it has none —
 * and replaces it with that Target. The even older v0 StorageSpec form ({StorageSource, CID, URL,
 * Path, ...}) is converted too. Other params (Entrypoint, Parameters, EnvironmentVariables) stay.
 */
import { z } from 'zod'
import { StorageSourceSpecSchema } from './job-schema.ts'
import { joinPath } from './issue-path.ts'
import { WasmEngineParamsSchema } from './spec-params.ts'

/** Target given to a legacy entry module that names none (as upstream). */
export const LEGACY_ENTRY_MODULE_TARGET = '/wasm/entry.wasm'
/** Target given to the i-th legacy import module that names none (as upstream). */
export const legacyImportModuleTarget = (index: number): string => `/wasm/imports/module_${index}.wasm`

/** Keys of a module given as an input source, current ({Source, Alias, Target}) or v0 StorageSpec. */
export const LegacyWasmModuleSchema = z.object({
  Source: StorageSourceSpecSchema.optional(),
  Alias: z.string().optional(),
  Target: z.string().optional(),
  StorageSource: z.string().optional(),
  Name: z.string().optional(),
  CID: z.string().optional(),
  URL: z.string().optional(),
  S3: z
    .object({
      Bucket: z.string().optional(),
      Key: z.string().optional(),
      Checksum: z.string().optional(),
      VersionID: z.string().optional(),
      Endpoint: z.string().optional(),
      Region: z.string().optional(),
    })
    .optional(),
  Repo: z.string().optional(),
  SourcePath: z.string().optional(),
  ReadWrite: z.boolean().optional(),
  Path: z.string().optional(),
  Metadata: z.record(z.string(), z.string()).optional(),
})

const moduleRef = z.union([z.string(), LegacyWasmModuleSchema])

/** Key shape of wasm params accepting both forms (used only to canonicalise keys). */
export const WasmEngineParamsKeysSchema = WasmEngineParamsSchema.extend({
  EntryModule: moduleRef.optional(),
  ImportModules: z.array(moduleRef).optional(),
})

type Raw = Record<string, unknown>
const isObject = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value)

/** A legacy module object as a current InputSource object (still raw, keys canonical). */
function toInputSource(module: Raw, defaultTarget: string): Raw {
  const target = typeof module.Target === 'string' && module.Target.trim() !== '' ? module.Target : undefined
  if (module.Source !== undefined || module.StorageSource === undefined) {
    return { Source: module.Source ?? {}, Alias: module.Alias ?? '', Target: target ?? defaultTarget }
  }
  // v0 StorageSpec: the type is StorageSource, Path is the mount point, Name the alias.
  const params: Raw = {}
  for (const key of ['CID', 'URL', 'Repo', 'SourcePath', 'ReadWrite'] as const) {
    if (module[key] !== undefined && module[key] !== '') params[key] = module[key]
  }
  if (isObject(module.S3)) {
    const { Checksum, ...rest } = module.S3
    Object.assign(params, rest, Checksum === undefined ? {} : { ChecksumSHA256: Checksum })
  }
  const path = typeof module.Path === 'string' && module.Path.trim() !== '' ? module.Path : undefined
  return { Source: { Type: module.StorageSource, Params: params }, Alias: module.Name ?? '', Target: target ?? path ?? defaultTarget }
}

/**
 * Converts a raw task (keys already canonical) from the legacy wasm form in place, returning one
 * warning per converted module. Tasks of other engines, or already in the current form, are left alone.
 */
export function upgradeLegacyWasmTask(task: Raw, taskPath: string): string[] {
  const engine = task.Engine
  if (!isObject(engine) || typeof engine.Type !== 'string' || engine.Type.trim().toLowerCase() !== 'wasm') return []
  const params = engine.Params
  if (!isObject(params)) return []
  const warnings: string[] = []
  const inputs: unknown[] = Array.isArray(task.InputSources) ? [...task.InputSources] : []
  const nextParams: Raw = { ...params }
  const paramsPath = joinPath(taskPath, 'Engine', 'Params')

  if (isObject(params.EntryModule)) {
    const input = toInputSource(params.EntryModule, LEGACY_ENTRY_MODULE_TARGET)
    inputs.push(input)
    nextParams.EntryModule = input.Target
    warnings.push(
      `${joinPath(paramsPath, 'EntryModule')}: legacy form (an input source inside the engine) converted: ` +
        `the module is now ${joinPath(taskPath, 'InputSources', inputs.length - 1)} with Target ${String(input.Target)}`,
    )
  }
  if (Array.isArray(params.ImportModules) && params.ImportModules.some(isObject)) {
    nextParams.ImportModules = params.ImportModules.map((module, index) => {
      if (!isObject(module)) return module
      const input = toInputSource(module, legacyImportModuleTarget(index))
      inputs.push(input)
      warnings.push(
        `${joinPath(paramsPath, 'ImportModules', index)}: legacy form converted: ` +
          `the module is now ${joinPath(taskPath, 'InputSources', inputs.length - 1)} with Target ${String(input.Target)}`,
      )
      return input.Target
    })
  }
  if (warnings.length > 0) {
    engine.Params = nextParams
    task.InputSources = inputs
  }
  return warnings
}
