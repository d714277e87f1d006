/**
 * The `docker` engine (upstream pkg/executor/docker): runs a task's container image on the
 * machine's dockerd through dockerode. Inputs are host volumes bind-mounted at their Targets,
 * each ResultPath an empty directory of the node's space bind-mounted read-write and published
 * by streaming from disk. Containers run hardened and limited, and are always removed.
 */
import { chmod } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { Writable } from 'node:stream'
import Docker from 'dockerode'
import type { AbortOptions, Engine, EngineRunRequest, EngineRunResult, Logger, ReadableTree } from '@shoal/interface'
import { AbortError, ExecutionError, formatBinaryBytes, parseCpu, TimeoutError, type Task } from '@shoal/models'
import { UrlHostPolicy } from '@shoal/compute'
import { decodeDockerEngineParams } from './docker-engine-params.ts'
import { startHttpDomainProxy, type HttpDomainProxy } from './http-domain-proxy.ts'

/** When to pull an image from its registry. */
export type DockerPullPolicy = 'if-missing' | 'always' | 'never'

/** The pull policies, for config validation. */
export const DOCKER_PULL_POLICIES: readonly DockerPullPolicy[] = ['if-missing', 'always', 'never']

/** Options of {@link DockerEngine}. */
export interface DockerEngineOptions {
  /** dockerd's socket (default /var/run/docker.sock). */
  socketPath?: string
  /** Default if-missing: a local image is used as it is, others are pulled. */
  pull?: DockerPullPolicy
  /** Run containers as this user (`uid[:gid]` or a name in the image) instead of the image's. */
  user?: string
  /** Capabilities added back after dropping all (default none). */
  capAdd?: string[]
  /** Processes a container may hold at once (default 1024). */
  pidsLimit?: number
  /** Memory cap of a task that sets no Resources.Memory (default 1 GiB). */
  defaultMemoryBytes?: number
  /** Size of the writable /tmp of a task that sets no Resources.Disk (default 1 GiB; counts as its memory). */
  defaultTmpBytes?: number
  /** Targets an HTTP-network task's proxy refuses unless allow-listed (loopback, private…); default: all such refused. */
  urlPolicy?: UrlHostPolicy
  /** Labels this node's containers, so leftovers of a crashed run of this node are found and removed at start. */
  nodeId?: string
  logger?: Logger
}

/** Label on every container Shoal starts. */
export const LABEL_MANAGED = 'shoal.managed'
/** Label naming the execution a container runs. */
export const LABEL_EXECUTION = 'shoal.execution'
/** Label naming the compute node that started a container. */
export const LABEL_NODE = 'shoal.node'
/** Label naming the job a container runs. */
export const LABEL_JOB = 'shoal.job'

const DEFAULT_MEMORY_BYTES = 1024 ** 3
const DEFAULT_TMP_BYTES = 1024 ** 3
const DEFAULT_PIDS_LIMIT = 1024
/** Docker refuses memory limits below 6 MiB. */
const MIN_MEMORY_BYTES = 6 * 1024 * 1024
/** How long dockerd may take to answer a ping before it counts as unreachable. */
const PING_TIMEOUT_MS = 5000
/** Exit status is re-checked this often in case the wait request missed a very quick exit. */
const EXIT_POLL_MS = 1000

/** dockerd does not answer: the engine is not offered. */
export class DockerUnavailableError extends Error {
  readonly code = 'DockerUnavailable'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DockerUnavailableError'
  }
}

/** The Docker network mode of a task's Network.Type, or a reason it cannot run here. */
function networkMode(task: Task): { mode: string } | { problem: string } {
  const type = (task.Network?.Type ?? '').toLowerCase()
  if (type === '' || type === 'default' || type === 'none') return { mode: 'none' }
  // The bidder only accepts Host/Full/Bridge/HTTP where the node allows them (compute.allow-networks).
  if (type === 'host' || type === 'full') return { mode: 'host' }
  if (type === 'bridge') return { mode: 'bridge' }
  if (type === 'http') {
    if ((task.Network?.Domains ?? []).filter((d) => d.trim() !== '').length === 0) return { problem: 'Network.Domains: Network.Type HTTP needs the domains the task may reach (e.g. example.com, or .example.com with its subdomains)' }
    return { mode: 'http' }
  }
  return { problem: `Network.Type ${task.Network?.Type} is not a network type the docker engine knows (None, Host, Full, Bridge, HTTP)` }
}

