/** Runs a browser scenario (scenarios/<name>.ts) in a loopback-only network namespace. */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { ROOT } from './scenarios/scenario-kit.ts'

/** What a scenario printed: its JSON findings, and its progress log. */
export interface ScenarioRun<T> {
  findings: T
  log: string
  ms: number
}

/**
 * Spawns `node test/browser/scenarios/<name>.ts` under `unshare -n` (with `-r` when not root)
 * and parses the JSON line it prints last. Rejects with the scenario's error and log.
 */
export function runScenario<T>(name: string, options: { timeoutMs?: number } = {}): Promise<ScenarioRun<T>> {
  const script = join(ROOT, 'test/browser/scenarios', `${name}.ts`)
  const unshare = process.getuid?.() === 0 ? ['-n'] : ['-r', '-n']
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', [...unshare, 'sh', '-c', `ip link set lo up && exec "${process.execPath}" "${script}"`], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 200_000)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(new Error(`cannot start the ${name} scenario (unshare needed): ${err.message}`))
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const last = stdout.trim().split('\n').at(-1) ?? ''
      let parsed: { error?: string } | undefined
      try {
        parsed = JSON.parse(last) as { error?: string }
      } catch {}
      if (code !== 0 || parsed === undefined || parsed.error !== undefined) {
        reject(new Error(`scenario ${name} failed (exit ${code ?? signal}): ${parsed?.error ?? 'no findings printed'}\n--- log ---\n${stderr.slice(-6000)}`))
        return
      }
      resolve({ findings: parsed as T, log: stderr, ms: Date.now() - started })
    })
  })
}
