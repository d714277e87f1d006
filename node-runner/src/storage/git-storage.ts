import { spawn } from 'node:child_process'
import { lookup } from 'node:dns/promises'
import { lstat, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { StorageError, UrlRefusedError, type InputSource, type SpecConfig } from '@shoal/models'
import type { StorageContext, StorageProvider, Volume, VolumeSpace } from '@shoal/interface'
import { UrlHostPolicy } from '@shoal/compute'

/** Options of {@link GitStorage}. */
export interface GitStorageOptions {
  /** Which hosts may be cloned from (default: loopback, link-local and private addresses refused). */
  policy?: UrlHostPolicy
  /** Time allowed for the whole clone, in ms (default 5 minutes). */
  timeoutMs?: number
  /** The git executable (default `git` on PATH). */
  git?: string
}

/** How often the clone's size on disk is checked against the space while git writes. */
const SIZE_POLL_MS = 200
/** Bytes of git's stderr kept for the error message. */
const STDERR_BYTES = 4096

const path = (input: InputSource, index: number | undefined) => (index === undefined ? `the input for ${input.Target}` : `InputSources[${index}]`)

const repoOf = (source: SpecConfig): unknown => source.Params?.Repo ?? source.Params?.repo ?? source.Params?.URL

/** Bytes of the files below `dir` (links counted as themselves, never followed). */
async function treeBytes(dir: string): Promise<number> {
  let total = 0
  const stack = [dir]
  // Bounded by the finite tree git wrote (no links are followed).
  while (stack.length > 0) {
    const current = stack.pop()!
    const names = await readdir(current).catch(() => [] as string[])
    for (const name of names) {
      const info = await lstat(join(current, name)).catch(() => undefined)
      if (info?.isDirectory()) stack.push(join(current, name))
      else if (info) total += info.size
    }
  }
  return total
}

/** The repository's URL as git should fetch it: `git://` and `gitlfs://` mean https, as upstream. */
function parseRepo(value: unknown): URL | string {
  if (typeof value !== 'string' || value === '') return 'Params.Repo: a repoclone source needs the URL of a git repository'
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return `Params.Repo: ${JSON.stringify(value)} is not a valid URL`
  }
  if (url.protocol === 'git:' || url.protocol === 'gitlfs:') url = new URL(`https:${value.slice(url.protocol.length)}`)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `Params.Repo: ${url.protocol} repositories are not cloned; use an http or https URL`
  if (url.username !== '' || url.password !== '') return 'Params.Repo: credentials in the URL are not accepted; compute nodes clone public repositories only'
  return url
}

/**
 * The `repoclone` input source (upstream's legacy RepoClone): a shallow clone of the default
 * branch of Params.Repo (http or https) into a directory of the node's space, without `.git`,
 * mounted read-only at the Target. Jobs are hostile: the host is checked against the URL host
 * policy before and after DNS (git connects to the checked address only), redirects are not
 * followed, no credentials or hooks are used, links are checked out as plain files, and the
 * clone is bounded in time and by the space's free bytes.
 */
export class GitStorage implements StorageProvider {
  readonly type = 'repoclone'
  private readonly policy: UrlHostPolicy
  private readonly timeoutMs: number
  private readonly git: string

  constructor(options: GitStorageOptions = {}) {
    this.policy = options.policy ?? new UrlHostPolicy()
    this.timeoutMs = options.timeoutMs ?? 5 * 60_000
    this.git = options.git ?? 'git'
  }

  validate(source: SpecConfig): string[] {
    const repo = parseRepo(repoOf(source))
    return typeof repo === 'string' ? [repo] : []
  }

  async isInstalled(): Promise<boolean> {
    return (await this.run(['version'], { cwd: process.cwd() }).catch(() => undefined))?.code === 0
  }

