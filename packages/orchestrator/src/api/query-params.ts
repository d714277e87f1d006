/** Typed reading of query parameters; a malformed value is a 400 that names the parameter. */
import { BadRequestError } from '@shoal/models'

/** Largest page a list endpoint returns, whatever `limit` asks for. */
export const MAX_PAGE_SIZE = 1000

/** A string parameter, or undefined when absent or empty. */
export function queryString(url: URL, name: string): string | undefined {
  const value = url.searchParams.get(name)
  return value === null || value === '' ? undefined : value
}

/** A boolean parameter: true/false/1/0 (or absent = `fallback`); a bare `?follow` counts as true. */
export function queryBoolean(url: URL, name: string, fallback = false): boolean {
  const value = url.searchParams.get(name)
  if (value === null) return fallback
  switch (value.toLowerCase()) {
    case '':
    case 'true':
    case '1':
      return true
    case 'false':
    case '0':
      return false
    default:
      throw new BadRequestError(`query parameter ${name}=${JSON.stringify(value)} is not a boolean`, {
        hint: `use ${name}=true or ${name}=false`,
      })
  }
}

/** A non-negative integer parameter, or undefined when absent. */
export function queryInteger(url: URL, name: string, options: { min?: number; max?: number } = {}): number | undefined {
  const value = queryString(url, name)
  if (value === undefined) return undefined
  const min = options.min ?? 0
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < min) {
    throw new BadRequestError(`query parameter ${name}=${JSON.stringify(value)} is not an integer >= ${min}`)
  }
  const n = Number(value)
  if (options.max !== undefined && n > options.max) {
    throw new BadRequestError(`query parameter ${name}=${n} is larger than ${options.max}`)
  }
  return n
}

/** `limit`: a page size from 1 to MAX_PAGE_SIZE (0 or absent = the store's default). */
export function queryLimit(url: URL): number | undefined {
  const limit = queryInteger(url, 'limit', { max: MAX_PAGE_SIZE })
  return limit === 0 ? undefined : limit
}

/** A parameter that must be one of `allowed` (case-sensitive), or undefined when absent. */
export function queryEnum<T extends string>(url: URL, name: string, allowed: readonly T[]): T | undefined {
  const value = queryString(url, name)
  if (value === undefined) return undefined
  if (!(allowed as readonly string[]).includes(value)) {
    throw new BadRequestError(`query parameter ${name}=${JSON.stringify(value)} is not one of ${allowed.join(', ')}`)
  }
  return value as T
}

/** The first present of several spellings of a parameter (Bacalhau mixes `-` and `_`). */
export function queryAlias(url: URL, names: string[]): string | undefined {
  for (const name of names) {
    const value = queryString(url, name)
    if (value !== undefined) return value
  }
  return undefined
}
