// What the docker engine's disk watch counts: real files on the machine's filesystem.
import { mkdir, mkdtemp, open, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { directoryUsage, ENTRY_FLOOR_BYTES } from '../src/storage/directory-usage.ts'

let root: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'shoal-directory-usage-'))
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('directoryUsage', () => {
  it('counts files in nested directories, a sparse file at its length, and every entry at least the floor', async () => {
    const dir = join(root, 'tree')
    await mkdir(join(dir, 'sub', 'deeper'), { recursive: true })
    await writeFile(join(dir, 'sub', 'deeper', 'data.bin'), new Uint8Array(100_000))
    // 64 MiB long, almost nothing allocated: published (tarred) at its length all the same.
    const sparse = await open(join(dir, 'sparse.bin'), 'w')
    await sparse.truncate(64 * 1024 * 1024)
    await sparse.close()
    for (let i = 0; i < 10; i++) await writeFile(join(dir, `empty-${i}`), '')
    const used = await directoryUsage([dir])
    expect(used).toBeGreaterThanOrEqual(64 * 1024 * 1024 + 100_000 + 10 * ENTRY_FLOOR_BYTES)
    // Two directories and some block rounding, no more.
    expect(used).toBeLessThan(64 * 1024 * 1024 + 100_000 + 10 * ENTRY_FLOOR_BYTES + 64 * 1024)
  })

  it('counts a link, never what it points to', async () => {
    const dir = join(root, 'links')
    await mkdir(dir)
    await writeFile(join(root, 'outside.bin'), new Uint8Array(1024 * 1024))
    await symlink(join(root, 'outside.bin'), join(dir, 'link'))
    await symlink(root, join(dir, 'loop'))
    expect(await directoryUsage([dir])).toBeLessThan(64 * 1024)
  })

  it('stops walking once past stopAbove, and reads a missing root as empty', async () => {
    const dir = join(root, 'many')
    await mkdir(dir)
    for (let i = 0; i < 200; i++) await writeFile(join(dir, `f-${i}`), new Uint8Array(1000))
    const cut = await directoryUsage([dir], { stopAbove: 10_000 })
    expect(cut).toBeGreaterThan(10_000)
    expect(cut).toBeLessThan(200 * 1000)
    expect(await directoryUsage([join(root, 'no-such-dir')])).toBe(0)
  })
})
