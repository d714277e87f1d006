import { ShoalError, UnreachableError, ValidationError } from '@shoal/models'
import { ExitCode, type ExitCodeValue } from './exit-codes.ts'

/** What the CLI prints and returns for a failure. */
export interface FailureReport {
  /** Lines for stderr, each already starting with "Error:" or indented detail. */
  lines: string[]
  exitCode: ExitCodeValue
}

/** Context the error report needs: where the CLI tried to reach the requester. */
export interface FailureContext {
  apiUrl?: string
  debug?: boolean
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET'])

/** True when `error` (or one of its causes) says the requester did not answer. */
export function isUnreachable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e instanceof UnreachableError) return true
    if (typeof e === 'object' && 'code' in e && NETWORK_CODES.has(String((e as { code: unknown }).code))) return true
    if (e instanceof TypeError && e.message === 'fetch failed') return true
    e = (e as { cause?: unknown }).cause
  }
  return false
}

/** The message shown when the requester cannot be reached. */
export function unreachableMessage(apiUrl: string): string {
  return `cannot reach the Shoal requester at ${apiUrl} — start one with \`npm start\` or \`shoal devstack\`, or point SHOAL_API_URL at yours`
}

function sentence(text: string): string {
  const trimmed = text.trim()
  return /[.!?`]$/.test(trimmed) ? trimmed : `${trimmed}.`
}

/** Turns any thrown value into the lines to print and the exit code, never a stack trace. */
export function reportFailure(error: unknown, context: FailureContext = {}): FailureReport {
  const lines: string[] = []
  let exitCode: ExitCodeValue = ExitCode.Failure
  if (isUnreachable(error)) {
    lines.push(`Error: ${unreachableMessage(context.apiUrl ?? 'the configured address')}`)
    exitCode = ExitCode.Unreachable
  } else if (error instanceof ValidationError) {
    const head = error.issues.length === 1 ? 'the input is invalid' : `the input has ${error.issues.length} problems`
    lines.push(`Error: ${head}:`)
    for (const issue of error.issues) lines.push(`  ${issue.path ? `${issue.path}: ` : ''}${issue.message}`)
    if (error.hint) lines.push(error.hint)
  } else if (error instanceof ShoalError) {
    lines.push(`Error: ${sentence(error.message)}${error.hint ? ` ${sentence(error.hint)}` : ''}`)
  } else if (error instanceof Error) {
    lines.push(`Error: ${sentence(error.message)}`)
  } else {
    lines.push(`Error: ${sentence(String(error))}`)
  }
  if (context.debug && error instanceof Error && error.stack) lines.push(error.stack)
  return { lines, exitCode }
}
