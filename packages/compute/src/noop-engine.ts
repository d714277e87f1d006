import type { Engine, EngineRunRequest, EngineRunResult } from '@shoal/interface'
import type { AbortOptions } from '@shoal/interface'
import { emptyDirectory, memoryTree } from '@shoal/interface'

/** Bacalhau's `noop` engine: every run ends at once with exit code 0 and no output. */
export class NoopEngine implements Engine {
  readonly type = 'noop'

  async run(request: EngineRunRequest, options: AbortOptions = {}): Promise<EngineRunResult> {
    options.signal?.throwIfAborted()
    const outputs = new Map((request.task.ResultPaths ?? []).map((path) => [path.Name, memoryTree(emptyDirectory())]))
    return { exitCode: 0, stdout: new Uint8Array(), stderr: new Uint8Array(), stdoutTruncated: false, stderrTruncated: false, outputs }
  }
}
