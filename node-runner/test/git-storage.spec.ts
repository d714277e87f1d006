// The repoclone input source against a real bare repository served on loopback by `git http-backend` (smart HTTP, so shallow clones work).
import { execFileSync, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UrlHostPolicy } from '@shoal/compute'
import type { InputSource } from '@shoal/models'
import { GitStorage } from '../src/storage/git-storage.ts'
import { HostVolumeSpace } from '../src/storage/host-volume-space.ts'

let root: string
let server: Server
let base: string

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'init.defaultBranch=main', ...args], { cwd, env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null' } })

/** A tiny CGI gateway: each request runs `git http-backend` with the request on stdin. */
function serveGit(projectRoot: string): Server {
  return createServer((req, res) => {
    const url = new URL(req.url!, 'http://localhost')
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        REQUEST_METHOD: req.method,
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        REMOTE_ADDR: '127.0.0.1',
      },
    })
    req.pipe(child.stdin)
    const chunks: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
    child.on('close', () => {
      const out = Buffer.concat(chunks)
      const end = out.indexOf('\r\n\r\n')
      const head = out.subarray(0, end).toString('latin1')
      let status = 200
      for (const line of head.split('\r\n')) {
        const [name, ...rest] = line.split(':')
        const value = rest.join(':').trim()
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0])
        else if (name) res.setHeader(name, value)
      }
      res.statusCode = status
      res.end(out.subarray(end + 4))
    })
  })
}

const input = (repo: string): InputSource => ({ Source: { Type: 'repoclone', Params: { Repo: repo } }, Alias: '', Target: '/inputs/repo' })

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'shoal-git-'))
  const work = join(root, 'work')
  await mkdir(join(work, 'src'), { recursive: true })
  git(root, 'init', '--quiet', work)
  await writeFile(join(work, 'README.md'), 'first\n')
  git(work, 'add', '.')
  git(work, 'commit', '--quiet', '-m', 'first')
  // A second commit: a shallow clone has only the latest files.
  await writeFile(join(work, 'README.md'), 'hello from git\n')
  await writeFile(join(work, 'src', 'data.txt'), 'x'.repeat(10_000))
  git(work, 'add', '.')
  git(work, 'commit', '--quiet', '-m', 'second')
  await mkdir(join(root, 'srv'))
  git(root, 'clone', '--quiet', '--bare', work, join(root, 'srv', 'demo.git'))
  server = serveGit(join(root, 'srv'))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve))
  await rm(root, { recursive: true, force: true })
})

const allowLoopback = new UrlHostPolicy({ allowHosts: ['127.0.0.1'] })

const openSpace = async (name: string, totalBytes: number) => HostVolumeSpace.open({ directory: join(root, name), totalBytes })

describe('GitStorage (repoclone)', () => {
  it('clones the latest commit of an allow-listed repository into the space, without .git', async () => {
    const space = await openSpace('space-ok', 10 * 1024 * 1024)
    const volume = await new GitStorage({ policy: allowLoopback }).prepare(input(`${base}/demo.git`), { executionId: 'e-1', jobId: 'j-1', inputIndex: 0, space })
    expect(volume.kind).toBe('host')
    if (volume.kind !== 'host') return
    expect((await readdir(volume.path)).sort()).toEqual(['README.md', 'src'])
    expect(await readFile(join(volume.path, 'README.md'), 'utf8')).toBe('hello from git\n')
    expect((await readFile(join(volume.path, 'src', 'data.txt'))).byteLength).toBe(10_000)
    expect(volume.size).toBe('hello from git\n'.length + 10_000)
    // The checkout counts against the node's disk budget until the execution is released.
    expect(space.usage().freeBytes).toBe(10 * 1024 * 1024 - volume.size!)
  })

  it('clones from an allow-listed host name, connecting to the address it was checked at', async () => {
    const space = await openSpace('space-name', 10 * 1024 * 1024)
    const storage = new GitStorage({ policy: new UrlHostPolicy({ allowHosts: ['localhost'] }) })
    const volume = await storage.prepare(input(base.replace('127.0.0.1', 'localhost') + '/demo.git'), { executionId: 'e-1', jobId: 'j-1', inputIndex: 0, space })
    expect(volume.kind === 'host' && (await readFile(join(volume.path, 'README.md'), 'utf8'))).toBe('hello from git\n')
  })

  it('refuses a loopback repository when the host is not allow-listed', async () => {
    const space = await openSpace('space-refused', 1024 * 1024)
    await expect(new GitStorage().prepare(input(`${base}/demo.git`), { executionId: 'e-1', jobId: 'j-1', inputIndex: 0, space })).rejects.toMatchObject({
      code: 'UrlRefused',
      message: expect.stringContaining('InputSources[0].Source.Params.Repo: 127.0.0.1'),
    })
  })

  it('fails with the URL named when the repository does not exist', async () => {
    const space = await openSpace('space-missing', 1024 * 1024)
    const url = `${base}/missing.git`
    const err = await new GitStorage({ policy: allowLoopback }).prepare(input(url), { executionId: 'e-1', jobId: 'j-1', inputIndex: 0, space }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'StorageError', message: expect.stringContaining(url) })
    expect((err as { hint?: string }).hint).toContain('InputSources[0].Source.Params.Repo')
  })

  it('fails when the checkout would pass the free bytes of the space, leaving nothing behind', async () => {
    const space = await openSpace('space-small', 4096)
    await expect(new GitStorage({ policy: allowLoopback }).prepare(input(`${base}/demo.git`), { executionId: 'e-1', jobId: 'j-1', inputIndex: 0, space })).rejects.toMatchObject({
      code: 'StorageError',
      message: expect.stringMatching(/more than the 4096 bytes free|passed the 4096 bytes free/),
    })
    expect(await readdir(join(root, 'space-small', 'e-1'))).toEqual([])
    expect(space.usage().freeBytes).toBe(4096)
  })

  it('rejects non-http repository URLs and URLs with credentials', () => {
    const storage = new GitStorage()
    expect(storage.validate({ Type: 'repoclone', Params: { Repo: 'file:///etc' } })).toEqual([expect.stringContaining('file: repositories are not cloned')])
    expect(storage.validate({ Type: 'repoclone', Params: { Repo: 'https://u:p@example.com/r.git' } })).toEqual([expect.stringContaining('credentials')])
    expect(storage.validate({ Type: 'repoclone', Params: {} })).toEqual([expect.stringContaining('Params.Repo')])
  })
})
