import { mkdtemp, readdir, readFile, rm, mkdir, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bundleResult, writeTar } from '@shoal/compute'
import { emptyDirectory, fileNode, type DirectoryNode } from '@shoal/interface'
import { ConflictError, PayloadTooLargeError, type SpecConfig } from '@shoal/models'
import type { DownloadProgress } from '../../src/cli/download-progress.ts'
import { isUnreachable } from '../../src/cli/cli-errors.ts'
import { downloadResults, rawFolderName } from '../../src/cli/result-download.ts'

function result(stdout: string, exitCode: number, outputs: Record<string, string>): DirectoryNode {
  const dir = emptyDirectory()
  const out = emptyDirectory()
  for (const [name, text] of Object.entries(outputs)) out.entries.set(name, fileNode(text))
  dir.entries.set('outputs', out)
  dir.entries.set('stdout', fileNode(stdout))
  dir.entries.set('stderr', fileNode(''))
  dir.entries.set('exitCode', fileNode(String(exitCode)))
  return dir
}

/** A fetch serving the given archives by URL, as compute nodes serve `local` results. */
function archiveFetch(archives: Record<string, Uint8Array>): typeof fetch {
  return (async (input: string | URL | Request) => {
    const body = archives[String(input)]
    return body ? new Response(new Uint8Array(body)) : new Response('gone', { status: 404 })
  }) as typeof fetch
}

