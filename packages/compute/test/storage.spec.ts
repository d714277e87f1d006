import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { StorageError, type InputSource } from '@shoal/models'
import type { DirectoryNode, FileTreeNode, Volume } from '@shoal/interface'
import { InlineStorage, MemoryVolumeSpace, UrlDownloadStorage, gzip, parseDataUrl } from '../src/index.ts'

const context = { executionId: 'e-1', jobId: 'j-1', space: new MemoryVolumeSpace() }
/** The tree of a volume the memory space holds. */
const inMemory = (volume: Volume): FileTreeNode => {
  if (volume.kind !== 'memory') throw new Error(`expected a memory volume, got ${volume.kind}`)
  return volume.node
}
const text = (node: FileTreeNode | Volume | undefined): string => {
  const file = node?.kind === 'memory' ? node.node : node
  if (file?.kind !== 'file') throw new Error(`expected a file, got ${file?.kind}`)
  return new TextDecoder().decode(file.data)
}
const inline = (url: string): InputSource => ({ Source: { Type: 'inline', Params: { URL: url } }, Target: '/inputs/data.txt' })
const download = (url: string): InputSource => ({ Source: { Type: 'urlDownload', Params: { URL: url } }, Target: '/inputs' })
const base64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes))

describe('InlineStorage', () => {
  const storage = new InlineStorage()

  it('decodes a plain, percent-encoded data URL into one file', async () => {
    expect(text(await storage.prepare(inline('data:,hello%20world%0A'), context))).toBe('hello world\n')
    expect(text(await storage.prepare(inline('data:text/plain;charset=utf-8,caf%C3%A9'), context))).toBe('café')
  })

  it('decodes base64', async () => {
    expect(text(await storage.prepare(inline('data:text/plain;base64,aGVsbG8gd29ybGQK'), context))).toBe('hello world\n')
  })

  it('decompresses gzip data marked by application/gzip or a ;gzip parameter', async () => {
    const packed = base64(await gzip(new TextEncoder().encode('compressed payload')))
    expect(text(await storage.prepare(inline(`data:application/gzip;base64,${packed}`), context))).toBe('compressed payload')
    expect(text(await storage.prepare(inline(`data:text/csv;gzip;base64,${packed}`), context))).toBe('compressed payload')
  })

  it('unpacks an application/gzip tar archive into a directory at the Target, as Bacalhau uploads directories', async () => {
    // Made by the system's tar, as a user (or Bacalhau's own tar writer) would make it.
    const dir = mkdtempSync(join(tmpdir(), 'shoal-inline-tar-'))
    try {
      mkdirSync(join(dir, 'in', 'docs'), { recursive: true })
      writeFileSync(join(dir, 'in', 'env.wasm'), 'module bytes')
      writeFileSync(join(dir, 'in', 'docs', 'notes.txt'), 'nested')
      execFileSync('tar', ['-czf', join(dir, 'in.tgz'), '-C', join(dir, 'in'), '.'])
      const archive = readFileSync(join(dir, 'in.tgz')).toString('base64')
      const mounted = inMemory(await storage.prepare(inline(`data:application/gzip;base64,${archive}`), context))
      expect(mounted.kind).toBe('dir')
      const root = mounted as DirectoryNode
      expect(text(root.entries.get('env.wasm'))).toBe('module bytes')
      expect(text((root.entries.get('docs') as DirectoryNode).entries.get('notes.txt'))).toBe('nested')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('fails with StorageError saying what is wrong', async () => {
    await expect(storage.prepare(inline('http://example.com/x'), context)).rejects.toThrow(/not a valid data: URL: it does not start with "data:"/)
    await expect(storage.prepare(inline('data:text/plain;base64,@@@'), context)).rejects.toThrow(StorageError)
    await expect(storage.prepare(inline('data:application/gzip;base64,aGk='), context)).rejects.toThrow(/could not be decompressed/)
    await expect(new InlineStorage({ maxBytes: 4 }).prepare(inline('data:,12345'), context)).rejects.toThrow(/holds 5 bytes, more than the 4 allowed/)
  })

  it('validates the spec for bidding', () => {
    expect(storage.validate({ Type: 'inline', Params: {} })).toEqual(['Params.URL: an inline source needs a data: URL, e.g. data:text/plain;base64,aGk='])
    expect(storage.validate({ Type: 'inline', Params: { URL: 'data:,x' } })).toEqual([])
  })

  it('parseDataUrl keeps media type and parameters', () => {
    const parsed = parseDataUrl('data:Text/CSV;charset=utf-8;base64,YSxi')
    expect(parsed).toMatchObject({ mediaType: 'text/csv', parameters: ['charset=utf-8'], base64: true })
    expect(new TextDecoder().decode(parsed.data)).toBe('a,b')
  })
})

describe('UrlDownloadStorage', () => {
  it('downloads into a directory, naming the file after the URL path', async () => {
    const requested: string[] = []
    const storage = new UrlDownloadStorage({
      fetch: async (input) => {
        requested.push(String(input))
        return new Response('a,b\n1,2\n', { status: 200 })
      },
    })
    const tree = inMemory(await storage.prepare(download('http://files.example:8080/data/table%20one.csv?x=1'), context))
    expect(requested).toEqual(['http://files.example:8080/data/table%20one.csv?x=1'])
    expect(tree.kind).toBe('dir')
    expect(tree.kind === 'dir' && [...tree.entries.keys()]).toEqual(['table one.csv'])
    expect(tree.kind === 'dir' && text(tree.entries.get('table one.csv'))).toBe('a,b\n1,2\n')

    const root = inMemory(await storage.prepare(download('http://files.example:8080/'), context))
    expect(root.kind === 'dir' && [...root.entries.keys()]).toEqual(['download'])
  })

  it('says which URL answered 404 and which field to check', async () => {
    const storage = new UrlDownloadStorage({ fetch: async () => new Response('no', { status: 404, statusText: 'Not Found' }) })
    const error = await storage.prepare(download('http://files.example:8080/missing.csv'), { ...context, inputIndex: 2 }).catch((e) => e)
    expect(error).toBeInstanceOf(StorageError)
    expect(error.message).toBe('GET http://files.example:8080/missing.csv answered 404 Not Found — check the URL in InputSources[2].Source.Params.URL')
  })

  it('reports an unreachable host', async () => {
    const storage = new UrlDownloadStorage({
      fetch: async () => {
        throw new TypeError('fetch failed')
      },
    })
    const error = await storage.prepare(download('http://files.example:1/x'), { ...context, inputIndex: 0 }).catch((e) => e)
    expect(error).toBeInstanceOf(StorageError)
    expect(error.message).toBe('GET http://files.example:1/x failed: the server could not be reached (fetch failed)')
    expect(error.hint).toContain('InputSources[0].Source.Params.URL')
  })

  it('refuses downloads over the size cap, declared or streamed', async () => {
    const declared = new UrlDownloadStorage({
      maxBytes: 10,
      fetch: async () => new Response('0123456789abc', { headers: { 'content-length': '13' } }),
    })
    await expect(declared.prepare(download('http://files.example/big'), context)).rejects.toThrow('GET http://files.example/big is larger than the 10 bytes this node downloads')

    let pulled = 0
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(new Uint8Array(4))
      },
    })
    const streamed = new UrlDownloadStorage({ maxBytes: 10, fetch: async () => new Response(endless) })
    await expect(streamed.prepare(download('http://files.example/endless'), context)).rejects.toThrow(/larger than the 10 bytes/)
    expect(pulled).toBeLessThan(10)
  })

  it('gives up after its timeout', async () => {
    const storage = new UrlDownloadStorage({
      timeoutMs: 5,
      fetch: (_input, init) =>
        new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason), { once: true })),
    })
    await expect(storage.prepare(download('http://files.example/slow'), context)).rejects.toThrow('GET http://files.example/slow took longer than 5 ms')
  })

  it('stops when its caller aborts', async () => {
    const controller = new AbortController()
    const storage = new UrlDownloadStorage({
      fetch: (_input, init) => {
        queueMicrotask(() => controller.abort(new Error('cancelled by test')))
        return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason), { once: true }))
      },
    })
    await expect(storage.prepare(download('http://files.example/x'), { ...context, signal: controller.signal })).rejects.toThrow('cancelled by test')
  })

  it('validates the spec for bidding', () => {
    const storage = new UrlDownloadStorage({ fetch: async () => new Response('') })
    expect(storage.validate({ Type: 'urlDownload', Params: { URL: 'ftp://host/x' } })).toEqual(['Params.URL: ftp: URLs are not supported; use http or https'])
    expect(storage.validate({ Type: 'urlDownload', Params: { URL: 'http://files.example/x' } })).toEqual([])
  })
})
