/**
 * The nesting depth of a decoded document, found without recursion: a document too deep for the
 * recursive steps after it (structuredClone, zod, JSON encoding) must be refused before them.
 */
import type { ValidationIssue } from './errors.ts'
import { formatPath } from './issue-path.ts'
import type { PathSegment } from './issue-path.ts'

/** How many path segments an issue shows: enough to find the place, never a megabyte of keys. */
const SHOWN_SEGMENTS = 6

/**
 * An issue when `value` nests objects and lists more than `maxDepth` levels deep (a scalar is
 * level 0, `{}` level 1), naming (the first levels of) the path that does; undefined otherwise.
 */
export function nestingDepthIssue(value: unknown, maxDepth: number): ValidationIssue | undefined {
  const stack: Array<{ value: unknown; depth: number; path: readonly PathSegment[] }> = [{ value, depth: 0, path: [] }]
  while (stack.length > 0) {
    const { value: current, depth, path } = stack.pop()!
    if (typeof current !== 'object' || current === null) continue
    if (depth + 1 > maxDepth) {
      return { path: formatPath(path), message: `nested more than ${maxDepth} levels deep (objects and lists): flatten it` }
    }
    // Only the first SHOWN_SEGMENTS segments are ever shown, so deeper paths are not built.
    const child = (segment: PathSegment) => (path.length < SHOWN_SEGMENTS ? [...path, segment] : path)
    if (Array.isArray(current)) current.forEach((item, index) => stack.push({ value: item, depth: depth + 1, path: child(index) }))
    else for (const [key, item] of Object.entries(current)) stack.push({ value: item, depth: depth + 1, path: child(key) })
  }
  return undefined
}
