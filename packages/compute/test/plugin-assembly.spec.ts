import { describe, expect, it } from 'vitest'
import type { Engine, PluginEntry, Publisher } from '@shoal/interface'
import { pluginTypeProblems, ValidationError } from '@shoal/models'
import { assemblePlugins, checkPlugins, formatPluginStatus, InlineStorage, NoopEngine, NoopPublisher, pluginsOff } from '../src/index.ts'

/** An engine of another type (the noop engine's behaviour is irrelevant here). */
const engineOf = (type: string): Engine => Object.assign(new NoopEngine(), { type })

function catalogue(made: string[]): PluginEntry[] {
  return [
    { kind: 'engine', type: 'wasm', create: () => (made.push('wasm'), engineOf('wasm')) },
    { kind: 'engine', type: 'noop', create: () => (made.push('noop'), new NoopEngine()) },
    {
      kind: 'engine',
      type: 'docker',
      check: async () => ({ available: false, reason: 'dockerd does not answer at /var/run/docker.sock: connect ENOENT' }),
      create: () => (made.push('docker'), engineOf('docker')),
    },
    { kind: 'storage', type: 'inline', create: () => (made.push('inline'), new InlineStorage()) },
    {
      kind: 'storage',
      type: 'local',
      check: async () => ({ available: false, reason: 'no allowed paths configured (compute.allow-listed-local-paths)' }),
      create: () => (made.push('local'), new InlineStorage()),
    },
    {
      kind: 'publisher',
      type: 's3',
      check: async () => {
        throw new Error('no AWS credentials found (env, profile)')
      },
      create: () => (made.push('s3'), { type: 's3', publish: async () => ({ Type: 's3', Params: {} }) } satisfies Publisher),
    },
    { kind: 'publisher', type: 'noop', create: () => (made.push('noop publisher'), new NoopPublisher()) },
  ]
}

describe('assemblePlugins', () => {
  it('makes the available plug-ins and reports the unavailable ones with their reasons, making none of them', async () => {
    const made: string[] = []
    const assembled = await assemblePlugins(catalogue(made))
    expect(assembled.engines.map((e) => e.type)).toEqual(['wasm', 'noop'])
    expect(assembled.storages.map((s) => s.type)).toEqual(['inline'])
    expect(assembled.publishers.map((p) => p.type)).toEqual(['noop'])
    expect(made).toEqual(['wasm', 'noop', 'inline', 'noop publisher'])
    expect(assembled.statuses.filter((s) => !s.on).map(formatPluginStatus)).toEqual([
      'docker: off — dockerd does not answer at /var/run/docker.sock: connect ENOENT',
      'local: off — no allowed paths configured (compute.allow-listed-local-paths)',
      's3: off — no AWS credentials found (env, profile)',
    ])
  })

  it('leaves out what the configuration disables (any case), without checking it, naming the setting', async () => {
    const made: string[] = []
    let checked = false
    const entries = catalogue(made).map((entry) => (entry.type === 'docker' ? { ...entry, check: async () => ((checked = true), { available: true as const }) } : entry))
    const assembled = await assemblePlugins(entries, {
      disabled: { engine: ['WASM', 'docker'], publisher: ['noop'] },
      settingNames: { engine: 'compute.disabled-engines', publisher: 'compute.disabled-publishers' },
    })
    expect(checked).toBe(false)
    expect(assembled.engines.map((e) => e.type)).toEqual(['noop'])
    expect(assembled.publishers).toEqual([])
    expect(pluginsOff(assembled.statuses)).toEqual([
      { Kind: 'engine', Type: 'wasm', Reason: 'disabled by configuration (compute.disabled-engines)' },
      { Kind: 'engine', Type: 'docker', Reason: 'disabled by configuration (compute.disabled-engines)' },
      { Kind: 'storage', Type: 'local', Reason: 'no allowed paths configured (compute.allow-listed-local-paths)' },
      { Kind: 'publisher', Type: 's3', Reason: 'no AWS credentials found (env, profile)' },
      { Kind: 'publisher', Type: 'noop', Reason: 'disabled by configuration (compute.disabled-publishers)' },
    ])
  })

  it('a quick listing (probe: false) skips the checks that probe the machine, naming what they would look at', async () => {
    let probed = false
    const statuses = await checkPlugins(
      [
        { kind: 'engine', type: 'docker', probe: 'dockerd at /var/run/docker.sock', check: async () => ((probed = true), { available: true as const }), create: () => engineOf('docker') },
        { kind: 'storage', type: 'local', check: async () => ({ available: false, reason: 'no allowed paths configured' }), create: () => new InlineStorage() },
      ],
      { probe: false },
    )
    expect(probed).toBe(false)
    expect(statuses.map(formatPluginStatus)).toEqual(['docker: on if available (not checked: dockerd at /var/run/docker.sock)', 'local: off — no allowed paths configured'])
  })

  it('disables `local` by its deprecated name localDirectory', async () => {
    const statuses = await checkPlugins([{ kind: 'storage', type: 'local', create: () => new InlineStorage() }], { disabled: { storage: ['localDirectory'] } })
    expect(statuses).toEqual([{ kind: 'storage', type: 'local', on: false, reason: 'disabled by configuration' }])
  })

  it('refuses a disabled name that is no known type, naming the setting and the types to use', async () => {
    const error = await assemblePlugins(catalogue([]), { disabled: { engine: ['dokcer'] }, settingNames: { engine: 'compute.disabled-engines' } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).message).toBe('compute.disabled-engines: "dokcer" is not an engine type: use wasm, docker, noop')
    // A known upstream type this runtime does not have is fine to disable.
    expect(pluginTypeProblems('publisher', ['s3managed', 'IPFS'])).toEqual([])
  })

  it('reports a plug-in whose check never answers as off after the timeout, and one that fails to start', async () => {
    const assembled = await assemblePlugins(
      [
        { kind: 'engine', type: 'docker', check: () => new Promise(() => {}), create: () => engineOf('docker') },
        {
          kind: 'engine',
          type: 'wasm',
          create: () => {
            throw new Error('no worker script')
          },
        },
      ],
      { checkTimeoutMs: 20 },
    )
    expect(assembled.engines).toEqual([])
    expect(assembled.statuses.map(formatPluginStatus)).toEqual(['docker: off — its availability check gave no answer within 0.02 s', 'wasm: off — could not start: no worker script'])
  })
})
