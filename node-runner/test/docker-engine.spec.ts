// The docker engine against the machine's real dockerd (.ci/run starts one), with the node's
// disk space for inputs and outputs and the busybox image the tests import locally (no registry,
// nothing is pulled): env and workdir, exit codes, read-only inputs, outputs read from disk,
// network none, the memory limit, timeouts and cancels that leave no container behind.
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readTreeIntoMemory, type DirectoryNode, type EngineRunRequest, type FileTreeNode, type LogChunk, type PreparedInput } from '@shoal/interface'
import { UrlHostPolicy } from '@shoal/compute'
import { normalizeJob, TimeoutError, type Job, type Task } from '@shoal/models'
import { DockerEngine, LABEL_EXECUTION, LABEL_NODE } from '../src/engine/docker/docker-engine.ts'
import { HostVolumeSpace } from '../src/storage/host-volume-space.ts'
import { containersLabelled, dockerCli, ensureTestImage } from '../../test/support/docker-image.ts'

let root: string
let space: HostVolumeSpace
let image: string
let engine: DockerEngine
let nextId = 1
const decoder = new TextDecoder()
const NODE_ID = `docker-engine-spec-${process.pid}`

beforeAll(async () => {
  image = await ensureTestImage()
  root = await realpath(await mkdtemp(join(tmpdir(), 'shoal-docker-')))
  space = await HostVolumeSpace.open({ directory: join(root, 'volumes'), totalBytes: 256 * 1024 * 1024 })
  engine = new DockerEngine({ nodeId: NODE_ID, pull: 'never' })
  expect(await engine.isInstalled()).toBe(true)
}, 120_000)

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

function dockerJob(params: Record<string, unknown>, task: Partial<Task> = {}): Job {
  return normalizeJob({
    ID: `j-docker-${nextId}`,
    Name: 'docker-test',
    Type: 'batch',
    Count: 1,
    Tasks: [{ Name: 'main', Engine: { Type: 'docker', Params: { Image: image, ...params } }, ...task }],
  } as never)
}

function request(job: Job, extra: Partial<EngineRunRequest> = {}): EngineRunRequest {
  const executionId = `e-docker-${nextId++}`
  return {
    executionId,
    job,
    task: job.Tasks[0],
    partitionIndex: 0,
    inputs: [],
    space,
    env: { BACALHAU_JOB_ID: job.ID, BACALHAU_EXECUTION_ID: executionId, ...job.Tasks[0].Env },
    limits: { timeoutMs: 0, memoryBytes: 64 * 1024 * 1024, outputBytes: 1024 * 1024 },
    ...extra,
  }
}

const text = (bytes: Uint8Array) => decoder.decode(bytes)