describe('job get: downloading and merging published results', () => {
  let work: string
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'shoal-get-'))
  })
  afterEach(async () => {
    await rm(work, { recursive: true, force: true })
  })

  it('appends stdout/stderr/exitCode across executions and merges result folders', async () => {
    const archives = {
      'http://127.0.0.1:1/a.tar.gz': await bundleResult(result('first\n', 0, { 'p0.txt': 'zero' })),
      'http://127.0.0.1:1/b.tar.gz': await bundleResult(result('second\n', 3, { 'p1.txt': 'one' })),
    }
    const results: SpecConfig[] = [
      { Type: 'urlDownload', Params: { URL: 'http://127.0.0.1:1/a.tar.gz' } },
      { Type: 'local', Params: { URL: 'http://127.0.0.1:1/b.tar.gz' } },
    ]
    const target = join(work, 'job-1234abcd')
    const written = await downloadResults(results, { outputDir: target, fetch: archiveFetch(archives) })
    expect(written).toEqual({ dir: target, files: 5 })
    expect(await readFile(join(target, 'stdout'), 'utf8')).toBe('first\nsecond\n')
    expect(await readFile(join(target, 'exitCode'), 'utf8')).toBe('03')
    expect((await readdir(join(target, 'outputs'))).sort()).toEqual(['p0.txt', 'p1.txt'])
    expect(await readdir(work)).toEqual(['job-1234abcd'])
  })

  it('a single result is written as is', async () => {
    const archives = { 'http://x/a.tar.gz': await bundleResult(result('only\n', 0, {})) }
    const target = join(work, 'out')
    await downloadResults([{ Type: 'urlDownload', Params: { URL: 'http://x/a.tar.gz' } }], { outputDir: target, fetch: archiveFetch(archives) })
    expect(await readFile(join(target, 'stdout'), 'utf8')).toBe('only\n')
    expect(await readFile(join(target, 'exitCode'), 'utf8')).toBe('0')
  })

  it('leaves nothing behind when a merge conflicts or a download fails', async () => {
    const archives = {
      'http://x/a.tar.gz': await bundleResult(result('', 0, { 'same.txt': 'a' })),
      'http://x/b.tar.gz': await bundleResult(result('', 0, { 'same.txt': 'b' })),
    }
    const both: SpecConfig[] = ['a', 'b'].map((n) => ({ Type: 'urlDownload', Params: { URL: `http://x/${n}.tar.gz` } }))
    const target = join(work, 'job-x')
    const conflict = await downloadResults(both, { outputDir: target, fetch: archiveFetch(archives) }).catch((e: unknown) => e)
    expect(conflict).toBeInstanceOf(ConflictError)
    expect((conflict as Error).message).toBe('cannot merge results: more than one execution wrote outputs/same.txt')
    expect((conflict as ConflictError).hint).toContain('--raw')
    const missing = await downloadResults([{ Type: 'urlDownload', Params: { URL: 'http://x/missing.tar.gz' } }], { outputDir: target, fetch: archiveFetch(archives) }).catch((e: unknown) => e)
    expect((missing as Error).message).toContain('HTTP 404')
    expect(await readdir(work)).toEqual([])
  })

  it('refuses to write into a non-empty directory', async () => {
    const target = join(work, 'taken')
    await mkdir(target)
    await writeFile(join(target, 'keep.txt'), 'mine')
    const error = await downloadResults([], { outputDir: target, fetch: archiveFetch({}) }).catch((e: unknown) => e)
    expect((error as Error).message).toBe(`${target} already exists and is not empty`)
    expect(await readFile(join(target, 'keep.txt'), 'utf8')).toBe('mine')
  })

  it('explains results it cannot download', async () => {
    const error = await downloadResults([{ Type: 'ipfs', Params: { CID: 'QmX' } }], { outputDir: join(work, 'i'), fetch: archiveFetch({}) }).catch((e: unknown) => e)
    expect((error as Error).message).toBe('this CLI cannot download ipfs results yet (CID QmX; fetch it with an IPFS client)')
  })

  it('a merge conflict names every file more than one execution wrote, and writes nothing', async () => {
    const archives = {
      'http://x/results/e-1.tar.gz': await bundleResult(result('a\n', 0, { 'same.txt': 'a', 'other.txt': 'a', 'only-a.txt': 'a' })),
      'http://x/results/e-2.tar.gz': await bundleResult(result('b\n', 0, { 'same.txt': 'b', 'other.txt': 'b' })),
    }
    const both: SpecConfig[] = ['e-1', 'e-2'].map((n) => ({ Type: 'urlDownload', Params: { URL: `http://x/results/${n}.tar.gz` } }))
    const error = await downloadResults(both, { outputDir: join(work, 'job-x'), fetch: archiveFetch(archives) }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConflictError)
    expect((error as Error).message).toBe('cannot merge results: more than one execution wrote outputs/other.txt, outputs/same.txt')
    expect((error as ConflictError).hint).toBe("Download each execution's result into its own folder with --raw (`shoal job get <id> --raw`).")
    expect(await readdir(work)).toEqual([])
  })

  it('--raw: each result whole in raw/<execution id>/, same file names and all, nothing appended', async () => {
    const archives = {
      'http://x/results/e-1.tar.gz': await bundleResult(result('first\n', 0, { 'same.txt': 'a' })),
      'http://x/results/e-2.tar.gz': await bundleResult(result('second\n', 1, { 'same.txt': 'b' })),
    }
    const both: SpecConfig[] = ['e-1', 'e-2'].map((n) => ({ Type: 'urlDownload', Params: { URL: `http://x/results/${n}.tar.gz` } }))
    const target = join(work, 'job-x')
    const written = await downloadResults(both, { outputDir: target, fetch: archiveFetch(archives), raw: true })
    expect(written).toEqual({ dir: target, files: 8 })
    expect(await readdir(target)).toEqual(['raw'])
    expect((await readdir(join(target, 'raw'))).sort()).toEqual(['e-1', 'e-2'])
    expect(await readFile(join(target, 'raw', 'e-1', 'outputs', 'same.txt'), 'utf8')).toBe('a')
    expect(await readFile(join(target, 'raw', 'e-2', 'outputs', 'same.txt'), 'utf8')).toBe('b')
    expect(await readFile(join(target, 'raw', 'e-2', 'stdout'), 'utf8')).toBe('second\n')
    expect(await readFile(join(target, 'raw', 'e-2', 'exitCode'), 'utf8')).toBe('1')
  })

  it('--raw folder names: the archive name, made safe and unique', () => {
    expect(rawFolderName({ Type: 'urlDownload', Params: { URL: 'http://n:1/results/e-1234.tar.gz' } }, 0)).toBe('e-1234')
    expect(rawFolderName({ Type: 'urlDownload', Params: { URL: 'http://n:1/a%20b/..%2F..%2Fetc.tgz' } }, 0)).toBe('_.._etc')
    expect(rawFolderName({ Type: 'urlDownload', Params: { URL: 'http://n:1/' } }, 2)).toBe('result-3')
  })

  it('streams a gzip bomb to disk and stops at the size bound, naming it and the flag', async () => {
    // 512 entries of 4 MiB of zeros (2 GiB unpacked), produced and compressed only as read.
    const entry = writeTar({ kind: 'dir', entries: new Map([['zeros.bin', { kind: 'file', data: new Uint8Array(4 * 1024 * 1024) }]]) })
    const withoutTrailer = entry.subarray(0, entry.byteLength - 1024)
    let produced = 0
    const total = 512
    const tar = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (produced === total) controller.close()
        else {
          produced++
          controller.enqueue(withoutTrailer)
        }
      },
    })
    const bomb = tar.pipeThrough(new CompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>)
    const fetchBomb = (async () => new Response(bomb)) as typeof fetch
    const target = join(work, 'job-bomb')
    const error = await downloadResults([{ Type: 'urlDownload', Params: { URL: 'http://x/results/e-1.tar.gz' } }], { outputDir: target, fetch: fetchBomb, maxBytes: 10 * 1024 * 1024 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PayloadTooLargeError)
    expect((error as Error).message).toBe('the results unpack to more than 10Mi (the --max-result-size limit); nothing was written')
    expect((error as PayloadTooLargeError).hint).toContain('--max-result-size')
    // Read as a stream: the archive was never produced, let alone held, in full.
    expect(produced).toBeLessThan(total / 4)
    expect(await readdir(work)).toEqual([])
  })

  it('reports bytes received of the Content-Length while it unpacks to disk as the body streams in, before the body has ended', { timeout: 30_000 }, async () => {
    // 8 MiB that does not compress, so the archive is about as large and arrives in many chunks.
    const big = new Uint8Array(8 * 1024 * 1024)
    for (let offset = 0; offset < big.length; offset += 65536) crypto.getRandomValues(big.subarray(offset, offset + 65536))
    const dir = result('', 0, {})
    ;(dir.entries.get('outputs') as DirectoryNode).entries.set('big.bin', { kind: 'file', data: big })
    const archive = await bundleResult(dir)
    const half = Math.floor(archive.length / 2)
    let release!: () => void
    const rest = new Promise<void>((resolve) => (release = resolve))
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/gzip', 'content-length': String(archive.length) })
      response.write(archive.subarray(0, half))
      void rest.then(() => response.end(archive.subarray(half)))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const figures: DownloadProgress[] = []
      const target = join(work, 'out')
      const downloading = downloadResults([{ Type: 'urlDownload', Params: { URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/e-1.tar.gz` } }], {
        outputDir: target,
        fetch: globalThis.fetch,
        onProgress: (figure) => figures.push({ ...figure }),
      })
      downloading.catch(() => {}) // awaited below; a failed assertion must not leave it unhandled
      // Bounded wait for the first half to arrive and be written, while the server holds the rest.
      let partial = 0
      for (let turn = 0; turn < 2000 && !(figures.at(-1)?.done === half && partial > 0); turn++) {
        await new Promise((resolve) => setTimeout(resolve, 5))
        // Each result unpacks into <output>.partial-…-parts/<n>/ until all are merged.
        const parts = (await readdir(work)).find((name) => name.startsWith('.out.partial-') && name.endsWith('-parts'))
        partial = parts ? await stat(join(work, parts, '0', 'outputs', 'big.bin')).then((s) => s.size, () => 0) : 0
      }
      expect(figures.at(-1)).toEqual({ index: 0, count: 1, done: half, total: archive.length })
      expect(partial).toBeGreaterThan(0)
      expect(partial).toBeLessThan(big.length)
      release()
      await downloading
      expect(figures.at(-1)).toEqual({ index: 0, count: 1, done: archive.length, total: archive.length, finished: true })
      expect(figures.length).toBeGreaterThan(2)
      expect(new Uint8Array(await readFile(join(target, 'outputs', 'big.bin')))).toEqual(big)
    } finally {
      release()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('a connection cut mid-body says which download broke, after how many bytes and why, not that the requester is unreachable; nothing is kept', { timeout: 30_000 }, async () => {
    const big = new Uint8Array(2 * 1024 * 1024)
    for (let offset = 0; offset < big.length; offset += 65536) crypto.getRandomValues(big.subarray(offset, offset + 65536))
    const dir = result('', 0, {})
    ;(dir.entries.get('outputs') as DirectoryNode).entries.set('big.bin', { kind: 'file', data: big })
    const archive = await bundleResult(dir)
    const half = Math.floor(archive.length / 2)
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/gzip', 'content-length': String(archive.length) })
      // Half the archive, then the node goes away: the socket is destroyed without ending the body.
      response.write(archive.subarray(0, half), () => setTimeout(() => response.socket?.destroy(), 50))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/e-1.tar.gz`
    try {
      const target = join(work, 'out')
      const failure = await downloadResults([{ Type: 'local', Params: { URL: `${url}?sig=secret` } }], { outputDir: target, fetch: globalThis.fetch }).then(
        () => undefined,
        (error: Error) => error,
      )
      expect(failure?.name).toBe('StorageError')
      expect(failure?.message).toMatch(new RegExp(`^the download of the result at ${url.replace(/[.?]/g, '\\$&')} broke after \\d+ of ${archive.length} bytes: terminated`))
      expect(failure?.message).not.toContain('secret')
      expect(isUnreachable(failure)).toBe(false)
      expect(await readdir(work)).toEqual([])
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('a data: URL result (a tab\'s inline result) downloads with its bytes reported', async () => {
    const archive = await bundleResult(result('from a tab\n', 0, {}))
    const url = `data:application/gzip;base64,${Buffer.from(archive).toString('base64')}`
    const figures: DownloadProgress[] = []
    const target = join(work, 'tab')
    await downloadResults([{ Type: 'urlDownload', Params: { URL: url } }], { outputDir: target, fetch: globalThis.fetch, onProgress: (figure) => figures.push({ ...figure }) })
    expect(await readFile(join(target, 'stdout'), 'utf8')).toBe('from a tab\n')
    expect(figures.at(-1)).toMatchObject({ index: 0, count: 1, done: archive.length, finished: true })
  })
})
