/** The contribute page's plain modules, in Node: ordering, the tab publisher, the CPU share. */
import { describe, expect, it } from 'vitest'
import { extractTarGz } from '@shoal/compute'
import type { DirectoryNode, Engine, EngineRunRequest, EngineRunResult, Publisher } from '@shoal/interface'
import { memoryTree } from '@shoal/interface'
import { dialOrder, hasWebRTC, resolveRequesterAddresses } from '../../web/src/requester-addresses.ts'
import { TabResultPublisher } from '../../web/src/tab-result-publisher.ts'
import { WorkerShareEngine } from '../../web/src/worker-share.ts'
import { describeRequester, transportLabel } from '../../web/src/contribute-view.ts'
import { readPageConfig } from '../../web/src/page-config.ts'
import { assembleTabPlugins } from '../../web/src/tab-plugins.ts'
import type { TabHelia } from '../../web/src/tab-helia.ts'
import { formatPluginStatus, MemoryVolumeSpace } from '@shoal/compute'

const PEER = '12D3KooWSQbgY5hiCyuxUUD6FZhuyXuf2rbBpEnMkfx75PR5oFid'

describe('dialOrder', () => {
  it('tries WebRTC-direct first, then WebRTC, then WebSockets, and drops what a browser cannot dial', () => {
    const ws = `/ip4/127.0.0.1/tcp/4001/ws/p2p/${PEER}`
    const direct = `/ip4/127.0.0.1/udp/4001/webrtc-direct/certhash/uEi/p2p/${PEER}`
    const relayed = `/ip4/127.0.0.1/tcp/4001/ws/p2p/${PEER}/p2p-circuit/webrtc/p2p/${PEER}`
    const tcp = `/ip4/127.0.0.1/tcp/4002/p2p/${PEER}`
    expect(dialOrder([ws, tcp, relayed, direct])).toEqual([direct, relayed, ws])
  })

  it('keeps only WebSockets when the browser has no WebRTC', () => {
    const ws = `/ip4/127.0.0.1/tcp/4001/ws/p2p/${PEER}`
    const direct = `/ip4/127.0.0.1/udp/4001/webrtc-direct/certhash/uEi/p2p/${PEER}`
    const relayed = `/ip4/127.0.0.1/tcp/4001/ws/p2p/${PEER}/p2p-circuit/webrtc/p2p/${PEER}`
    expect(dialOrder([direct, relayed, ws], { webrtc: false })).toEqual([ws])
  })

  it('tells a browser without WebRTC that the requester has no WebSockets address', async () => {
    const direct = `/ip4/127.0.0.1/udp/4001/webrtc-direct/certhash/uEi/p2p/${PEER}`
    const fetchPeers = (async () => Response.json({ PeerID: PEER, Multiaddrs: [direct] })) as typeof fetch
    await expect(resolveRequesterAddresses('http://127.0.0.1:1234', { fetch: fetchPeers })).resolves.toEqual([direct])
    await expect(resolveRequesterAddresses('http://127.0.0.1:1234', { fetch: fetchPeers, webrtc: false })).rejects.toThrow(/WebRTC turned off.*no WebSockets address/)
  })

  it('dials libp2p first when the requester offers it, then its plain WebSocket; only the WebSocket when that is all it offers', async () => {
    const direct = `/ip4/127.0.0.1/udp/4001/webrtc-direct/certhash/uEi/p2p/${PEER}`
    const ws = `/ip4/127.0.0.1/tcp/4001/ws/p2p/${PEER}`
    const socket = { Type: 'websocket', URL: '/api/v1/shoal/compute' }
    const both = (async () => Response.json({ PeerID: PEER, Multiaddrs: [ws, direct], Transports: [{ Type: 'libp2p', Multiaddrs: [ws, direct] }, socket] })) as typeof fetch
    await expect(resolveRequesterAddresses('http://127.0.0.1:1234', { fetch: both })).resolves.toEqual([direct, ws, 'ws://127.0.0.1:1234/api/v1/shoal/compute'])
    await expect(resolveRequesterAddresses('https://shoal.example/', { fetch: both, webrtc: false })).resolves.toEqual([ws, 'wss://shoal.example/api/v1/shoal/compute'])
    const socketOnly = (async () => Response.json({ PeerID: '', Multiaddrs: [], Transports: [socket] })) as typeof fetch
    await expect(resolveRequesterAddresses('http://127.0.0.1:1234', { fetch: socketOnly })).resolves.toEqual(['ws://127.0.0.1:1234/api/v1/shoal/compute'])
    // A ws:// URL given to the page is dialed as it is.
    await expect(resolveRequesterAddresses('ws://10.0.0.5:1234/api/v1/shoal/compute')).resolves.toEqual(['ws://10.0.0.5:1234/api/v1/shoal/compute'])
  })
})

