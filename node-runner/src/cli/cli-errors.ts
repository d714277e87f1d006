import { ShoalError, StorageError, UnreachableError, ValidationError } from '@shoal/models'
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
  /** Whether the CLI sent an API token (--api-token, SHOAL_API_TOKEN or api.token). */
  apiTokenSent?: boolean
  debug?: boolean
}

/** The one line shown when the requester refuses the credentials (HTTP 401/403), or undefined for other errors. */
export function authFailureMessage(error: unknown, apiTokenSent: boolean): string | undefined {
  if (!(error instanceof ShoalError)) return undefined
  const reason = error.message.trim().replace(/[.]$/, '')
  if (error.status === 401) {
    return apiTokenSent
      ? `the requester did not accept the API token (${reason}): check --api-token, SHOAL_API_TOKEN or api.token`
      : 'the requester needs an API token: pass --api-token or set SHOAL_API_TOKEN (or `shoal config set api.token <token>`)'
  }
  if (error.status === 403) {
    if (/lacks the write scope/.test(reason)) return `this token may only read (${reason}): use a token with the write scope to change anything`
    if (/lacks the admin scope/.test(reason)) return `this token may not approve, reject or delete nodes (${reason}): use a token with the admin scope`
    return `the API token is not allowed to do this (${reason}): use a token with more scopes`
  }
  return undefined
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET'])

/** True when `error` (or one of its causes) says the requester did not answer. */
export function isUnreachable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e instanceof UnreachableError) return true
    // A StorageError names the data source that failed (a result URL, a node): it is not the requester.
    if (e instanceof StorageError) return false
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
  } else if (authFailureMessage(error, context.apiTokenSent ?? false) !== undefined) {
    lines.push(`Error: ${sentence(authFailureMessage(error, context.apiTokenSent ?? false) as string)}`)
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
