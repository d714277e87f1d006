/**
 * Assembling a compute node's plug-ins from configuration: each runtime lists the engines, input
 * sources and publishers it knows (PluginEntry) in one place; this turns the list and the
 * operator's settings into the plug-ins to offer and a report of what is off and why.
 */
import type { AbortOptions, Engine, PluginEntry, PluginKind, PluginOfKind, PluginStatus, Publisher, StorageProvider } from '@shoal/interface'
import { pluginTypeProblems, ValidationError, type PluginOff } from '@shoal/models'

/** The plug-in kinds, in the order reports list them. */
export const PLUGIN_KINDS: readonly PluginKind[] = ['engine', 'storage', 'publisher']

/** Which plug-ins the operator turned off. */
export interface PluginSelection {
  /**
   * Types turned off, by kind (upstream's Engines.Disabled, InputSources.Disabled,
   * Publishers.Disabled), matched ignoring case; they are never checked nor made.
   */
  disabled?: Partial<Record<PluginKind, readonly string[]>>
  /** The setting each kind's list comes from, named in messages (e.g. `compute.disabled-engines`). */
  settingNames?: Partial<Record<PluginKind, string>>
}

/** Options of assemblePlugins and checkPlugins. */
export interface AssemblePluginsOptions extends PluginSelection, AbortOptions {
  /** Longest an availability check may take; past it the plug-in is off (default 10 s). */
  checkTimeoutMs?: number
  /**
   * checkPlugins only: run the checks that probe the machine (default true). When false, an
   * entry with a `probe` is listed on and `unchecked`, naming what would be checked.
   */
  probe?: boolean
}

/** The plug-ins to offer, and what became of every entry. */
export interface AssembledPlugins {
  engines: Engine[]
  storages: StorageProvider[]
  publishers: Publisher[]
  /** Every entry in the order listed: on, or off with the reason. */
  statuses: PluginStatus[]
}

const DEFAULT_CHECK_TIMEOUT_MS = 10_000

function checkSelection(entries: readonly PluginEntry[], selection: PluginSelection): void {
  const seen = new Set<string>()
  for (const entry of entries) {
    const key = `${entry.kind}:${entry.type.toLowerCase()}`
    if (seen.has(key)) throw new Error(`plug-in ${entry.kind} ${entry.type} is listed twice`)
    seen.add(key)
  }
  const issues = PLUGIN_KINDS.flatMap((kind) =>
    pluginTypeProblems(kind, selection.disabled?.[kind] ?? []).map((message) => ({ path: selection.settingNames?.[kind] ?? `disabled.${kind}`, message })),
  )
  if (issues.length > 0) throw new ValidationError(issues, { hint: 'Name the types to turn off, comma-separated; `shoal config list` shows what the node knows.' })
}

function isDisabled(entry: PluginEntry, selection: PluginSelection): boolean {
  const folded = entry.type.toLowerCase()
  // `localDirectory` is the deprecated name of `local`: disabling either turns `local` off.
  const names = (selection.disabled?.[entry.kind] ?? []).map((name) => (name.toLowerCase() === 'localdirectory' ? 'local' : name.toLowerCase()))
  return names.includes(folded)
}

function disabledReason(kind: PluginKind, selection: PluginSelection): string {
  const setting = selection.settingNames?.[kind]
  return `disabled by configuration${setting ? ` (${setting})` : ''}`
}

async function availabilityOf(entry: PluginEntry, options: AssemblePluginsOptions): Promise<PluginStatus> {
  const base = { kind: entry.kind, type: entry.type }
  if (!entry.check) return { ...base, on: true }
  if (entry.probe !== undefined && options.probe === false) return { ...base, on: true, unchecked: entry.probe }
  const timeoutMs = options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`its availability check gave no answer within ${timeoutMs / 1000} s`)), timeoutMs)
  })
  try {
    const answer = await Promise.race([entry.check({ signal: options.signal }), late])
    return answer.available ? { ...base, on: true } : { ...base, on: false, reason: answer.reason }
  } catch (error) {
    options.signal?.throwIfAborted()
    return { ...base, on: false, reason: error instanceof Error ? error.message : String(error) }
  } finally {
    clearTimeout(timer)
  }
}

/**
 * What each entry would be, without making any: off when disabled by `options.disabled` (and then
 * not checked), else its availability check's answer. Checks run at once; throws
 * ValidationError for a disabled name that is no known type.
 */
export async function checkPlugins(entries: readonly PluginEntry[], options: AssemblePluginsOptions = {}): Promise<PluginStatus[]> {
  checkSelection(entries, options)
  return Promise.all(
    entries.map((entry) =>
      isDisabled(entry, options) ? Promise.resolve({ kind: entry.kind, type: entry.type, on: false, reason: disabledReason(entry.kind, options) }) : availabilityOf(entry, options),
    ),
  )
}

/**
 * Makes the enabled, available plug-ins of `entries`, in the order listed, and reports every
 * entry: on, or off with why (disabled by configuration, unavailable here, or failed to start).
 */
export async function assemblePlugins(entries: readonly PluginEntry[], options: AssemblePluginsOptions = {}): Promise<AssembledPlugins> {
  const statuses = await checkPlugins(entries, { ...options, probe: true })
  const assembled: AssembledPlugins = { engines: [], storages: [], publishers: [], statuses }
  for (const [index, entry] of entries.entries()) {
    if (!statuses[index].on) continue
    let plugin: PluginOfKind[PluginKind]
    try {
      plugin = await entry.create()
    } catch (error) {
      statuses[index] = { ...statuses[index], on: false, reason: `could not start: ${error instanceof Error ? error.message : String(error)}` }
      continue
    }
    if (entry.kind === 'engine') assembled.engines.push(plugin as Engine)
    else if (entry.kind === 'storage') assembled.storages.push(plugin as StorageProvider)
    else assembled.publishers.push(plugin as Publisher)
  }
  return assembled
}

/** The plug-ins that are off, as a compute node advertises them (ComputeNodeInfo.PluginsOff). */
export function pluginsOff(statuses: readonly PluginStatus[]): PluginOff[] {
  return statuses.filter((status) => !status.on).map((status) => ({ Kind: status.kind, Type: status.type, Reason: status.reason ?? 'off' }))
}

/** One status as a line: `docker: on`, `s3: off — no AWS credentials found (env, profile)`. */
export function formatPluginStatus(status: PluginStatus): string {
  return `${status.type}: ${formatPluginState(status)}`
}

/** A status's state: `on`, `off — <reason>`, or `on if <probe> answers (not checked)`. */
export function formatPluginState(status: PluginStatus): string {
  if (!status.on) return `off — ${status.reason ?? 'no reason given'}`
  return status.unchecked === undefined ? 'on' : `on if available (not checked: ${status.unchecked})`
}
