/**
 * Measures a requester's REST API from outside: job submissions one at a time (p50/p99), job
 * reads (p50), then submissions with 32 in flight (per second). Every job waits for compute
 * nodes (QueueTimeout 3600 s), so it measures the requester alone. Point it at a requester you
 * started on loopback (`npm run dev -w edge`, `shoal serve --orchestrator`); it leaves 1,110
 * queued jobs there.
 *
 *   node edge/scripts/measure-api.ts http://127.0.0.1:8787
 */
const base = process.argv[2]
if (base === undefined || !/^https?:\/\//.test(base)) {
  console.error('usage: node edge/scripts/measure-api.ts <requester URL, e.g. http://127.0.0.1:8787>')
  process.exit(2)
}
const SEQUENTIAL = 100
const CONCURRENT_JOBS = 1000
const IN_FLIGHT = 32
// The smallest WASM module (header only): the job is never run, only stored and scheduled.
const MODULE = 'data:application/wasm;base64,AGFzbQEAAAA='
const run = Math.random().toString(36).slice(2, 8)

function spec(name: string): unknown {
  return {
    Job: {
      Name: name,
      Type: 'batch',
      Count: 1,
      Tasks: [
        {
          Name: 'main',
          Engine: { Type: 'wasm', Params: { EntryModule: '/app/m.wasm' } },
          InputSources: [{ Target: '/app/m.wasm', Source: { Type: 'inline', Params: { URL: MODULE } } }],
          Timeouts: { QueueTimeout: 3600 },
        },
      ],
    },
  }
}

async function put(name: string): Promise<void> {
  const res = await fetch(`${base}/api/v1/orchestrator/jobs`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec(name)) })
  if (res.status !== 200) throw new Error(`PUT ${name}: HTTP ${res.status} ${await res.text()}`)
  await res.arrayBuffer()
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const start = performance.now()
  await fn()
  return performance.now() - start
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]

for (let index = 0; index < 10; index++) await put(`warm-${run}-${index}`)
const puts: number[] = []
for (let index = 0; index < SEQUENTIAL; index++) puts.push(await timed(() => put(`seq-${run}-${index}`)))
const gets: number[] = []
for (let index = 0; index < SEQUENTIAL; index++) {
  gets.push(await timed(async () => void (await (await fetch(`${base}/api/v1/orchestrator/jobs/seq-${run}-${index}`)).arrayBuffer())))
}
puts.sort((a, b) => a - b)
gets.sort((a, b) => a - b)
let next = 0
const seconds =
  (await timed(async () => {
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < CONCURRENT_JOBS) await put(`par-${run}-${next++}`)
      }),
    )
  })) / 1000
console.log(
  JSON.stringify({
    putP50Ms: +percentile(puts, 50).toFixed(1),
    putP99Ms: +percentile(puts, 99).toFixed(1),
    getP50Ms: +percentile(gets, 50).toFixed(1),
    submissionsPerSecond: Math.round(CONCURRENT_JOBS / seconds),
    inFlight: IN_FLIGHT,
  }),
)
