/**
 * IPFS in a tab, against a real requester process: an independent Helia node in this process
 * (Helia's own importer, not Shoal's) adds two random files and connects to the requester; a tab
 * runs jobs that read them as `ipfs` inputs, publishes one result with the `ipfs` publisher and
 * a result larger than the old 4 MiB inline limit (a file the job copied from its input, see
 * fixtures/copy-file.wat) with the `local` publisher, and a small one inline. The tab is closed, then every result is fetched with `shoal job get`, and the ipfs ones
 * from the requester's gateway (`GET /ipfs/<cid>/stdout`). Prints one JSON line of findings.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import { unixfs } from '@helia/unixfs'
import { identify } from '@libp2p/identify'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import { createHeliaLight } from 'helia'
import wabtInit from 'wabt'
import { EXECUTION_STATES } from '@shoal/models'
import { openHeadlessTabs } from '../../../node-runner/src/browsers/index.ts'
import { startRequester, tempDir } from '../../support/index.ts'
import { ensureWebBuilt, fail, FIXTURES, hook, log, poll, report, shoal, shoalOk, watchTab } from './scenario-kit.ts'

/** An input of a few blocks (random, so no two chunks dedup into one block). */
const SMALL_BYTES = 300 * 1024
/** Larger than the 4 MiB a tab could publish inline before (random: gzip cannot shrink it). */
const LARGE_BYTES = 4 * 1024 * 1024 + 256 * 1024

