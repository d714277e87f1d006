/**
 * Resource quantities, parsed exactly as Bacalhau does (upstream pkg/models/resource.go):
 * - the string is first lower-cased and stripped of spaces and newlines (ResourcesConfig.Normalize);
 * - CPU follows github.com/BTBurke/k8sresource: `<int>m` is millicores, anything else is a
 *   decimal number of cores; the result is truncated to whole millicores ("0.0005" -> 0);
 * - Memory and Disk follow github.com/dustin/go-humanize ParseBytes: a number (digits, `.` and
 *   thousands `,`) then an optional unit. Units WITHOUT `i` are decimal and WITH `i` binary, and
 *   the trailing `b` is optional: "512Mb" = "512mb" = "512m" = 512 * 10^6 bytes, "1Gi" = "1gib"
 *   = 2^30 bytes, "1.5GB" = 1.5 * 10^9. Exponents ("1e3") and negative numbers are rejected;
 *   fractional bytes are truncated;
 * - GPU is a non-negative integer count.
 */
import { ValidationError } from './errors.ts'
import type { ValidationIssue } from './errors.ts'
import type { Resources, ResourcesConfig } from './types.ts'

/** Decimal (`k`, `m`, `g`...) and binary (`ki`, `mi`, `gi`...) byte units, optional `b` suffix. */
const BYTE_UNITS: Readonly<Record<string, number>> = (() => {
  const units: Record<string, number> = { '': 1, b: 1 }
  const prefixes = ['k', 'm', 'g', 't', 'p', 'e']
  prefixes.forEach((prefix, index) => {
    const power = index + 1
    units[prefix] = units[`${prefix}b`] = 1000 ** power
    units[`${prefix}i`] = units[`${prefix}ib`] = 1024 ** power
  })
  return Object.freeze(units)
})()

/** Bacalhau's ResourcesConfig.Normalize: lower case, no spaces or newlines. */
export const normalizeQuantity = (text: string): string => text.toLowerCase().replace(/[ \n]/g, '')

const MILLICORES = /^[+-]?\d+m$/
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/

/** CPU cores of a quantity ("500m" = 0.5, "0.5", "2", "1.5"), or undefined when unparseable. */
export function tryParseCpu(text: string): number | undefined {
  const value = normalizeQuantity(text)
  if (MILLICORES.test(value)) return Number.parseInt(value.slice(0, -1), 10) / 1000
  if (!DECIMAL.test(value)) return undefined
  const cores = Number(value)
  if (!Number.isFinite(cores)) return undefined
  return Math.trunc(cores * 1000) / 1000
}

/** Bytes of a quantity ("512Mb" = 512e6, "1Gi" = 2^30, "1.5GB", "100"), or undefined. */
export function tryParseBytes(text: string): number | undefined {
  const value = normalizeQuantity(text)
  const match = /^([0-9.,]*)(.*)$/.exec(value)
  if (!match) return undefined
  const digits = match[1].replaceAll(',', '')
  if (!/^(\d+\.?\d*|\.\d+)$/.test(digits)) return undefined
  const unit = BYTE_UNITS[match[2].trim()]
  if (unit === undefined) return undefined
  const bytes = Number(digits) * unit
  return Number.isFinite(bytes) && bytes < 2 ** 64 ? Math.trunc(bytes) : undefined
}

/** GPU count of a quantity ("1"), or undefined. */
export function tryParseGpu(text: string): number | undefined {
  const value = normalizeQuantity(text)
  return /^\d+$/.test(value) ? Number(value) : undefined
}

const CPU_HINT = 'use cores ("0.5", "2") or millicores ("500m")'
const BYTES_HINT = 'use a number with an optional unit ("512Mb", "1Gi", "1.5GB", "100")'
const GPU_HINT = 'use a whole number of GPUs ("1")'

/** CPU cores of a quantity; throws ValidationError when it is not one. */
export function parseCpu(text: string): number {
  const cores = tryParseCpu(text)
  if (cores === undefined) throw new ValidationError([{ path: '', message: `invalid CPU quantity ${JSON.stringify(text)}: ${CPU_HINT}` }])
  return cores
}

