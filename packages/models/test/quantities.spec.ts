import { describe, expect, it } from 'vitest'
import { formatBinaryBytes, formatBytes, formatResources, parseBytes, parseCpu, parseResources, ValidationError } from '../src/index.ts'

describe('parseCpu (k8sresource semantics)', () => {
  it.each([
    ['500m', 0.5],
    ['500M', 0.5],
    ['0.5', 0.5],
    ['2', 2],
    ['1.5', 1.5],
    ['.25', 0.25],
    ['1000m', 1],
    ['1e1', 10],
    [' 250 m', 0.25],
    ['0.0005', 0],
    ['1.005', 1.004], // Go's int(f * 1000) truncates the float product 1004.9999…
  ])('%j = %d cores', (text, cores) => {
    expect(parseCpu(text)).toBe(cores)
  })

  it.each(['', 'abc', '1.5m', 'm', '1 core', 'inf', '0x10'])('rejects %j with a hint', (text) => {
    expect(() => parseCpu(text)).toThrow(/millicores/)
  })
})

describe('parseBytes (go-humanize semantics: no i = decimal, i = binary)', () => {
  it.each([
    ['512Mb', 512_000_000],
    ['512MB', 512_000_000],
    ['512m', 512_000_000],
    ['1Gi', 2 ** 30],
    ['1GiB', 2 ** 30],
    ['1.5GB', 1_500_000_000],
    ['100', 100],
    ['100b', 100],
    ['1kb', 1000],
    ['1Ki', 1024],
    ['1,000', 1000],
    ['2 GB', 2_000_000_000],
    ['1.5', 1],
    ['1Ti', 2 ** 40],
  ])('%j = %d bytes', (text, bytes) => {
    expect(parseBytes(text)).toBe(bytes)
  })

  it.each(['', '1e3', '-5', 'lots', '5 parsecs', '1.2.3', 'GB'])('rejects %j', (text) => {
    expect(() => parseBytes(text)).toThrow(ValidationError)
  })
})

describe('parseResources', () => {
  it('parses every field and treats absent ones as 0', () => {
    expect(parseResources({ CPU: '500m', Memory: '1Gi', GPU: '1' })).toEqual({ CPU: 0.5, Memory: 2 ** 30, Disk: 0, GPU: 1 })
  })

  it('names every invalid field', () => {
    try {
      parseResources({ CPU: 'x', Memory: 'y', Disk: '1Gb', GPU: '1.5' })
      expect.unreachable()
    } catch (error) {
      expect((error as ValidationError).issues.map((issue) => issue.path)).toEqual(['CPU', 'Memory', 'GPU'])
    }
  })

  it('rejects negative CPU', () => {
    expect(() => parseResources({ CPU: '-1' })).toThrow(/negative/)
  })
})

describe('formatBytes (go-humanize Bytes)', () => {
  it.each([
    [0, '0 B'],
    [5, '5 B'],
    [999, '999 B'],
    [1000, '1.0 kB'],
    [1536, '1.5 kB'],
    [512_000_000, '512 MB'],
    [2_000_000_000, '2.0 GB'],
    [2 ** 30, '1.1 GB'],
    [15_000_000, '15 MB'],
  ])('%d -> %j', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text)
  })

  it('formats resources like Bacalhau', () => {
    expect(formatResources({ CPU: 0.5, Memory: 512_000_000, Disk: 0, GPU: 0 })).toBe('{CPU: 0.50, Memory: 512 MB, Disk: 0 B, GPU: 0}')
  })
})

describe('formatBinaryBytes (progress figures)', () => {
  const KiB = 1024
  const MiB = 1024 * KiB
  const GiB = 1024 * MiB
  it('formats bytes in binary units, floored, one decimal below 100 of a unit', () => {
    expect(formatBinaryBytes(0)).toBe('0 B')
    expect(formatBinaryBytes(1023)).toBe('1023 B')
    expect(formatBinaryBytes(1024)).toBe('1.0 KiB')
    expect(formatBinaryBytes(12.56 * MiB)).toBe('12.5 MiB')
    expect(formatBinaryBytes(512 * MiB)).toBe('512 MiB')
    expect(formatBinaryBytes(1023.99 * MiB)).toBe('1023 MiB')
    expect(formatBinaryBytes(2 * GiB)).toBe('2.0 GiB')
    expect(formatBinaryBytes(3 * 1024 * GiB)).toBe('3.0 TiB')
    expect(formatBinaryBytes(99.97 * MiB)).toBe('99.9 MiB')
    expect(formatBinaryBytes(-5)).toBe('0 B')
  })
})
