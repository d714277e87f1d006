/**
 * Field paths as users read them: `Tasks[0].Engine.Params.EntryModule`, with map keys that are
 * not plain identifiers quoted (`Meta["bacalhau.org/x"]`). Zod issues become ValidationIssues.
 */
import type { z } from 'zod'
import type { ValidationIssue } from './errors.ts'

/** One step of a field path: an object key or an array index. */
export type PathSegment = string | number

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Formats a path as `A.B[0].C`; keys that are not identifiers are written `["key"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else if (typeof segment === 'string' && IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`
    else out += `[${JSON.stringify(String(segment))}]`
  }
  return out
}

/** Joins a base path and a relative one: `joinPath('Tasks[0]', 'Name')` = `Tasks[0].Name`. */
export function joinPath(base: string, ...rest: readonly PathSegment[]): string {
  const tail = formatPath(rest)
  if (base === '') return tail
  if (tail === '') return base
  return tail.startsWith('[') ? base + tail : `${base}.${tail}`
}

/** Converts zod issues into ValidationIssues, prefixing each path with `base`. */
export function issuesFromZod(error: z.ZodError, base = ''): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: joinPath(base, ...(issue.path.filter((p) => typeof p !== 'symbol') as PathSegment[])),
    message: describeZodIssue(issue),
  }))
}

function describeZodIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return `required: set it to a ${issue.expected}`
      const got = issue.input === null ? 'null' : Array.isArray(issue.input) ? 'array' : typeof issue.input
      return `expected ${article(issue.expected)} ${issue.expected}, got ${got}`
    }
    default:
      return issue.message
  }
}

const article = (word: string): string => (/^[aeiou]/i.test(word) ? 'an' : 'a')
