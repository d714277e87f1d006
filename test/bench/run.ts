/**
 * `npm run bench [-- <group>...] [--quick]`: measures the speed and memory targets of issues 3,
 * 4, 5, 11, 12, 13 and 15 and prints a table, then the JSON report, on stdout (progress on stderr). Each group's
 * report is kept in test/bench/results/<group>-<time>.json, and the whole run in latest.json.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os'
import type { BenchContext, BenchGroup } from './bench-group.ts'
import { bitswapGroup } from './bitswap-group.ts'
import { browserGroup } from './browser-group.ts'
import { dataGroup } from './data-group.ts'
import { devstackGroup } from './devstack-group.ts'
import { dockerGroup } from './docker-group.ts'
import { edgeGroup } from './edge-group.ts'
import { engineGroup } from './engine-group.ts'
import { orchestratorGroup } from './orchestrator-group.ts'
import { s3Group } from './s3-group.ts'
import { verifyGroup } from './verify-group.ts'
import { renderTable, toRecord, type BenchFigure, type BenchFigureRecord } from './report.ts'

const GROUPS: BenchGroup[] = [orchestratorGroup, engineGroup, devstackGroup, dockerGroup, browserGroup, bitswapGroup, dataGroup, s3Group, verifyGroup, edgeGroup]
const RESULTS = new URL('./results/', import.meta.url)

/** The JSON report of one group. */
interface GroupReport {
  group: string
  startedAt: string
  seconds: number
  figures: BenchFigureRecord[]
  notes: string[]
  /** 1-minute load average at the start and the end: other work on the machine skews every figure. */
  loadAverage: { start: number; end: number }
  /** Set when the group failed; its figures are whatever it produced before (none). */
  error?: string
}

function usage(): string {
  return [
    'usage: npm run bench [-- <group>...] [--quick]',
    '  groups (default: all):',
    ...GROUPS.map((g) => `    ${g.name.padEnd(13)} ${g.summary}`),
    '  --quick       about a tenth of the work, to check that the harness runs',
  ].join('\n')
}

function parseArgs(argv: string[]): { groups: BenchGroup[]; quick: boolean } {
  let quick = false
  const names: string[] = []
  for (const arg of argv) {
    if (arg === '--quick') quick = true
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(usage() + '\n')
      process.exit(0)
    } else names.push(arg)
  }
  const unknown = names.filter((n) => !GROUPS.some((g) => g.name === n))
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown group ${unknown.map((n) => JSON.stringify(n)).join(', ')}\n${usage()}\n`)
    process.exit(2)
  }
  return { groups: names.length === 0 ? GROUPS : GROUPS.filter((g) => names.includes(g.name)), quick }
}

/** A file-name-safe ISO time, e.g. 2025-01-31T12-00-00Z. */
const fileTime = (date: Date): string => date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')

async function main(): Promise<void> {
  const { groups, quick } = parseArgs(process.argv.slice(2))
  const abort = new AbortController()
  process.once('SIGINT', () => {
    process.stderr.write('bench: interrupted, stopping…\n')
    abort.abort()
  })
  const reports: GroupReport[] = []
  const figures: BenchFigure[] = []
  for (const group of groups) {
    const started = new Date()
    const notes: string[] = []
    const context: BenchContext = {
      progress: (line) => process.stderr.write(`[${((Date.now() - started.getTime()) / 1000).toFixed(1)} s] ${line}\n`),
      note: (line) => notes.push(line),
      quick,
      signal: abort.signal,
    }
    context.progress(`${group.name}: ${group.summary}`)
    const report: GroupReport = { group: group.name, startedAt: started.toISOString(), seconds: 0, figures: [], notes, loadAverage: { start: loadavg()[0], end: 0 } }
    if (report.loadAverage.start > availableParallelism() / 2) {
      notes.push(`${group.name}: the machine was busy when it started (load average ${report.loadAverage.start.toFixed(1)} on ${availableParallelism()} cores); figures are lower than on an idle machine`)
    }
    try {
      const produced = await group.run(context)
      report.figures = produced.map(toRecord)
      figures.push(...produced)
    } catch (error) {
      report.error = error instanceof Error ? (error.stack ?? error.message) : String(error)
      notes.push(`${group.name} FAILED: ${error instanceof Error ? error.message : String(error)}`)
      process.exitCode = 1
    }
    report.seconds = (Date.now() - started.getTime()) / 1000
    report.loadAverage.end = loadavg()[0]
    reports.push(report)
    await mkdir(RESULTS, { recursive: true })
    await writeFile(new URL(`${group.name}-${fileTime(started)}.json`, RESULTS), JSON.stringify(report, null, 2) + '\n')
    if (abort.signal.aborted) break
  }

  const run = {
    finishedAt: new Date().toISOString(),
    command: ['npm run bench --', ...process.argv.slice(2)].join(' '),
    quick,
    machine: { node: process.version, cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', memoryBytes: totalmem() },
    groups: reports,
  }
  await writeFile(new URL('latest.json', RESULTS), JSON.stringify(run, null, 2) + '\n')

  const out: string[] = []
  for (const report of reports) for (const note of report.notes) out.push(note)
  if (figures.length > 0) {
    out.push(renderTable(figures), '')
    for (const figure of figures) if (figure.notes) out.push(`${figure.id}: ${figure.notes}`)
  }
  out.push('', JSON.stringify(run, null, 2))
  process.stdout.write(out.join('\n') + '\n')
}

await main()
