// A `local` input allow-listed :rw: what the job writes into it lands on the compute node's host.
import { readdir, readFile, realpath, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { killAllShoals, removeTempDirs, runShoal, startDevstack, tempDir, wasmFixture, type RequesterProcess } from '../support/index.ts'

let stack: RequesterProcess
let scratch: string

beforeAll(async () => {
  scratch = await realpath(await tempDir('shoal-rw-'))
  await writeFile(join(scratch, 'existing.txt'), 'already here\n')
  stack = await startDevstack({ computes: 1, args: ['--allow-listed-local-paths', `${scratch}:rw`] })
})

afterAll(async () => {
  await stack?.process.stop()
  await killAllShoals()
  await removeTempDirs()
})

describe('a read-write local input', () => {
  it('writes what the job wrote into -i file://DIR,dst=/data,opt=rw=true back to DIR on the host', async () => {
    const run = await runShoal(
      ['wasm', 'run', wasmFixture('write-file'), '-i', `file://${scratch},dst=/data,opt=rw=true`, '--', '/data/results/out.txt', 'written by the job'],
      { env: stack.env },
    )
    expect(run.stderr).toContain('Job successfully submitted')
    expect(run.code).toBe(0)
    expect(run.stdout).toBe('wrote /data/results/out.txt\n')
    expect(await readFile(join(scratch, 'results', 'out.txt'), 'utf8')).toBe('written by the job')
    expect((await readdir(scratch)).sort()).toEqual(['existing.txt', 'results'])
    expect(await readFile(join(scratch, 'existing.txt'), 'utf8')).toBe('already here\n')
  })
})
