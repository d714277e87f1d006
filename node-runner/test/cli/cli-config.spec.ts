import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/cli/cli-config.ts'
import { runCli } from '../../src/cli/program.ts'
import { memoryIo } from './cli-harness.ts'

const resolve = (init: { file?: Record<string, string>; env?: Record<string, string>; flags?: Record<string, string> }) =>
  resolveConfig({ file: init.file ?? {}, env: init.env ?? {}, flags: init.flags ?? {}, path: '/x/config.yaml' })

describe('configuration precedence: flag > env > file > default', () => {
  it('defaults to http://127.0.0.1:1234', () => {
    expect(resolve({}).apiUrl).toEqual({ value: 'http://127.0.0.1:1234', source: 'default' })
  })

  it('takes host/port from the file, the env over the file, a flag over the env', () => {
    const file = { 'api.host': 'file-host', 'api.port': '1111' }
    expect(resolve({ file }).apiUrl).toEqual({ value: 'http://file-host:1111', source: 'file' })
    const env = { BACALHAU_API_HOST: 'env-host' }
    expect(resolve({ file, env }).apiUrl.value).toBe('http://env-host:1111')
    expect(resolve({ file, env, flags: { 'api.port': '3333' } }).apiUrl).toEqual({ value: 'http://env-host:3333', source: 'flag' })
  })

  it('a URL wins over host/port from the same or a lower source, not a higher one', () => {
    expect(resolve({ env: { SHOAL_API_URL: 'https://shoal.example.com/' }, file: { 'api.host': 'h' } }).apiUrl.value).toBe('https://shoal.example.com')
    expect(resolve({ file: { 'api.url': 'http://from-file:1' }, env: { BACALHAU_API_PORT: '2222' } }).apiUrl.value).toBe('http://127.0.0.1:2222')
    expect(resolve({ env: { SHOAL_API_URL: 'http://e:1' }, flags: { 'api.url': 'http://f:2' } }).apiUrl).toEqual({ value: 'http://f:2', source: 'flag' })
  })

  it('refuses a bad port with where it came from', () => {
    expect(() => resolve({ env: { BACALHAU_API_PORT: 'http' } })).toThrow(/api.port \(from env\): must be a port number/)
  })
})

describe('shoal config set / list', () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  it('writes $SHOAL_DIR/config.yaml and lists each value with its source', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shoal-config-'))
    dirs.push(dir)
    const env = { SHOAL_DIR: dir, BACALHAU_API_PORT: '4444' }
    const set = memoryIo({ env })
    expect(await runCli(['config', 'set', 'API.Host', '10.1.2.3'], { io: set })).toBe(0)
    expect(await readFile(join(dir, 'config.yaml'), 'utf8')).toBe('api:\n  host: 10.1.2.3\n')
    expect(await runCli(['config', 'set', 'api.token', 'secret'], { io: memoryIo({ env }) })).toBe(0)

    const list = memoryIo({ env })
    expect(await runCli(['config', 'list', '--output', 'csv'], { io: list })).toBe(0)
    expect(list.stdout.text).toBe(
      [
        'KEY,VALUE,SOURCE',
        'api.host,10.1.2.3,file',
        'api.port,4444,env',
        'api.url,,',
        'api.token,********,file',
        '(requester),http://10.1.2.3:4444,env',
        `(file),${join(dir, 'config.yaml')},`,
        '',
      ].join('\n'),
    )
    const withFlag = memoryIo({ env })
    await runCli(['--api-url', 'http://flag:9', 'config', 'list', '--output', 'json'], { io: withFlag })
    expect(JSON.parse(withFlag.stdout.text)).toContainEqual({ Key: '(requester)', Value: 'http://flag:9', Source: 'flag', Description: 'The API URL in use' })
  })

  it('refuses unknown keys and bad values, exit 1', async () => {
    const io = memoryIo({ env: { SHOAL_DIR: '/nonexistent/dir' } })
    expect(await runCli(['config', 'set', 'api.colour', 'blue'], { io })).toBe(1)
    expect(io.stderr.text).toContain('api.colour: unknown configuration key; known keys: api.host, api.port, api.url, api.token')
    const port = memoryIo({ env: { SHOAL_DIR: '/nonexistent/dir' } })
    expect(await runCli(['config', 'set', 'api.port', 'abc'], { io: port })).toBe(1)
    expect(port.stderr.text).toContain('api.port: must be a port number')
  })
})
