import { readFileSync } from 'node:fs'
import { basename } from 'node:path'

/** Options of {@link inlineWasmJob}. */
export interface InlineWasmJobOptions {
  /** Job name (default: none, so the requester uses the ID). */
  name?: string
  /** Arguments of the module (argv[1..]). */
  args?: string[]
  count?: number
  /** Tasks[0].Timeouts.ExecutionTimeout, seconds. */
  executionTimeoutS?: number
  /** Tasks[0].Timeouts.QueueTimeout, seconds. */
  queueTimeoutS?: number
  /** CPU the task asks for, e.g. "1" or "500m". */
  cpu?: string
  /** Publisher type (default local). */
  publisher?: string
  env?: Record<string, string>
}

/**
 * A batch job (the wire shape `shoal job run` and PUT /jobs accept) whose WASM module travels
 * inline as a base64 `data:` URL: the module file at `modulePath` mounted at /app/<name>.
 */
export function inlineWasmJob(modulePath: string, options: InlineWasmJobOptions = {}): Record<string, unknown> {
  const target = `/app/${basename(modulePath)}`
  const url = `data:application/wasm;base64,${readFileSync(modulePath).toString('base64')}`
  return {
    ...(options.name ? { Name: options.name } : {}),
    Type: 'batch',
    Count: options.count ?? 1,
    Tasks: [
      {
        Name: 'main',
        Engine: { Type: 'wasm', Params: { EntryModule: target, Entrypoint: '_start', Parameters: options.args ?? [] } },
        InputSources: [{ Target: target, Source: { Type: 'inline', Params: { URL: url } } }],
        Publisher: { Type: options.publisher ?? 'local', Params: {} },
        Env: options.env ?? {},
        Network: { Type: 'None' },
        Resources: options.cpu ? { CPU: options.cpu } : {},
        Timeouts: {
          ...(options.executionTimeoutS !== undefined ? { ExecutionTimeout: options.executionTimeoutS } : {}),
          ...(options.queueTimeoutS !== undefined ? { QueueTimeout: options.queueTimeoutS } : {}),
        },
      },
    ],
  }
}
