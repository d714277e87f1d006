// A real `shoal serve --compute` keeps job data on disk: a URL input streams into
// <data dir>/volumes/<execution> (seen there while the download is held half-way), a `local`
// input is mounted in place, the job reads both, and the execution's directory is gone after.
import { createServer, type Server } from 'node:http'
import { mkdir, readdir, readFile, realpath, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  inlineWasmJob,
  killAllShoals,
  removeTempDirs,
  runShoal,
  startCompute,
  startRequester,
  tempDir,
  waitForComputeNodes,
  waitForJobState,
  waitUntil,
  wasmFixture,
  type ComputeProcess,
  type RequesterProcess,
} from '../support/index.ts'

const HALF = 1024 * 1024
let requester: RequesterProcess
let compute: ComputeProcess
let server: Server
let serverUrl: string
let allowed: string
/** Resolves the held second half of the download. */
let release: () => void = () => {}

/** The files below `dir` with their sizes (none when it does not exist). */
async function filesBelow(dir: string): Promise<{ path: string; size: number }[]> {
  const names = await readdir(dir, { recursive: true }).catch(() => [] as string[])
  const files: { path: string; size: number }[] = []
  for (const name of names) {
    const info = await stat(join(dir, name)).catch(() => undefined)
    if (info?.isFile()) files.push({ path: name, size: info.size })
  }
  return files
}

beforeAll(async () => {
  allowed = await realpath(await tempDir('shoal-data-plane-'))
  await mkdir(join(allowed, 'dataset'))
  await writeFile(join(allowed, 'dataset', 'local.txt'), 'from the local path\n')
  const held = new Promise<void>((resolve) => (release = resolve))
  // Loopback only: the first half at once, the second once the test has seen the first on disk.
  server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(2 * HALF) })
    response.write(Buffer.alloc(HALF, 'a'))
    void held.then(() => response.end(Buffer.alloc(HALF, 'b')))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  serverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/remote.txt`
  requester = await startRequester()
  compute = await startCompute(requester.wsMultiaddr, {
    allowListedLocalPaths: [`${allowed}:ro`],
    args: ['--allow-url-hosts', '127.0.0.1', '--disk-budget', '64Mi'],
  })
  await waitForComputeNodes(requester.client, 1, { nodeIds: [compute.nodeId] })
})

afterAll(async () => {
  release()
  await compute?.process.stop()
  await requester?.process.stop()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  await killAllShoals()
  await removeTempDirs()
})

describe('job data on a Node compute node', () => {
  it('advertises its disk budget, streams a URL input to its data dir, mounts a local input in place, and deletes the execution data after', async () => {
    const { Nodes } = await requester.client.listNodes()
    const node = Nodes.find((n) => n.Info.NodeID === compute.nodeId)!
    expect(node.Info.ComputeNodeInfo?.MaxCapacity.Disk).toBe(64 * 1024 * 1024)

    const job = inlineWasmJob(wasmFixture('cat'), { args: ['/inputs/local/local.txt', '/inputs/url/remote.txt'] }) as { Tasks: { InputSources: unknown[]; Resources?: unknown }[] }
    job.Tasks[0].InputSources.push({ Target: '/inputs/local', Source: { Type: 'local', Params: { SourcePath: join(allowed, 'dataset') } } })
    job.Tasks[0].InputSources.push({ Target: '/inputs/url', Source: { Type: 'urlDownload', Params: { URL: serverUrl } } })
    // Nodes used to advertise 0 disk, so a job asking for disk failed at once.
    job.Tasks[0].Resources = { CPU: '500m', Memory: '256Mb', Disk: '32Mb' }
    const { JobID } = await requester.client.putJob(job)

    // Half-way through the download, its bytes are on disk in the execution's directory.
    const volumes = join(compute.dataDir, 'compute', 'volumes')
    const partial = await waitUntil(async () => {
      const { Job: current } = await requester.client.getJob(JobID)
      // Fail with the job's reason rather than wait out the bound.
      if (['Failed', 'Stopped', 'Completed'].includes(current.State?.StateType ?? '')) throw new Error(`job ended early: ${JSON.stringify(current.State)}`)
      return (await filesBelow(volumes)).find((f) => f.path.endsWith('remote.txt') && f.size >= HALF)
    }, {
      what: `the first MiB of the download in ${volumes}`,
      timeoutMs: 30_000,
    })
    expect(partial.path).toMatch(/^e-[^/]+\/input-\d+\/remote\.txt$/)
    release()

    const done = await waitForJobState(requester.client, JobID, { timeoutMs: 60_000 })
    expect(done.State?.StateType, JSON.stringify(done.State)).toBe('Completed')
    // The execution's directory is gone once it ended.
    expect(await readdir(volumes)).toEqual([])
    // The local input was not copied anywhere in the data dir.
    expect((await filesBelow(compute.dataDir)).some((f) => f.path.endsWith('local.txt'))).toBe(false)

    const out = await tempDir('shoal-data-plane-get-')
    const get = await runShoal(['job', 'get', JobID, '--output-dir', join(out, 'r')], { env: requester.env })
    expect(get.code, get.stderr).toBe(0)
    const stdout = await readFile(join(out, 'r', 'stdout'), 'utf8')
    expect(stdout).toBe('from the local path\n' + 'a'.repeat(HALF) + 'b'.repeat(HALF))
  })
})