/** GPUs a task asks for (Resources.GPU), 0 when none. */
function gpuCount(task: Task): number {
  const gpu = task.Resources?.GPU
  if (gpu === undefined || gpu === '') return 0
  const count = Number(gpu)
  return Number.isFinite(count) ? count : 1
}

function messageOf(error: unknown): string {
  const e = error as { json?: { message?: string }; message?: string }
  return e?.json?.message ?? e?.message ?? String(error)
}

/** Keeps the first `limit` bytes of a stream and counts the rest. */
class CappedStream {
  private readonly chunks: Uint8Array[] = []
  private kept = 0
  total = 0
  private readonly limit: number
  private readonly onKept: (data: Uint8Array) => void
  constructor(limit: number, onKept: (data: Uint8Array) => void) {
    this.limit = limit
    this.onKept = onKept
  }
  write(data: Uint8Array): void {
    this.total += data.byteLength
    const room = this.limit - this.kept
    if (room <= 0) return
    const head = data.byteLength > room ? data.slice(0, room) : data.slice()
    this.chunks.push(head)
    this.kept += head.byteLength
    this.onKept(head)
  }
  get truncated(): boolean {
    return this.total > this.kept
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.kept)
    let offset = 0
    for (const chunk of this.chunks) {
      out.set(chunk, offset)
      offset += chunk.byteLength
    }
    return out
  }
  /** A Writable that feeds this capper, for dockerode's demuxStream. */
  writable(): Writable {
    return new Writable({
      write: (chunk: Uint8Array, _encoding, callback) => {
        this.write(chunk)
        callback()
      },
    })
  }
}

/** The `docker` engine on a local dockerd. */
export class DockerEngine implements Engine {
  readonly type = 'docker'
  readonly mounts = ['host'] as const
  readonly socketPath: string
  private readonly docker: Docker
  private readonly options: DockerEngineOptions
  private readonly pulls = new Map<string, Promise<void>>()
  private cleaned = false

  constructor(options: DockerEngineOptions = {}) {
    this.options = options
    this.socketPath = options.socketPath ?? '/var/run/docker.sock'
    // No API version: dockerode then speaks the daemon's (1.41 here); 1.44+ is refused by 20.10.
    this.docker = new Docker({ socketPath: this.socketPath })
  }

  /** Problems that make this engine refuse the task (the bidder reports them). */
  validate(task: Task): string[] {
    const problems = [...decodeDockerEngineParams(task).problems]
    const network = networkMode(task)
    if ('problem' in network) problems.push(network.problem)
    const gpus = gpuCount(task)
    if (gpus > 0) problems.push(`Resources.GPU: the task asks for ${task.Resources?.GPU} GPU(s); this node's docker engine has no GPUs to give containers`)
    return problems
  }

