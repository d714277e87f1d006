import type { RunCommandResult } from '@shoal/models'

/**
 * The first `maxBytes` of a stream as text, cut at a character boundary, and whether anything
 * was left out (`alreadyTruncated`: the engine had to drop output beyond its cap already).
 */
export function outputPreview(bytes: Uint8Array, maxBytes: number, alreadyTruncated = false): { text: string; truncated: boolean } {
  if (bytes.byteLength <= maxBytes) return { text: new TextDecoder().decode(bytes), truncated: alreadyTruncated }
  let end = maxBytes
  // Step back over UTF-8 continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--
  return { text: new TextDecoder().decode(bytes.subarray(0, end)), truncated: true }
}

/** Bacalhau's RunOutput of a run that ended: previews of both streams, exit code, no error. */
export function runOutputOf(
  run: { exitCode: number; stdout: Uint8Array; stderr: Uint8Array; stdoutTruncated: boolean; stderrTruncated: boolean },
  previewBytes: number,
  errorMessage = '',
): RunCommandResult {
  const stdout = outputPreview(run.stdout, previewBytes, run.stdoutTruncated)
  const stderr = outputPreview(run.stderr, previewBytes, run.stderrTruncated)
  return {
    Stdout: stdout.text,
    StdoutTruncated: stdout.truncated,
    stderr: stderr.text,
    StderrTruncated: stderr.truncated,
    ExitCode: run.exitCode,
    ErrorMsg: errorMessage,
  }
}