/** Bytes of a quantity; throws ValidationError when it is not one. */
export function parseBytes(text: string): number {
  const bytes = tryParseBytes(text)
  if (bytes === undefined) throw new ValidationError([{ path: '', message: `invalid byte quantity ${JSON.stringify(text)}: ${BYTES_HINT}` }])
  return bytes
}

/** The problems of a ResourcesConfig, with paths relative to it (`CPU`, `Memory`, ...). */
export function resourcesIssues(config: ResourcesConfig): ValidationIssue[] {
  const issues: ValidationIssue[] = []
  const check = (field: keyof ResourcesConfig, parse: (t: string) => number | undefined, what: string, hint: string): void => {
    const text = config[field]
    if (text === undefined || text === '') return
    const value = parse(text)
    if (value === undefined) issues.push({ path: field, message: `invalid ${what} quantity ${JSON.stringify(text)}: ${hint}` })
    else if (value < 0) issues.push({ path: field, message: `${what} must not be negative (have: ${text})` })
  }
  check('CPU', tryParseCpu, 'CPU', CPU_HINT)
  check('Memory', tryParseBytes, 'memory', BYTES_HINT)
  check('Disk', tryParseBytes, 'disk', BYTES_HINT)
  check('GPU', tryParseGpu, 'GPU', GPU_HINT)
  return issues
}

/** Resources as numbers (absent or empty fields are 0); throws ValidationError naming bad fields. */
export function parseResources(config: ResourcesConfig): Resources {
  const issues = resourcesIssues(config)
  if (issues.length > 0) throw new ValidationError(issues)
  const get = (text: string | undefined, parse: (t: string) => number | undefined): number =>
    text === undefined || text === '' ? 0 : (parse(text) ?? 0)
  return {
    CPU: get(config.CPU, tryParseCpu),
    Memory: get(config.Memory, tryParseBytes),
    Disk: get(config.Disk, tryParseBytes),
    GPU: get(config.GPU, tryParseGpu),
  }
}

/**
 * Bytes for people, as Bacalhau prints them (go-humanize Bytes: SI units, two significant
 * digits): 5 -> "5 B", 1000 -> "1.0 kB", 512e6 -> "512 MB", 2e9 -> "2.0 GB".
 */
export function formatBytes(bytes: number): string {
  const value = Math.max(0, Math.trunc(bytes))
  if (value < 10) return `${value} B`
  const sizes = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB']
  let exponent = 0
  while (exponent < sizes.length - 1 && value >= 1000 ** (exponent + 1)) exponent++
  const rounded = Math.floor((value / 1000 ** exponent) * 10 + 0.5) / 10
  const decimals = Math.max(0, 2 - String(Math.trunc(rounded)).length)
  return `${rounded.toFixed(decimals)} ${sizes[exponent]}`
}

const BINARY_UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const

/**
 * Bytes for a progress message, in binary units: `512 B`, `12.5 MiB`, `512 MiB`, `2.0 GiB`
 * (one decimal below 100 of a unit, so a growing number does not jump in width).
 */
export function formatBinaryBytes(bytes: number): string {
  const value = Math.max(0, Math.trunc(Number.isFinite(bytes) ? bytes : 0))
  if (value < 1024) return `${value} B`
  let scaled = value / 1024
  let unit = 0
  while (scaled >= 1024 && unit < BINARY_UNITS.length - 1) {
    scaled /= 1024
    unit++
  }
  // Floored: a figure never shows more than has arrived (1.99 GiB of 2 GiB is "1.9 GiB").
  const shown = scaled >= 100 ? Math.floor(scaled).toString() : (Math.floor(scaled * 10) / 10).toFixed(1)
  return `${shown} ${BINARY_UNITS[unit]}`
}

/** Resources for people, as Bacalhau's Resources.String: `{CPU: 0.50, Memory: 512 MB, Disk: 0 B, GPU: 0}`. */
export function formatResources(resources: Resources): string {
  return `{CPU: ${resources.CPU.toFixed(2)}, Memory: ${formatBytes(resources.Memory)}, Disk: ${formatBytes(resources.Disk)}, GPU: ${resources.GPU}}`
}
