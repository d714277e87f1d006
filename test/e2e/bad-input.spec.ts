// What a user sees when something is wrong: one clear line and a meaningful exit code.
import { writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, killAllShoals, removeTempDirs, runShoal, spawnShoal, startRequester, tempDir, wasmFixture, type RequesterProcess } from '../support/index.ts'

/** The lines of stderr that are not server log entries (those start with an ISO timestamp). */
const errorLines = (stderr: string) => stderr.split('\n').filter((line) => line.trim() !== '' && !/^\d{4}-\d\d-\d\dT/.test(line))

/** Occupies 127.0.0.1:port until closed. */
const occupy = (port: number) =>
  new Promise<Server>((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen({ port, host: '127.0.0.1' }, () => resolve(server))
  })

let requester: RequesterProcess

beforeAll(async () => {
  requester = await startRequester()
})

afterAll(async () => {
  await requester?.process.stop()
  await killAllShoals()
  await removeTempDirs()
})

describe('the CLI with no requester to talk to', () => {
  it('exits 3 with one line saying where it looked and how to start one', async () => {
    const port = await freePort()
    const env = { SHOAL_API_URL: `http://127.0.0.1:${port}` }
    for (const args of [['job', 'list'], ['wasm', 'run', wasmFixture('hello')]]) {
      const run = await runShoal(args, { env })
      expect(run.code, `shoal ${args.join(' ')}: ${run.stderr}`).toBe(3)
      expect(errorLines(run.stderr)).toEqual([`Error: cannot reach the Shoal requester at http://127.0.0.1:${port} — start one with \`npm start\` or \`shoal devstack\`, or point SHOAL_API_URL at yours`])
      expect(run.stdout).toBe('')
    }
  })
})

describe('the CLI with bad arguments', () => {
  it('says a job ID is unknown, for every verb that takes one', async () => {
    const id = 'j-00000000-0000-4000-8000-000000000000'
    for (const verb of ['describe', 'logs', 'executions', 'history', 'get', 'stop']) {
      const run = await runShoal(['job', verb, id], { env: requester.env })
      expect(run.code, `job ${verb}: ${run.stderr}`).toBe(1)
      expect(errorLines(run.stderr)).toEqual([`Error: job ${id} not found. List jobs with \`shoal job list\`.`])
    }
  })

  it('names a missing job spec or module file and submits nothing', async () => {
    const dir = await tempDir('shoal-missing-')
    const spec = await runShoal(['job', 'run', join(dir, 'job.yaml')], { env: requester.env })
    expect(spec.code).toBe(1)
    expect(errorLines(spec.stderr)).toEqual([`Error: cannot read ${join(dir, 'job.yaml')}: no such file. Check the path, or pass \`-\` to read the spec from stdin.`])

    const wasm = await runShoal(['wasm', 'run', join(dir, 'main.wasm')], { env: requester.env })
    expect(wasm.code).toBe(1)
    expect(wasm.stderr).toContain(`MODULE: cannot read ${join(dir, 'main.wasm')}: no such file`)

    const { Items } = await requester.client.listJobs()
    expect(Items).toEqual([])
  })
})

describe('shoal serve with a bad environment', () => {
  it('refuses a REST API port already in use, in one line, and exits', async () => {
    const port = await freePort({ span: 2, udp: true })
    const server = await occupy(port)
    try {
      const run = await runShoal(['serve', '--orchestrator', '--port', String(port), '--data-dir', await tempDir()], { timeoutMs: 20_000 })
      expect(run.code).toBe(1)
      expect(errorLines(run.stderr)).toEqual([`Error: the REST API port ${port} on 127.0.0.1 is already in use. Stop what uses it, or choose another --port.`])
    } finally {
      server.close()
    }
  })

  it('refuses a compute-protocol (libp2p) port already in use, in one line, and exits', async () => {
    const port = await freePort({ span: 2, udp: true })
    const server = await occupy(port + 1)
    try {
      const run = await runShoal(['serve', '--orchestrator', '--port', String(port), '--data-dir', await tempDir()], { timeoutMs: 20_000 })
      expect(run.code).toBe(1)
      expect(errorLines(run.stderr)).toEqual([`Error: the compute-protocol port ${port + 1} on 127.0.0.1 is already in use. Stop what uses it, or choose another --peer-port (it defaults to --port + 1).`])
    } finally {
      server.close()
    }
  })

  it('refuses a data dir that cannot be created, naming it', async () => {
    const file = join(await tempDir(), 'a-file')
    await writeFile(file, 'not a directory')
    const dataDir = join(file, 'data')
    const port = await freePort({ span: 2, udp: true })
    for (const role of ['--orchestrator', '--compute']) {
      const args = ['serve', role, '--port', String(port), '--data-dir', dataDir, ...(role === '--compute' ? ['--requester', requester.wsMultiaddr] : [])]
      const run = await runShoal(args, { timeoutMs: 20_000 })
      expect(run.code, `${role}: ${run.stderr}`).toBe(1)
      const lines = errorLines(run.stderr)
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(new RegExp(`^Error: data dir ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/compute)? is not writable \\(ENOTDIR\\)`))
      expect(lines[0]).toContain('--data-dir')
    }
  })

  it('keeps a compute node whose requester is not there retrying, and stops it cleanly on SIGTERM', async () => {
    // A real requester's peer ID on a port where nothing listens.
    const port = await freePort()
    const address = requester.wsMultiaddr.replace(/\/tcp\/\d+\//, `/tcp/${port}/`)
    const compute = spawnShoal(['serve', '--compute', '--requester', address, '--data-dir', await tempDir(), '--capacity-cpu', '1'])
    await compute.waitForLine(/Shoal compute node n-\S+ started, dialing/)
    await compute.waitForLine(new RegExp(`could not connect to requester ${address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(attempt 1\\)`), 15_000, 'stderr')
    await compute.waitForLine(/could not connect to requester \S+ \(attempt 2\)/, 15_000, 'stderr')
    expect(compute.running).toBe(true)

    const exit = await compute.stop('SIGTERM', 10_000)
    expect(exit, compute.describeOutput()).toEqual({ code: 0, signal: null })
    expect(compute.stderr).not.toMatch(/^\s+at /m)
  })
})