describe('hasWebRTC', () => {
  it('is true only where RTCPeerConnection is a constructor', () => {
    expect(hasWebRTC({ RTCPeerConnection: class {} })).toBe(true)
    expect(hasWebRTC({})).toBe(false)
  })
})

describe('TabResultPublisher', () => {
  const result: DirectoryNode = {
    kind: 'dir',
    entries: new Map([
      ['stdout', { kind: 'file', data: new TextEncoder().encode('hello\n') }],
      ['outputs', { kind: 'dir', entries: new Map([['result.txt', { kind: 'file', data: new TextEncoder().encode('42') }]]) }],
    ]),
  }
  const request = { executionId: 'e-1', nodeId: 'n-1', job: {} as never, spec: { Type: 'local', Params: {} }, result: memoryTree(result) }
  /** Stands in for the tab's ipfs publisher (the real one runs in the browser scenarios): records what it was given. */
  const recordingPublisher = () => {
    const seen: string[] = []
    const publisher: Publisher = {
      type: 'ipfs',
      async publish(req) {
        for await (const entry of req.result.entries()) seen.push(entry.path)
        return { Type: 'ipfs', Params: { CID: 'bafy-recorded' } }
      },
    }
    return { publisher, seen }
  }

  it('publishes a small result inline, so that `shoal job get` can fetch and unpack it after the tab is gone', async () => {
    const larger = recordingPublisher()
    const published = await new TabResultPublisher({ larger: larger.publisher }).publish(request)
    expect(published.Type).toBe('urlDownload')
    expect(larger.seen).toEqual([])
    const response = await fetch(String(published.Params?.URL))
    const tree = await extractTarGz(new Uint8Array(await response.arrayBuffer()))
    const stdout = tree.entries.get('stdout')
    const file = (tree.entries.get('outputs') as DirectoryNode | undefined)?.entries.get('result.txt')
    expect(stdout?.kind === 'file' && new TextDecoder().decode(stdout.data)).toBe('hello\n')
    expect(file?.kind === 'file' && new TextDecoder().decode(file.data)).toBe('42')
  })

  it('hands a result over its inline limit, whole, to the publisher for larger results (IPFS)', async () => {
    const larger = recordingPublisher()
    const published = await new TabResultPublisher({ maxInlineBytes: 10, larger: larger.publisher }).publish(request)
    expect(published).toEqual({ Type: 'ipfs', Params: { CID: 'bafy-recorded' } })
    expect(larger.seen).toEqual(['outputs', 'outputs/result.txt', 'stdout'])
  })

  it('refuses a result over its limit when the tab has no IPFS node, saying where to run such a job instead', async () => {
    await expect(new TabResultPublisher({ maxInlineBytes: 10 }).publish(request)).rejects.toMatchObject({ code: 'PublishError', hint: expect.stringMatching(/node-runner compute node/) })
  })
})

describe('WorkerShareEngine', () => {
  function gatedEngine() {
    const started: string[] = []
    const gates = new Map<string, () => void>()
    const engine: Engine = {
      type: 'wasm',
      run: (request: EngineRunRequest) =>
        new Promise<EngineRunResult>((resolve) => {
          started.push(request.executionId)
          gates.set(request.executionId, () => resolve({ exitCode: 0, stdout: new Uint8Array(), stderr: new Uint8Array(), stdoutTruncated: false, stderrTruncated: false, outputs: new Map() }))
        }),
    }
    return { engine, started, finish: (id: string) => gates.get(id)!() }
  }
  const run = (engine: Engine, id: string, signal?: AbortSignal) => engine.run({ executionId: id } as EngineRunRequest, { signal })
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0))

  it('runs at most `workers` jobs at once and starts waiting ones as others end', async () => {
    const inner = gatedEngine()
    const share = new WorkerShareEngine(inner.engine, 1)
    const first = run(share, 'a')
    const second = run(share, 'b')
    await settle()
    expect(inner.started).toEqual(['a'])
    inner.finish('a')
    await first
    await settle()
    expect(inner.started).toEqual(['a', 'b'])
    inner.finish('b')
    await second
  })

  it('starts waiting jobs when the share grows', async () => {
    const inner = gatedEngine()
    const share = new WorkerShareEngine(inner.engine, 1)
    void run(share, 'a')
    void run(share, 'b')
    await settle()
    share.setWorkers(2)
    await settle()
    expect(inner.started).toEqual(['a', 'b'])
  })

  it('drops a waiting job that is cancelled', async () => {
    const inner = gatedEngine()
    const share = new WorkerShareEngine(inner.engine, 1)
    void run(share, 'a')
    const controller = new AbortController()
    const waiting = run(share, 'b', controller.signal)
    controller.abort()
    await expect(waiting).rejects.toMatchObject({ code: 'Aborted' })
    inner.finish('a')
    await settle()
    expect(inner.started).toEqual(['a'])
  })

  it('mounts the volume kinds its engine mounts, so OPFS inputs are not staged into memory', () => {
    const inner = gatedEngine()
    expect(new WorkerShareEngine({ ...inner.engine, mounts: ['memory', 'opfs'] }, 1).mounts).toEqual(['memory', 'opfs'])
  })
})

