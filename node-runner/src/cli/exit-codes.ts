/**
 * The exit codes of the `shoal` command, in one place so scripts can rely on them.
 *
 * | code | meaning                                                                  |
 * |------|--------------------------------------------------------------------------|
 * | 0    | success                                                                  |
 * | 1    | the command failed: invalid job spec, job failed/stopped, not found, API error |
 * | 2    | usage error: unknown command or flag, missing or malformed argument      |
 * | 3    | the requester could not be reached                                       |
 * | 130  | interrupted (Ctrl+C); a submitted job keeps running                      |
 */
export const ExitCode = Object.freeze({
  /** Success. */
  Ok: 0,
  /** The command failed: invalid input, a failed job, an unknown ID, an error from the API. */
  Failure: 1,
  /** The command line itself is wrong (unknown flag, missing argument). */
  Usage: 2,
  /** The requester did not answer. */
  Unreachable: 3,
  /** Interrupted by SIGINT. */
  Interrupted: 130,
})

/** One of the exit codes above. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]