  async prepare(input: InputSource, options: StorageContext & { space: VolumeSpace }): Promise<Volume> {
    const at = path(input, options.inputIndex)
    const where = `${at}.Source.Params.Repo`
    const repo = parseRepo(repoOf(input.Source))
    if (typeof repo === 'string') throw new StorageError(`${at}.Source.${repo}`)
    this.policy.checkUrl(repo, where)
    const pin = await this.resolve(repo, where)

    const space = options.space
    const volume = await space.createDirectory(options.executionId, `input-${options.inputIndex ?? 0}`)
    if (volume.kind !== 'host') throw new StorageError(`${at}: git clones need a node whose space is on disk (got a ${volume.kind} volume)`)
    const dir = volume.path
    const free = space.usage().freeBytes
    const timeout = AbortSignal.timeout(this.timeoutMs)
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
    const fail = (message: string, hint?: string): StorageError => new StorageError(`${at}: cloning ${repo.href} ${message}`, { hint })
    try {
      const config = [
        // No credentials, no redirects to hosts the policy did not see, only http(s), no links.
        '-c', 'credential.helper=', '-c', 'http.followRedirects=false', '-c', 'protocol.allow=never', '-c', 'protocol.http.allow=always',
        '-c', 'protocol.https.allow=always', '-c', 'core.hooksPath=/dev/null', '-c', 'core.symlinks=false', '-c', 'advice.detachedHead=false',
        ...(pin ? ['-c', `http.curloptResolve=${pin}`] : []),
      ]
      // Two steps so the checkout's size is known (from the tree) before anything is written out.
      const clone = await this.run([...config, 'clone', '--quiet', '--template=', '--depth', '1', '--single-branch', '--no-tags', '--no-checkout', '--', repo.href, dir], {
        cwd: dir,
        signal,
        watch: { dir, limit: free },
      })
      if (clone.tooLarge) throw fail(`passed the ${free} bytes free in this node's space`, 'use a smaller repository, or run the job on a node with more disk (Resources.Disk)')
      if (timeout.aborted) throw fail(`took longer than ${Math.round(this.timeoutMs / 1000)}s`, 'use a smaller repository or a faster server')
      signal.throwIfAborted()
      if (clone.code !== 0) {
        throw fail(`failed: ${clone.stderr.trim().split('\n').pop() ?? `git exited with ${clone.code}`}`, `check that ${where} names a public repository reachable from the compute node`)
      }
      const tree = await this.run(['ls-tree', '-r', '-l', '-z', 'HEAD'], { cwd: dir, signal })
      if (tree.code !== 0) throw fail(`gave no commit to check out: ${tree.stderr.trim()}`, 'check that the repository has commits on its default branch')
      let checkoutBytes = 0
      for (const line of tree.stdout.split('\0')) {
        const size = Number(/^\S+ \S+ \S+ +(\d+)\t/.exec(line)?.[1] ?? 0)
        checkoutBytes += size
      }
      const gitBytes = await treeBytes(dir)
      if (gitBytes + checkoutBytes > free) {
        throw fail(`needs ${gitBytes + checkoutBytes} bytes (${checkoutBytes} checked out), more than the ${free} bytes free in this node's space`, 'use a smaller repository, or run the job on a node with more disk (Resources.Disk)')
      }
      const checkout = await this.run([...config, 'reset', '--quiet', '--hard', 'HEAD'], { cwd: dir, signal, watch: { dir, limit: free } })
      if (checkout.tooLarge) throw fail(`passed the ${free} bytes free in this node's space`, 'use a smaller repository, or run the job on a node with more disk (Resources.Disk)')
      signal.throwIfAborted()
      if (checkout.code !== 0) throw fail(`could not be checked out: ${checkout.stderr.trim().split('\n').pop()}`)
      // Read-only content: the job sees the files, not the repository.
      await rm(join(dir, '.git'), { recursive: true, force: true })
      const size = await treeBytes(dir)
      if (!space.reserve(options.executionId, size)) throw fail(`needs ${size} bytes, more than is free in this node's space`, 'run the job on a node with more disk (Resources.Disk)')
      return { kind: 'host', path: dir, root: 'directory', size }
    } catch (err) {
      await rm(dir, { recursive: true, force: true }).catch(() => {})
      if (err instanceof StorageError || err instanceof UrlRefusedError) throw err
      if (timeout.aborted) throw fail(`took longer than ${Math.round(this.timeoutMs / 1000)}s`, 'use a smaller repository or a faster server')
      throw err
    }
  }

  /** Checks the addresses the host resolves to; returns the curl `--resolve` entry pinning git to the checked ones. */
  private async resolve(url: URL, where: string): Promise<string | undefined> {
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
    if (/^[\d.]+$/.test(host) || host.includes(':')) return undefined
    let addresses: { address: string }[]
    try {
      addresses = await lookup(host, { all: true })
    } catch (err) {
      throw new StorageError(`${where}: the host of ${url.href} could not be resolved (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
        cause: err,
        hint: 'check the repository URL and the compute node\'s DNS',
      })
    }
    for (const { address } of addresses) this.policy.checkAddress(host, address, where)
    const port = url.port || (url.protocol === 'https:' ? '443' : '80')
    // Every checked address, so curl can still fall back from one to the next.
    return `${host}:${port}:${addresses.map(({ address }) => (address.includes(':') ? `[${address}]` : address)).join(',')}`
  }

  /** Runs git with no user or system configuration and no prompts; kills it on abort or when `watch.dir` passes `watch.limit` bytes. */
  private run(
    args: string[],
    options: { cwd: string; signal?: AbortSignal; watch?: { dir: string; limit: number } },
  ): Promise<{ code: number | null; stdout: string; stderr: string; tooLarge: boolean }> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.git, args, {
        cwd: options.cwd,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: '/nonexistent',
          GIT_TERMINAL_PROMPT: '0',
          GIT_ASKPASS: 'false',
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_LFS_SKIP_SMUDGE: '1',
        },
      })
      let stdout = ''
      let stderr = ''
      let tooLarge = false
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-STDERR_BYTES)))
      // The whole process group: git runs git-remote-http and index-pack as children.
      const kill = () => {
        try {
          process.kill(-child.pid!, 'SIGKILL')
        } catch {
          // Already gone.
        }
      }
      options.signal?.addEventListener('abort', kill, { once: true })
      if (options.signal?.aborted) kill()
      let polling = false
      const poll = options.watch
        ? setInterval(() => {
            if (polling) return
            polling = true
            void treeBytes(options.watch!.dir).then((bytes) => {
              polling = false
              if (bytes > options.watch!.limit) {
                tooLarge = true
                kill()
              }
            })
          }, SIZE_POLL_MS)
        : undefined
      child.on('error', (err) => {
        clearInterval(poll)
        options.signal?.removeEventListener('abort', kill)
        reject(new StorageError(`could not run ${this.git}: ${err.message}`, { cause: err, hint: 'install git on the compute node' }))
      })
      child.on('close', (code) => {
        clearInterval(poll)
        options.signal?.removeEventListener('abort', kill)
        resolve({ code, stdout, stderr, tooLarge })
      })
    })
  }
}