describe('page text', () => {
  it('names the transport, marking WebSockets as a fallback', () => {
    expect(transportLabel('webrtc-direct')).toEqual({ text: 'WebRTC-direct', kind: 'webrtc' })
    expect(transportLabel('websockets')).toEqual({ text: 'WebSockets (fallback)', kind: 'fallback' })
  })

  it('shows the requester as host:port and a short peer ID', () => {
    expect(describeRequester(`/ip4/127.0.0.1/udp/43329/webrtc-direct/certhash/uEi/p2p/${PEER}`)).toBe('127.0.0.1:43329 · peer 12D3Ko…oFid')
  })
})

describe('readPageConfig', () => {
  const location = (href: string) => new URL(href) as unknown as Location
  const navigator = { hardwareConcurrency: 8 } as Navigator

  it('uses the page origin as the requester, half the cores, and the dev gater on loopback', () => {
    const config = readPageConfig(location('http://127.0.0.1:1234/'), navigator)
    expect(config).toMatchObject({ requester: 'http://127.0.0.1:1234', dev: true, workers: 4, maxWorkers: 8, iceServers: [], labels: {} })
  })

  it('reads ?requester, ?workers, ?ice and ?label, and keeps runtime=browser', () => {
    const config = readPageConfig(location(`https://shoal.example/?requester=/dns4/r.example/udp/4001/webrtc-direct/p2p/${PEER}&workers=99&ice=stun:stun.example:3478&label=region=eu&label=runtime=node`), navigator)
    expect(config).toMatchObject({ dev: false, workers: 8, iceServers: [{ urls: 'stun:stun.example:3478' }], labels: { region: 'eu' } })
  })

  it('reads the OPFS budget from ?disk in byte units, leaving the default when absent or not a size', () => {
    expect(readPageConfig(location('http://127.0.0.1:1234/?disk=2Gi'), navigator).diskBytes).toBe(2 * 1024 ** 3)
    expect(readPageConfig(location('http://127.0.0.1:1234/?disk=500MB'), navigator).diskBytes).toBe(500_000_000)
    expect(readPageConfig(location('http://127.0.0.1:1234/'), navigator).diskBytes).toBeUndefined()
    expect(readPageConfig(location('http://127.0.0.1:1234/?disk=lots'), navigator).diskBytes).toBeUndefined()
  })

  it('reads the plug-in types to turn off from ?disabled-engines, ?disabled-input-sources, ?disabled-publishers (comma-separated or repeated)', () => {
    const config = readPageConfig(location('http://127.0.0.1:1234/?disabled-engines=noop&disabled-publishers=ipfs,%20noop&disabled-publishers=local'), navigator)
    expect(config.disabledPlugins).toEqual({ engine: ['noop'], storage: [], publisher: ['ipfs', 'noop', 'local'] })
  })
})

describe('assembleTabPlugins', () => {
  // The tab's Helia is only handed to the ipfs plug-ins' constructors here, never used: a stand-in will do.
  const helia = {} as TabHelia
  const components = {
    helia,
    workerUrl: new URL('http://127.0.0.1/worker.js'),
    maxWorkers: 2,
    workers: 1,
    opfs: false,
    space: new MemoryVolumeSpace(),
    // Never called: assembling makes the s3 publisher, only publishing asks for a grant.
    requestUploadGrant: () => Promise.reject(new Error('not asked in this test')),
  }

  it('offers every tab plug-in but those the page turned off, each of those off with the parameter that did it', async () => {
    const plugins = await assembleTabPlugins(components, { engine: ['wasm'], publisher: ['ipfs'] })
    expect(plugins.engines.map((e) => e.type)).toEqual(['noop'])
    expect(plugins.storages.map((s) => s.type)).toEqual(['inline', 'urlDownload', 'ipfs', 's3PreSigned'])
    expect(plugins.publishers.map((p) => p.type)).toEqual(['local', 'noop', 's3'])
    expect(plugins.share).toBeUndefined()
    expect(plugins.statuses.filter((s) => !s.on).map(formatPluginStatus)).toEqual([
      'wasm: off — disabled by configuration (?disabled-engines)',
      'ipfs: off — disabled by configuration (?disabled-publishers)',
    ])
  })

  it('refuses a type that does not exist, naming the parameter', async () => {
    await expect(assembleTabPlugins(components, { engine: ['wasn'] })).rejects.toThrow('?disabled-engines: "wasn" is not an engine type: use wasm, docker, noop')
  })
})