describe('DockerEngine', { timeout: 60_000 }, () => {
  it('runs the image with Entrypoint, Parameters, env (task, engine, BACALHAU_*), the working directory and the exit code', async () => {
    const job = dockerJob(
      { Entrypoint: ['/bin/sh', '-c'], Parameters: ['echo "$FROM_TASK $FROM_ENGINE $BACALHAU_JOB_ID"; pwd; echo oops >&2; exit 3'], EnvironmentVariables: ['FROM_ENGINE=engine'], WorkingDirectory: '/work' },
      { Env: { FROM_TASK: 'task' } },
    )
    const logs: LogChunk[] = []
    const result = await engine.run(request(job, { onLog: (chunk) => logs.push(chunk) }))
    expect(result.exitCode).toBe(3)
    expect(text(result.stdout)).toBe(`task engine ${job.ID}\n/work\n`)
    expect(text(result.stderr)).toBe('oops\n')
    // Streamed live too, for `job logs --follow`.
    expect(text(Buffer.concat(logs.filter((c) => c.stream === 1).map((c) => c.data)))).toBe(text(result.stdout))
  })

  it('caps stdout at the output limit and flags it truncated', async () => {
    const job = dockerJob({ Parameters: ['sh', '-c', 'seq 1 100000'] })
    const result = await engine.run(request(job, { limits: { timeoutMs: 0, memoryBytes: 64 * 1024 * 1024, outputBytes: 1000 } }))
    expect(result.exitCode).toBe(0)
    expect(result.stdout.byteLength).toBe(1000)
    expect(result.stdoutTruncated).toBe(true)
    expect(result.stderrTruncated).toBe(false)
  })

  it('mounts an input read-only at its Target: reading works, writing fails', async () => {
    const dataset = join(root, 'dataset')
    await mkdir(dataset, { recursive: true })
    await writeFile(join(dataset, 'in.txt'), 'input bytes\n')
    const job = dockerJob({ Parameters: ['sh', '-c', 'cat /inputs/in.txt; echo x > /inputs/new.txt && echo WROTE'] })
    const input: PreparedInput = { input: { Source: { Type: 'localDirectory', Params: {} }, Target: '/inputs' }, volume: { kind: 'host', path: dataset, root: 'directory' } }
    const result = await engine.run(request(job, { inputs: [input] }))
    expect(text(result.stdout)).toBe('input bytes\n')
    expect(text(result.stderr)).toContain('Read-only file system')
    expect(result.exitCode).not.toBe(0)
  })

  it('mounts a read-write input writable, changing it in place', async () => {
    const shared = join(root, 'shared-rw')
    await mkdir(shared, { recursive: true })
    const job = dockerJob({ Parameters: ['sh', '-c', 'echo changed > /data/out.txt'] })
    const input: PreparedInput = { input: { Source: { Type: 'localDirectory', Params: { ReadWrite: true } }, Target: '/data' }, volume: { kind: 'host', path: shared, root: 'directory' }, readWrite: true }
    const result = await engine.run(request(job, { inputs: [input] }))
    expect(result.exitCode).toBe(0)
    expect(await readFile(join(shared, 'out.txt'), 'utf8')).toBe('changed\n')
  })

  it('runs as the configured non-root user, which can write its outputs', async () => {
    const asNobody = new DockerEngine({ nodeId: NODE_ID, pull: 'never', user: '65534:65534' })
    const job = dockerJob({ Parameters: ['sh', '-c', 'id -u; echo mine > /outputs/f.txt && echo wrote'] }, { ResultPaths: [{ Name: 'outputs', Path: '/outputs' }] })
    const result = await asNobody.run(request(job))
    expect(text(result.stdout)).toBe('65534\nwrote\n')
  })

  it('keeps the root filesystem read-only with a writable /tmp, drops capabilities and forbids new privileges', async () => {
    const job = dockerJob({ Parameters: ['sh', '-c', 'echo t > /tmp/ok && cat /tmp/ok; touch /etc/x 2>/dev/null || echo rootfs-ro; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status'] })
    const result = await engine.run(request(job))
    expect(text(result.stdout)).toBe('t\nrootfs-ro\nNoNewPrivs:\t1\n'.replace('NoNewPrivs', 'CapEff:\t0000000000000000\nNoNewPrivs'))
  })

  it('gives each ResultPath an empty host directory and returns what the container wrote there', async () => {
    const job = dockerJob({ Parameters: ['sh', '-c', 'mkdir -p /outputs/sub && echo hello > /outputs/a.txt && echo deep > /outputs/sub/b.txt'] }, { ResultPaths: [{ Name: 'outputs', Path: '/outputs' }] })
    const result = await engine.run(request(job))
    expect(result.exitCode).toBe(0)
    const tree = (await readTreeIntoMemory(result.outputs.get('outputs')!, { maxBytes: 1024 * 1024, tooLarge: () => new Error('too large') })) as DirectoryNode
    const file = (node: FileTreeNode | undefined) => (node?.kind === 'file' ? text(node.data) : undefined)
    expect(file(tree.entries.get('a.txt'))).toBe('hello\n')
    expect(file((tree.entries.get('sub') as DirectoryNode).entries.get('b.txt'))).toBe('deep\n')
  })

  it('runs with no network but loopback by default', async () => {
    const job = dockerJob({ Parameters: ['sh', '-c', 'ls /sys/class/net'] })
    const result = await engine.run(request(job))
    expect(text(result.stdout).trim().split('\n')).toEqual(['lo'])
  })

  it('reports an out-of-memory kill as such', async () => {
    // /tmp is a tmpfs: what is written there counts against the container's memory.
    const job = dockerJob({ Parameters: ['sh', '-c', 'dd if=/dev/zero of=/tmp/fill bs=1M count=200; echo survived'] }, { Resources: { Memory: '32Mi' } as never })
    await expect(engine.run(request(job, { limits: { timeoutMs: 0, memoryBytes: 32 * 1024 * 1024, outputBytes: 1024 } }))).rejects.toThrow(/out of memory \(Resources\.Memory 32(\.0)? MiB\)/)
  })

  it('kills and removes the container when the timeout passes', async () => {
    const job = dockerJob({ Parameters: ['sleep', '300'] })
    const req = request(job, { limits: { timeoutMs: 1500, memoryBytes: 64 * 1024 * 1024, outputBytes: 1024 } })
    await expect(engine.run(req)).rejects.toBeInstanceOf(TimeoutError)
    expect(await containersLabelled(`${LABEL_EXECUTION}=${req.executionId}`)).toEqual([])
  })

  it('kills and removes the container when the run is cancelled', async () => {
    const job = dockerJob({ Parameters: ['sleep', '300'] })
    const req = request(job)
    const controller = new AbortController()
    const running = engine.run(req, { signal: controller.signal })
    // Cancel once the container runs.
    for (let i = 0; i < 100 && (await containersLabelled(`${LABEL_EXECUTION}=${req.executionId}`)).length === 0; i++) await new Promise((r) => setTimeout(r, 100))
    controller.abort(new Error('cancelled by the test'))
    await expect(running).rejects.toThrow(/cancelled/)
    expect(await containersLabelled(`${LABEL_EXECUTION}=${req.executionId}`)).toEqual([])
  })

  it('fails naming the image when it is neither local nor pullable', async () => {
    const job = dockerJob({ Image: 'local/shoal-no-such-image:1' })
    await expect(engine.run(request(job))).rejects.toThrow(/image local\/shoal-no-such-image:1 is not on this node/)
  })

  it('refuses GPUs, and HTTP networking without Domains, with a reason', () => {
    const job = dockerJob({}, { Network: { Type: 'HTTP' } as never, Resources: { GPU: '1' } as never })
    const problems = engine.validate(job.Tasks[0])
    expect(problems.join('\n')).toMatch(/Network\.Domains: Network\.Type HTTP needs the domains/)
    expect(problems.join('\n')).toMatch(/Resources\.GPU/)
  })

  it('with Network HTTP reaches the allowed domain through the proxy and is refused any other', async () => {
    // A web server on the host's loopback; "localhost" is the allowed domain (the node allow-lists 127.0.0.1).
    const server = createServer((req, res) => res.end(`served ${req.url}\n`))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    try {
      const httpEngine = new DockerEngine({ nodeId: NODE_ID, pull: 'never',  urlPolicy: new UrlHostPolicy({ allowHosts: ['127.0.0.1'] }) })
      const script = [
        'p=${http_proxy#http://}',
        // stdin stays open a moment: nc's half-close would end the request before the answer.
        `(printf 'GET http://localhost:${port}/allowed HTTP/1.0\\r\\n\\r\\n'; sleep 2) | busybox nc -w 5 \${p%:*} \${p##*:} | tail -n 1`,
        `(printf 'GET http://example.invalid:${port}/denied HTTP/1.0\\r\\n\\r\\n'; sleep 2) | busybox nc -w 5 \${p%:*} \${p##*:} | head -n 1`,
      ].join('; ')
      const job = dockerJob({ Parameters: ['sh', '-c', script] }, { Network: { Type: 'HTTP', Domains: ['localhost'] } as never })
      const req = request(job)
      const result = await httpEngine.run(req)
      expect(text(result.stderr)).toBe('')
      expect(text(result.stdout)).toBe('served /allowed\nHTTP/1.1 403 Forbidden\r\n')
      // The job's internal network is gone with it.
      expect((await dockerCli(['network', 'ls', '-q', '--filter', `label=${LABEL_EXECUTION}=${req.executionId}`])).trim()).toBe('')
    } finally {
      server.close()
    }
  }, 60_000)

  it('removes containers a crashed run of the same node left behind', async () => {
    const leftover = (await dockerCli(['create', '--label', `${LABEL_NODE}=${NODE_ID}-crashed`, image, 'true'])).trim()
    const restarted = new DockerEngine({ nodeId: `${NODE_ID}-crashed`, pull: 'never' })
    expect(await containersLabelled(`${LABEL_NODE}=${NODE_ID}-crashed`)).toEqual([leftover.slice(0, 12)])
    expect(await restarted.isInstalled()).toBe(true)
    expect(await containersLabelled(`${LABEL_NODE}=${NODE_ID}-crashed`)).toEqual([])
  })

  it('is not installed when dockerd does not answer, and says where it looked', async () => {
    const missing = new DockerEngine({ socketPath: join(root, 'no-docker.sock') })
    await expect(missing.isInstalled()).rejects.toThrow(/dockerd does not answer at .*no-docker\.sock/)
  })
})
