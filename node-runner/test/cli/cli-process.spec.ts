import { execFileSync, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { FIXTURES, REPO_ROOT, runShoal } from './cli-harness.ts'

const VERSION = (JSON.parse(await readFile(join(FIXTURES, '../../../package.json'), 'utf8')) as { version: string }).version

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('shoal as a child process', { timeout: 30_000 }, () => {
  it('version --client prints the client version without contacting a requester', async () => {
    const run = await runShoal(['version', '--client', '--no-style'], { env: { SHOAL_API_URL: 'http://127.0.0.1:9' } })
    expect(run.code).toBe(0)
    expect(run.stdout).toBe(`CLIENT\nv${VERSION}\n`)
    expect(run.stderr).toBe('')
  })

  it("works through a symlink on PATH, from another directory, started by the machine's own node (Node 20 here): it re-runs under the clone's Node 24", async () => {
    const bin = await mkdtemp(join(tmpdir(), 'shoal-path-'))
    try {
      await symlink(join(REPO_ROOT, 'node_modules/.bin/shoal'), join(bin, 'shoal'))
      // PATH as a user's shell has it: no node_modules/.bin, so `node` is the machine's.
      const systemPath = (process.env.PATH ?? '').split(':').filter((dir) => !dir.includes('node_modules')).join(':')
      const machineNode = execFileSync('node', ['--version'], { env: { PATH: systemPath }, encoding: 'utf8' }).trim()
      const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(join(bin, 'shoal'), ['version', '--client', '--no-style'], { cwd: bin, env: { PATH: `${bin}:${systemPath}`, HOME: bin }, stdio: ['ignore', 'pipe', 'pipe'] })
        let stdout = ''
        let stderr = ''
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
        child.on('error', reject)
        child.on('close', (code) => resolve({ code, stdout, stderr }))
      })
      expect(run.stderr, `machine node ${machineNode}`).toBe('')
      expect(run.code).toBe(0)
      expect(run.stdout).toBe(`CLIENT\nv${VERSION}\n`)
    } finally {
      await rm(bin, { recursive: true, force: true })
    }
  })

  it('job validate accepts a valid file with a one-line summary', async () => {
    const run = await runShoal(['job', 'validate', join(FIXTURES, 'valid-job.yaml')])
    expect(run.code).toBe(0)
    expect(run.stdout).toBe(`${join(FIXTURES, 'valid-job.yaml')}: valid batch job "hello" (wasm, 1 task, Count 1)\n`)
  })

  it('job validate names every problem with its field path and exits 1, without a stack trace', async () => {
    const run = await runShoal(['job', 'validate', join(FIXTURES, 'invalid-job.yaml')])
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/^Error: the input has 4 problems:/)
    for (const path of ['Type:', 'Tasks[0].Engine.Params.Image:', 'Tasks[0].Resources.Memory:', 'Tasks[0].ResultPaths[0].Path:']) {
      expect(run.stderr).toContain(`  ${path}`)
    }
    expect(run.stderr).toContain('sideways')
    expect(run.stderr).not.toMatch(/\n\s+at /)
  })

  it('job validate reads stdin with `-` and prints warnings to stderr', async () => {
    const text = await readFile(join(FIXTURES, 'warning-job.yaml'), 'utf8')
    const run = await runShoal(['job', 'validate', '-'], { stdin: text })
    expect(run.code).toBe(0)
    expect(run.stdout).toBe('stdin: valid batch job "noisy" (wasm, 1 task, Count 1)\n')
    expect(run.stderr).toContain('Warning: Meta["bacalhau.org/requester"]: keys starting with bacalhau.org/ are reserved for the orchestrator; removed')
  })

  it('job validate refuses a misspelt field, naming it, as `bacalhau job validate` does (exit 1)', async () => {
    const run = await runShoal(['job', 'validate', '-'], { stdin: 'Type: batch\nContraints: []\nTasks: [{Name: main, Engine: {Type: noop}}]\n' })
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain('Contraints: unknown field: check its spelling and where it sits in the job model')
  })

  it('job validate fills {{.Var}} placeholders as job run does, and names one with no value', async () => {
    const spec = 'Name: {{.name}}\nType: batch\nTasks: [{Name: main, Engine: {Type: noop}}]\n'
    const filled = await runShoal(['job', 'validate', '-', '-V', 'name=nightly'], { stdin: spec })
    expect(filled.code).toBe(0)
    expect(filled.stdout).toBe('stdin: valid batch job "nightly" (noop, 1 task, Count 1)\n')
    const unfilled = await runShoal(['job', 'validate', '-'], { stdin: spec })
    expect(unfilled.code).toBe(1)
    expect(unfilled.stderr).toContain('no value for {{.name}}; pass --template-vars name=VALUE')
    expect(unfilled.stderr).not.toContain('Warning: Keys with collection values')
  })

  it('a missing job file is one clear line and exit 1', async () => {
    const run = await runShoal(['job', 'validate', 'no-such-job.yaml'])
    expect(run.code).toBe(1)
    expect(run.stderr).toBe('Error: cannot read no-such-job.yaml: no such file. Check the path, or pass `-` to read the spec from stdin.\n')
  })

  it('an unreachable requester says where it looked and what to do, exit 3', async () => {
    const port = await closedPort()
    const run = await runShoal(['job', 'list'], { env: { BACALHAU_API_PORT: String(port) } })
    expect(run.code).toBe(3)
    expect(run.stderr).toBe(
      `Error: cannot reach the Shoal requester at http://127.0.0.1:${port} — start one with \`npm start\` or \`shoal devstack\`, or point SHOAL_API_URL at yours\n`,
    )
  })

  it('unknown flags and malformed numbers are usage errors, exit 2', async () => {
    const bogus = await runShoal(['job', 'list', '--bogus'])
    expect(bogus.code).toBe(2)
    expect(bogus.stderr).toContain("Error: unknown option '--bogus'")
    const limit = await runShoal(['job', 'list', '--limit', 'ten'])
    expect(limit.code).toBe(2)
    expect(limit.stderr).toContain('--limit must be a whole number')
    const missing = await runShoal(['job', 'describe'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("missing required argument 'id'")
    const unknown = await runShoal(['jbo'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("unknown command 'jbo'")
  })

  it("Bacalhau's spellings parse: rerun --wait=false, logs -e/-t, history --all-versions, node list lower-case filters (they reach the requester: exit 3, not 2)", async () => {
    const port = String(await closedPort())
    for (const args of [
      ['job', 'rerun', 'j-1234abcd', '--wait=false', '-v', '1'],
      ['job', 'rerun', 'j-1234abcd', '--wait-timeout-secs', '5', '--id-only', '-f', '--node-details', '--group-events'],
      ['job', 'logs', 'j-1234abcd', '-e', 'e-1', '-t', '--namespace', 'dev'],
      ['job', 'history', 'j-1234abcd', '--all-versions', '--pretty', '--output', 'json'],
      ['job', 'versions', 'j-1234abcd'],
      ['node', 'list', '--filter-approval', 'approved', '--filter-status', 'connected', '--show', 'labels,version'],
    ]) {
      const run = await runShoal(args, { env: { BACALHAU_API_PORT: port } })
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(3)
    }
  })

  it('shoal --version prints the client version; job describe --version takes a job version', async () => {
    const version = await runShoal(['--version'])
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^v\d+\.\d+\.\d+\S*\n$/) })
    const missing = await runShoal(['job', 'describe', 'j-1234abcd', '--version'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("option '-v, --version <n>' argument missing")
  })

  it('--help lists the verbs, and each command has examples', async () => {
    const root = await runShoal(['--help'])
    expect(root.code).toBe(0)
    for (const verb of ['version', 'job', 'wasm', 'node', 'agent', 'config', 'serve', 'devstack']) expect(root.stdout).toMatch(new RegExp(`\\n  ${verb}\\b`))
    expect(root.stdout).toContain('Exit codes:')
    const run = await runShoal(['job', 'run', '--help'])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Examples:')
    expect(run.stdout).toContain('--template-vars')
    const wasm = await runShoal(['wasm', 'run', '--help'])
    expect(wasm.stdout).toContain('--deterministic')
    expect(wasm.stdout).toMatch(/local \(default here/)
  })

  it('wasm run --dry-run prints the job with the module inline, without a requester', async () => {
    const port = await closedPort()
    const run = await runShoal(['wasm', 'run', join(FIXTURES, 'tiny.wasm'), 'x', '--dry-run', '-e', 'A=1'], { env: { BACALHAU_API_PORT: String(port) } })
    expect(run.code).toBe(0)
    const job = parseYaml(run.stdout) as { Type: string; Tasks: { Engine: { Params: { EntryModule: string; Parameters: string[] } }; InputSources: { Source: { Type: string; Params: { URL: string } }; Target: string }[]; Env: Record<string, string>; Publisher: { Type: string } }[] }
    expect(job.Type).toBe('batch')
    expect(job.Tasks[0].Engine.Params.EntryModule).toBe('/app/tiny.wasm')
    expect(job.Tasks[0].Engine.Params.Parameters).toEqual(['x'])
    expect(job.Tasks[0].InputSources[0]).toMatchObject({ Source: { Type: 'inline', Params: { URL: 'data:application/octet-stream;base64,AGFzbQEAAAA=' } }, Target: '/app/tiny.wasm' })
    expect(job.Tasks[0].Env).toEqual({ A: '1' })
    expect(job.Tasks[0].Publisher.Type).toBe('local')
  })

  it('job run --dry-run fills template variables and rejects unknown ones', async () => {
    const spec = (await readFile(join(FIXTURES, 'valid-job.yaml'), 'utf8')).replace('Name: hello', 'Name: "{{.who}}"')
    const ok = await runShoal(['job', 'run', '-', '--dry-run', '--template-vars', 'who=world'], { stdin: spec })
    expect(ok.code).toBe(0)
    expect((parseYaml(ok.stdout) as { Name: string }).Name).toBe('world')
    const missing = await runShoal(['job', 'run', '-', '--dry-run'], { stdin: spec })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('no value for {{.who}}; pass --template-vars who=VALUE')
  })
})