  /**
   * True when dockerd answers; otherwise rejects with the reason (the node logs it and does not
   * offer docker). The first time it answers, containers a crashed run of this node left are removed.
   */
  async isInstalled(): Promise<boolean> {
    try {
      let timer: ReturnType<typeof setTimeout> | undefined
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS / 1000}s`)), PING_TIMEOUT_MS)
      })
      await Promise.race([this.docker.ping(), late]).finally(() => clearTimeout(timer))
    } catch (error) {
      throw new DockerUnavailableError(`dockerd does not answer at ${this.socketPath}: ${messageOf(error)} (start dockerd, or set compute.docker to false)`, { cause: error })
    }
    if (!this.cleaned) {
      this.cleaned = true
      await this.removeLeftovers()
    }
    return true
  }

  /** Removes containers labelled as this node's (from a run that crashed before removing them). */
  async removeLeftovers(): Promise<number> {
    if (!this.options.nodeId) return 0
    const leftovers = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL_NODE}=${this.options.nodeId}`] } })
    for (const info of leftovers) {
      await this.docker
        .getContainer(info.Id)
        .remove({ force: true, v: true })
        .catch(() => {})
    }
    const networks = await this.docker.listNetworks({ filters: { label: [`${LABEL_NODE}=${this.options.nodeId}`] } })
    for (const info of networks) {
      await this.docker
        .getNetwork(info.Id)
        .remove()
        .catch(() => {})
    }
    if (leftovers.length + networks.length > 0) this.options.logger?.info('removed containers and networks left by a previous run', { containers: leftovers.length, networks: networks.length })
    return leftovers.length
  }

  /** Makes `image` available locally according to the pull policy. */
  private async ensureImage(image: string, signal: AbortSignal | undefined): Promise<void> {
    const policy = this.options.pull ?? 'if-missing'
    let present = true
    try {
      await this.docker.getImage(image).inspect()
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw new ExecutionError(`cannot inspect image ${image}: ${messageOf(error)}`, { component: 'docker', cause: error })
      present = false
    }
    if (present && policy !== 'always') return
    if (!present && policy === 'never') {
      throw new ExecutionError(`image ${image} is not on this node, and its pull policy is never`, {
        component: 'docker',
        hint: `load the image on the node (docker pull/load/import ${image}) or set compute.docker-pull to if-missing`,
      })
    }
    let pulling = this.pulls.get(image)
    if (!pulling) {
      pulling = this.pull(image, signal).finally(() => this.pulls.delete(image))
      this.pulls.set(image, pulling)
    }
    try {
      await pulling
    } catch (error) {
      // `always` with an image at hand: a registry that cannot be reached does not stop the job.
      if (present) {
        this.options.logger?.warn('could not pull image; using the local one', { image, error: messageOf(error) })
        return
      }
      throw new ExecutionError(`image ${image} is not on this node and could not be pulled: ${messageOf(error)}`, {
        component: 'docker',
        cause: error,
        hint: 'check the image name and tag, that the node reaches its registry, or load the image on the node',
      })
    }
  }

  private async pull(image: string, signal: AbortSignal | undefined): Promise<void> {
    const stream = (await this.docker.pull(image, { abortSignal: signal })) as NodeJS.ReadableStream
    const events = await new Promise<Array<{ error?: string }>>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (error: Error | null, output: Array<{ error?: string }>) => (error ? reject(error) : resolve(output)))
    })
    const failed = events.find((event) => event.error)
    if (failed) throw new Error(failed.error)
  }

  async run(request: EngineRunRequest, { signal }: AbortOptions = {}): Promise<EngineRunResult> {
    if (signal?.aborted) throw new AbortError('the job was cancelled before it started', { component: 'docker' })
    const { task } = request
    const problems = this.validate(task)
    if (problems.length > 0) throw new ExecutionError(problems.join('; '), { component: 'docker' })
    const { params } = decodeDockerEngineParams(task)
    const network = networkMode(task) as { mode: string }

    await this.ensureImage(params.Image, signal)

    const binds: string[] = []
    for (const [index, prepared] of request.inputs.entries()) {
      const volume = prepared.volume
      if (volume.kind !== 'host') throw new ExecutionError(`InputSources[${index}] is a ${volume.kind} volume; the docker engine mounts only host paths`, { component: 'docker' })
      binds.push(`${volume.path}:${prepared.input.Target}:${prepared.readWrite ? 'rw' : 'ro'}`)
    }
    const outputs = new Map<string, ReadableTree>()
    for (const resultPath of task.ResultPaths ?? []) {
      const volume = await request.space.createDirectory(request.executionId, `output-${resultPath.Name}`)
      if (volume.kind !== 'host') throw new ExecutionError(`the node's space gave a ${volume.kind} volume for ResultPaths ${resultPath.Name}; the docker engine needs a host directory`, { component: 'docker' })
      // A non-root container user must be able to write its outputs.
      if (this.options.user) await chmod(volume.path, 0o777)
      binds.push(`${volume.path}:${resultPath.Path}:rw`)
      outputs.set(resultPath.Name, request.space.read(volume))
    }

    // Upstream's order: the task's env and BACALHAU_* first, then the engine's EnvironmentVariables;
    // Params cannot name BACALHAU_* (validated), so the job's own description always wins.
    const env = [...Object.entries(request.env).map(([key, value]) => `${key}=${value}`), ...params.EnvironmentVariables]
    const memory = Math.max(MIN_MEMORY_BYTES, request.limits.memoryBytes > 0 ? request.limits.memoryBytes : (this.options.defaultMemoryBytes ?? DEFAULT_MEMORY_BYTES))
    const tmpBytes = (request.limits.diskBytes ?? 0) > 0 ? request.limits.diskBytes! : (this.options.defaultTmpBytes ?? DEFAULT_TMP_BYTES)
    const cpuText = task.Resources?.CPU
    const cpus = cpuText ? Math.min(parseCpu(cpuText), availableParallelism()) : 0
    const labels: Record<string, string> = { [LABEL_MANAGED]: 'true', [LABEL_EXECUTION]: request.executionId, [LABEL_JOB]: request.job.ID }
    if (this.options.nodeId) labels[LABEL_NODE] = this.options.nodeId

    let httpNetwork: { network: Docker.Network; proxy?: HttpDomainProxy } | undefined
    const releaseNetwork = async () => {
      await httpNetwork?.proxy?.close()
      await httpNetwork?.network.remove().catch((error: unknown) => {
        if ((error as { statusCode?: number }).statusCode !== 404) this.options.logger?.warn('could not remove network', { network: networkName, error: messageOf(error) })
      })
    }
    let networkName = network.mode
    if (network.mode === 'http') {
      // An internal network: no route out; the proxy on its gateway is the only way to the domains.
      try {
        const created = await this.docker.createNetwork({ Name: `shoal-http-${request.executionId}`, Internal: true, Labels: labels })
        // By ID: a name may be taken twice (dockerd allows it), an ID is the network just made.
        networkName = created.id
        httpNetwork = { network: created }
        const inspected = (await created.inspect()) as { IPAM?: { Config?: Array<{ Gateway?: string }> } }
        const gateway = inspected.IPAM?.Config?.find((config) => config.Gateway)?.Gateway
        if (!gateway) throw new Error(`network ${networkName} has no gateway address`)
        httpNetwork.proxy = await startHttpDomainProxy({ host: gateway, domains: task.Network?.Domains ?? [], policy: this.options.urlPolicy ?? new UrlHostPolicy() })
      } catch (error) {
        await releaseNetwork()
        throw new ExecutionError(`could not set up the HTTP network of the task: ${messageOf(error)}`, { component: 'docker', cause: error })
      }
      const proxyUrl = httpNetwork.proxy.url
      env.push(`http_proxy=${proxyUrl}`, `https_proxy=${proxyUrl}`, `HTTP_PROXY=${proxyUrl}`, `HTTPS_PROXY=${proxyUrl}`)
    }

    let container: Docker.Container
    try {
      container = await this.docker.createContainer({
        Image: params.Image,
        Entrypoint: params.Entrypoint.length > 0 ? params.Entrypoint : undefined,
        Cmd: params.Parameters.length > 0 ? params.Parameters : undefined,
        Env: env,
        WorkingDir: params.WorkingDirectory || undefined,
        User: this.options.user,
        Labels: labels,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        NetworkDisabled: network.mode === 'none',
        HostConfig: {
          Binds: binds,
          NetworkMode: networkName,
          Memory: memory,
          // No swap: the limit is the memory the container gets.
          MemorySwap: memory,
          NanoCpus: cpus > 0 ? Math.round(cpus * 1e9) : undefined,
          PidsLimit: this.options.pidsLimit ?? DEFAULT_PIDS_LIMIT,
          ReadonlyRootfs: true,
          Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${tmpBytes}` },
          CapDrop: ['ALL'],
          CapAdd: this.options.capAdd,
          SecurityOpt: ['no-new-privileges'],
        },
      })
    } catch (error) {
      await releaseNetwork()
      throw new ExecutionError(`could not create a container of ${params.Image}: ${messageOf(error)}`, { component: 'docker', cause: error })
    }

    try {
      return await this.runContainer(container, request, outputs, memory, signal)
    } finally {
      // Whatever happened, the container goes (a kill on abort, then removal).
      await container.remove({ force: true, v: true }).catch((error: unknown) => {
        if ((error as { statusCode?: number }).statusCode !== 404) this.options.logger?.warn('could not remove container', { execution: request.executionId, error: messageOf(error) })
      })
      await releaseNetwork()
    }
  }

  private async runContainer(container: Docker.Container, request: EngineRunRequest, outputs: Map<string, ReadableTree>, memory: number, signal: AbortSignal | undefined): Promise<EngineRunResult> {
    const limit = Math.max(0, request.limits.outputBytes)
    const stdout = new CappedStream(limit, (data) => request.onLog?.({ stream: 1, data }))
    const stderr = new CappedStream(limit, (data) => request.onLog?.({ stream: 2, data }))
    const attached = (await container.attach({ stream: true, stdout: true, stderr: true })) as NodeJS.ReadableStream
    const streamEnded = new Promise<void>((resolve) => {
      attached.on('end', resolve)
      attached.on('close', resolve)
      attached.on('error', () => resolve())
    })
    this.docker.modem.demuxStream(attached, stdout.writable(), stderr.writable())

    // Ends the run early: a timeout or a cancel kills the container.
    const controller = new AbortController()
    let stopReason: unknown
    const stop = (reason: unknown) => {
      if (stopReason !== undefined) return
      stopReason = reason
      controller.abort(reason)
      container.kill().catch(() => {})
    }
    const onAbort = () => stop(signal?.reason ?? new AbortError('cancelled'))
    signal?.addEventListener('abort', onAbort, { once: true })
    const timeoutMs = request.limits.timeoutMs
    const timer = timeoutMs > 0 ? setTimeout(() => stop(new TimeoutError(`the job ran longer than its ${timeoutMs / 1000}s execution timeout and its container was killed`, { component: 'docker' })), timeoutMs) : undefined
    try {
      // Must be asked before start: a wait on a created container otherwise returns 0 at once.
      const waiting = container.wait({ condition: 'next-exit', abortSignal: controller.signal } as object) as Promise<{ StatusCode: number }>
      waiting.catch(() => {})
      await container.start()
      if (signal?.aborted) onAbort()
      const exitCode = await this.exitCode(container, waiting, controller.signal)
      if (stopReason !== undefined) throw stopReason
      // The attach stream ends right after the exit; bounded so a stuck stream cannot hold the run.
      await Promise.race([streamEnded, new Promise((resolve) => setTimeout(resolve, 2000).unref())])
      const state = (await container.inspect()).State
      if (state.OOMKilled) {
        throw new ExecutionError(`out of memory (Resources.Memory ${formatBinaryBytes(memory)}): the container was killed by the kernel's OOM killer (exit code ${exitCode})`, {
          component: 'docker',
          hint: 'raise the task\'s Resources.Memory, or make the job use less memory',
        })
      }
      return { exitCode, stdout: stdout.bytes(), stderr: stderr.bytes(), stdoutTruncated: stdout.truncated, stderrTruncated: stderr.truncated, outputs }
    } catch (error) {
      if (stopReason !== undefined) {
        if (stopReason instanceof TimeoutError || stopReason instanceof AbortError) throw stopReason
        if ((stopReason as Error)?.name === 'TimeoutError') throw new TimeoutError((stopReason as Error).message, { component: 'docker' })
        throw new AbortError(`the job was cancelled: ${messageOf(stopReason)}`, { component: 'docker' })
      }
      throw error
    } finally {
      if (timer !== undefined) clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
  }

  /**
   * The container's exit code: from the wait asked before start, or from its state should the
   * wait have missed an exit that came first (checked every second, until stopped).
   */
  private async exitCode(container: Docker.Container, waiting: Promise<{ StatusCode: number }>, stopped: AbortSignal): Promise<number> {
    let settled = false
    const polled = (async () => {
      while (!settled && !stopped.aborted) {
        await new Promise((resolve) => setTimeout(resolve, EXIT_POLL_MS).unref())
        if (settled || stopped.aborted) break
        const state = (await container.inspect().catch(() => undefined))?.State
        if (state && state.Status === 'exited') return state.ExitCode
      }
      return new Promise<number>(() => {})
    })()
    const aborted = new Promise<never>((_, reject) => {
      if (stopped.aborted) reject(stopped.reason)
      stopped.addEventListener('abort', () => reject(stopped.reason), { once: true })
    })
    aborted.catch(() => {})
    try {
      return await Promise.race([waiting.then((result) => result.StatusCode), polled, aborted])
    } finally {
      settled = true
    }
  }
}
