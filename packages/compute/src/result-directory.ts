import type { ResultPath } from '@shoal/models'
import { composeTree, emptyDirectory, fileNode, memoryTree, type ReadableTree } from '@shoal/interface'

/**
 * The published result of a run, laid out as Bacalhau does: one folder per ResultPath Name
 * (empty when the task wrote nothing there) next to the files `stdout`, `stderr` and `exitCode`.
 * The outputs are read from where the engine left them, as the publisher streams the tree.
 */
export function resultTree(run: {
  exitCode: number
  stdout: Uint8Array
  stderr: Uint8Array
  outputs: Map<string, ReadableTree>
  resultPaths: ResultPath[]
}): ReadableTree {
  const parts = new Map<string, ReadableTree>()
  for (const path of run.resultPaths) parts.set(path.Name, run.outputs.get(path.Name) ?? memoryTree(emptyDirectory()))
  parts.set('stdout', memoryTree(fileNode(run.stdout)))
  parts.set('stderr', memoryTree(fileNode(run.stderr)))
  parts.set('exitCode', memoryTree(fileNode(String(run.exitCode))))
  return composeTree(parts)
}
