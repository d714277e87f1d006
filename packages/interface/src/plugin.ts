import type { AbortOptions } from './abort.ts'
import type { Engine } from './engine.ts'
import type { Publisher } from './publisher.ts'
import type { StorageProvider } from './storage.ts'

/** What a plug-in is to a compute node: an execution engine, an input source or a publisher. */
export type PluginKind = 'engine' | 'storage' | 'publisher'

/** The plug-in interface of each kind. */
export interface PluginOfKind {
  engine: Engine
  storage: StorageProvider
  publisher: Publisher
}

/** Whether a plug-in can be offered here, and if not, why (shown to the operator and the scheduler). */
export type PluginAvailability = { available: true } | { available: false; reason: string }

/**
 * One plug-in a runtime knows how to make, before it is made: its upstream type name, how to
 * tell whether it can work on this machine, and how to make it. A runtime lists its entries in
 * one place and hands them to the assembler with its configuration.
 */
export interface PluginEntry<K extends PluginKind = PluginKind> {
  readonly kind: K
  /** The type jobs name (upstream's names: wasm, docker, noop; inline, urlDownload, local, ipfs, s3…). */
  readonly type: string
  /**
   * Whether it can run here now (a daemon answers, credentials exist, something is configured).
   * Absent: always available. A rejection counts as unavailable, with its message as the reason.
   */
  check?(options?: AbortOptions): Promise<PluginAvailability>
  /**
   * What `check` looks at on this machine when that costs a probe (e.g. `dockerd at
   * /var/run/docker.sock`), so a quick listing can skip it and say what would be checked.
   * Absent: the check only reads configuration and always runs.
   */
  readonly probe?: string
  /** Makes the plug-in; called only when it is enabled and available. */
  create(): PluginOfKind[K] | Promise<PluginOfKind[K]>
}

/** What became of one plug-in entry: offered, or off with the reason. */
export interface PluginStatus {
  kind: PluginKind
  type: string
  on: boolean
  /** Why it is off: disabled by configuration, or unavailable here (e.g. dockerd unreachable). */
  reason?: string
  /** Listed without probing: on if this answers (the entry's `probe`), not checked now. */
  unchecked?: string
}