interface ExecutionView {
  ID: string
  NodeID: string
  ComputeState: { StateType: string | number; Message?: string }
  PublishedResult?: { Type: string; Params?: Record<string, unknown> } | null
  RunOutput?: { ExitCode?: number; ErrorMsg?: string }
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

try {
  ensureWebBuilt()
  const work = await tempDir('shoal-tab-ipfs-')
  const wabt = await wabtInit()
  const copyFile = join(work, 'copy-file.wasm')
  const wat = wabt.parseWat('copy-file.wat', await readFile(new URL('../fixtures/copy-file.wat', import.meta.url), 'utf8'))
  await writeFile(copyFile, wat.toBinary({}).buffer)
  wat.destroy()
  // A loaded machine (2 cores shared) can take well over the default 20 s to start a requester.
  const requester = await startRequester({ dataDir: join(work, 'requester'), timeoutMs: 90_000 })
  const api = requester.apiUrl

  // The independent IPFS node: hermetic Helia with its own libp2p (WebSockets only), connected
  // to the requester as any IPFS peer would be; it never dials the tab.
  const outsider = withBitswap(
    withLibp2pLight(createHeliaLight({}), {
      addresses: { listen: [] },
      transports: [webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify() },
      connectionGater: { denyDialMultiaddr: () => false },
    }),
  )
  await outsider.start()
  const small = new Uint8Array(randomBytes(SMALL_BYTES))
  const large = new Uint8Array(randomBytes(LARGE_BYTES))
  const files = unixfs(outsider)
  const smallCid = (await files.addBytes(small)).toString()
  const largeCid = (await files.addBytes(large)).toString()
  const peers = (await (await fetch(`${api}/api/v1/shoal/peers`)).json()) as { PeerID: string; Multiaddrs: string[] }
  const ws = peers.Multiaddrs.find((m) => m.includes('/ws'))
  if (ws === undefined) throw new Error(`the requester advertises no WebSockets address: ${peers.Multiaddrs.join(', ')}`)
  await outsider.libp2p.dial(multiaddr(ws.includes('/p2p/') ? ws : `${ws}/p2p/${peers.PeerID}`))
  log(`outsider ${outsider.libp2p.peerId} added ${smallCid} and ${largeCid}, connected to the requester`)

  const tabs = await openHeadlessTabs({ url: api + '/contribute', count: 1, namespaceOk: false })
  const page = tabs.pages[0]
  watchTab(page, '0')
  try {
    const nodeId = await hook(page, (h) => h.nodeId())
    const cat = join(FIXTURES, 'cat.wasm')
    const submit = async (args: string[]) => (await shoalOk(api, ['wasm', 'run', '--no-wait', '--id-only', ...args])).trim().split('\n').at(-1)!
    const finished = (id: string) =>
      poll(
        `job ${id} to finish`,
        async () => {
          const view = JSON.parse(await shoalOk(api, ['job', 'describe', id, '--output', 'json'])) as { Job: { State: { StateType: string | number } }; Executions: { Items: ExecutionView[] } }
          return ['Completed', 'Failed', 'Stopped'].includes(String(view.Job.State.StateType)) ? view : undefined
        },
        { timeoutMs: 120_000, everyMs: 250 },
      )
    const summary = (view: Awaited<ReturnType<typeof finished>>) => ({
      state: String(view.Job.State.StateType),
      executions: view.Executions.Items.map((e) => ({
        node: e.NodeID,
        state: typeof e.ComputeState.StateType === 'number' ? EXECUTION_STATES[e.ComputeState.StateType] : e.ComputeState.StateType,
        message: e.ComputeState.Message ?? '',
        published: e.PublishedResult ?? null,
        exitCode: e.RunOutput?.ExitCode,
      })),
    })

    // 1. An ipfs input the tab has never seen, published with the `ipfs` publisher.
    const ipfsJob = await submit(['-i', `ipfs://${smallCid}:/inputs/data`, '-p', 'ipfs', cat, '--', '/inputs/data'])
    const ipfsView = summary(await finished(ipfsJob))
    log(`ipfs-published job ${ipfsJob}: ${JSON.stringify(ipfsView)}`)
    // 2. A result over 4 MiB with the `local` publisher (the default): a file, not stdout.
    const largeJob = await submit(['-i', `ipfs://${largeCid}:/inputs/data`, '-o', 'outputs:/outputs', copyFile])
    const largeView = summary(await finished(largeJob))
    log(`large local job ${largeJob}: ${JSON.stringify(largeView)}`)
    // 3. A small result with the `local` publisher: still inline.
    const smallJob = await submit([join(FIXTURES, 'hello.wasm')])
    const smallView = summary(await finished(smallJob))
    log(`small local job ${smallJob}: ${JSON.stringify(smallView)}`)

    // The tab goes away; what it published must not.
    await tabs.close()
    await outsider.stop()
    log('tab and outsider closed')

    const get = async (id: string, file = 'stdout') => {
      const dir = join(work, `get-${id}`)
      const result = await shoal(api, ['job', 'get', id, '--output-dir', dir])
      const bytes = result.code === 0 ? await readFile(join(dir, file)) : undefined
      return { code: result.code, stderr: result.stderr, sha: bytes ? sha256(bytes) : undefined, text: bytes && bytes.byteLength < 1024 ? bytes.toString() : undefined }
    }
    const gateway = async (cid: unknown, file = 'stdout') => {
      const response = await fetch(`${api}/ipfs/${String(cid)}/${file}`)
      const body = new Uint8Array(await response.arrayBuffer())
      return { status: response.status, sha: response.ok ? sha256(body) : undefined, bytes: body.byteLength }
    }
    const ipfsCid = ipfsView.executions.find((e) => e.published?.Type === 'ipfs')?.published?.Params?.CID
    const largeCidOut = largeView.executions.find((e) => e.published?.Type === 'ipfs')?.published?.Params?.CID
    report({
      nodeId,
      expected: { small: sha256(small), large: sha256(large) },
      ipfsJob: { ...ipfsView, get: await get(ipfsJob), gateway: await gateway(ipfsCid) },
      largeJob: { ...largeView, get: await get(largeJob, 'outputs/data'), gateway: await gateway(largeCidOut, 'outputs/data') },
      smallJob: { ...smallView, get: await get(smallJob) },
    })
  } finally {
    await tabs.close().catch(() => {})
    await outsider.stop().catch(() => {})
    await requester.process.stop()
    await rm(work, { recursive: true, force: true })
  }
} catch (err) {
  fail(err)
}
