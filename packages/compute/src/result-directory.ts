import type { ResultPath } from '@shoal/models'
import { emptyDirectory, fileNode, type DirectoryNode } from '@shoal/interface'

/**
 * The published result of a run, laid out as Bacalhau does: one folder per ResultPath Name
 * (empty when the task wrote nothing there) next to the files `stdout`, `stderr` and `exitCode`.
 */
export function buildResultDirectory(run: {
  exitCode: number
  stdout: Uint8Array
  stderr: Uint8Array
  outputs: Map<string, DirectoryNode>
  resultPaths: ResultPath[]
}): DirectoryNode {
  const dir = emptyDirectory()
  for (const path of run.resultPaths) dir.entries.set(path.Name, run.outputs.get(path.Name) ?? emptyDirectory())
  dir.entries.set('stdout', fileNode(run.stdout))
  dir.entries.set('stderr', fileNode(run.stderr))
  dir.entries.set('exitCode', fileNode(String(run.exitCode)))
  return dir
}
