import { describe, expect, it } from 'vitest'
import { ExecutionState, shortId, TimeoutError, type Execution, type Job } from '@shoal/models'
import { createClient } from '@shoal/client'
import { createRequesterApp } from '@shoal/orchestrator'
import { FakeRequesterService } from '../../../packages/orchestrator/test/api/helpers/fake-requester-service.ts'
import { jobSpec } from '../../../packages/orchestrator/test/api/helpers/fixtures.ts'
import { waitForJob } from '../../src/cli/job-progress.ts'
import { memoryIo } from './cli-harness.ts'

const job = (state: string): Job => ({ ID: 'j-11111111-2222-4333-8444-555555555555', Type: 'batch', State: { StateType: state } }) as unknown as Job
const execution = (state: number): Execution => ({ ID: 'e-1', ComputeState: { StateType: state } }) as unknown as Execution

/** A getJob that walks through the given states, one per poll, then stays on the last. */
function scripted(states: [string, number][]) {
  let i = 0
  return {
    polls: () => i,
    getJob: async () => {
      const [jobState, execState] = states[Math.min(i++, states.length - 1)]
      return { Job: job(jobState), Executions: { Items: [execution(execState)], NextToken: '' } }
    },
  }
}

describe('waiting for a job', () => {
  it('prints one line per change when stderr is not a terminal', async () => {
    const io = memoryIo()
    const api = scripted([['Pending', ExecutionState.AskForBid], ['Running', ExecutionState.Running], ['Running', ExecutionState.Running], ['Completed', ExecutionState.Completed]])
    const result = await waitForJob(api as never, 'j-11111111-2222-4333-8444-555555555555', io, { timeoutSeconds: 60, progress: true })
    expect(result.job.State.StateType).toBe('Completed')
    expect(io.stderr.text).toBe('Job j-11111111  Pending  (1 AskForBid)\nJob j-11111111  Running  (1 Running)\nJob j-11111111  Completed  (1 Completed)\n')
  })

  it('redraws a single line on a terminal and ends it with a newline', async () => {
    const io = memoryIo()
    io.stderr.isTTY = true
    const api = scripted([['Running', ExecutionState.Running], ['Completed', ExecutionState.Completed]])
    await waitForJob(api as never, 'j-11111111-2222-4333-8444-555555555555', io, { timeoutSeconds: 60, progress: true })
    const frames = io.stderr.text.split('\r\u001b[2K').filter((f) => f !== '')
    expect(frames).toHaveLength(3)
    expect(frames[0]).toMatch(/^⠋ Job j-11111111 {2}Running/)
    expect(frames[2]).toMatch(/^Job j-11111111 {2}Completed {2}\(1 Completed\) {2}[\d.]+s\n$/)
  })

  it('gives up after the timeout with what to do, and polls a bounded number of times', async () => {
    const io = memoryIo()
    const api = scripted([['Queued', ExecutionState.AskForBidRejected]])
    const error = await waitForJob(api as never, 'j-11111111-2222-4333-8444-555555555555', io, { timeoutSeconds: 5, progress: false }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as Error).message).toBe('gave up waiting for job j-11111111 after 5s; it keeps running')
    expect(api.polls()).toBe(11)
    expect(io.stderr.text).toBe('')
  })

  it("shows a queued job's current reason on its progress line, one line per new reason, ending on the final state", async () => {
    const io = memoryIo()
    const messages = [
      ['Queued', 'queued: no compute node has joined yet; waiting up to 1 min (QueueTimeout) for nodes to join or free up'],
      ['Queued', 'queued: 0 of 1 node can run it — 1 lacks engine docker (it offers noop, wasm); waiting up to 1 min (QueueTimeout) for nodes to join or free up'],
      ['Queued', 'queued: 0 of 1 node can run it — 1 lacks engine docker (it offers noop, wasm); waiting up to 1 min (QueueTimeout) for nodes to join or free up'],
      ['Failed', 'no node could take the job within its QueueTimeout of 1 min: 0 of 1 node can run it — 1 lacks engine docker (it offers noop, wasm)'],
    ]
    let i = 0
    const api = {
      getJob: async () => {
        const [state, message] = messages[Math.min(i++, messages.length - 1)]
        return { Job: { ...job(state), State: { StateType: state, Message: message } }, Executions: { Items: [], NextToken: '' } }
      },
    }
    const result = await waitForJob(api as never, 'j-11111111-2222-4333-8444-555555555555', io, { timeoutSeconds: 60, progress: true })
    expect(result.job.State.StateType).toBe('Failed')
    expect(io.stderr.text.split('\n')).toEqual([
      'Job j-11111111  Queued: no compute node has joined yet; waiting up to 1 min (QueueTimeout) for nodes to join or free up',
      'Job j-11111111  Queued: 0 of 1 node can run it — 1 lacks engine docker (it offers noop, wasm); waiting up to 1 min (QueueTimeout) for nodes to join or free up',
      'Job j-11111111  Failed',
      '',
    ])
  })

  it('keeps the redrawn line within the terminal width', async () => {
    const io = memoryIo()
    io.stderr.isTTY = true
    Object.assign(io.stderr, { columns: 80 })
    const long = { ...job('Queued'), State: { StateType: 'Queued', Message: `queued: 0 of 3 nodes can run it — ${'3 lack engine docker, '.repeat(5)}` } }
    let polls = 0
    const api = { getJob: async () => ({ Job: polls++ < 1 ? long : job('Completed'), Executions: { Items: [], NextToken: '' } }) }
    await waitForJob(api as never, 'j-11111111-2222-4333-8444-555555555555', io, { timeoutSeconds: 60, progress: true })
    const frames = io.stderr.text.split('\r\u001b[2K').filter((f) => f !== '')
    expect(frames[0]).toMatch(/^⠋ Job j-11111111 {2}Queued: 0 of 3 nodes can run it — 3 lack.*… {2}[\d.]+s$/)
    expect(frames.every((frame) => frame.replace(/\n$/, '').length <= 80)).toBe(true)
  })

  it("with until 'started' stops waiting once the job runs, or ends without running", async () => {
    const io = memoryIo()
    const api = scripted([['Pending', ExecutionState.New], ['Queued', ExecutionState.New], ['Running', ExecutionState.Running], ['Completed', ExecutionState.Completed]])
    const started = await waitForJob(api as never, 'j-1', io, { timeoutSeconds: 60, progress: false, until: 'started' })
    expect(started.job.State.StateType).toBe('Running')
    expect(api.polls()).toBe(3)
    const failed = scripted([['Queued', ExecutionState.New], ['Failed', ExecutionState.New]])
    expect((await waitForJob(failed as never, 'j-1', io, { timeoutSeconds: 60, progress: false, until: 'started' })).job.State.StateType).toBe('Failed')
  })

  it('a daemon job counts as settled once it runs', async () => {
    const io = memoryIo()
    const api = { getJob: async () => ({ Job: { ...job('Running'), Type: 'daemon' }, Executions: { Items: [], NextToken: '' } }) }
    expect((await waitForJob(api as never, 'j-1', io, { timeoutSeconds: 5, progress: false })).job.State.StateType).toBe('Running')
  })

  describe('what running executions do (the compute node\'s progress)', () => {
    const MESSAGES = [
      'running on n-compute-1',
      ...Array.from({ length: 40 }, (_, i) => `downloading InputSources[0] (urlDownload http://files/data.bin): ${(i + 1) * 50} MiB of 2.0 GiB (${Math.floor(((i + 1) * 50) / 20.48)}%)`),
      'running on n-compute-1',
    ]
    /** One poll per message (polls are 500 ms apart), then Completed. */
    function downloading() {
      let i = 0
      return {
        getJob: async () => {
          const n = i++
          if (n >= MESSAGES.length) return { Job: job('Completed'), Executions: { Items: [execution(ExecutionState.Completed)], NextToken: '' } }
          const running = { ID: 'e-1', ComputeState: { StateType: ExecutionState.Running, Message: MESSAGES[n] } } as unknown as Execution
          return { Job: job('Running'), Executions: { Items: [running], NextToken: '' } }
        },
      }
    }

    it('a terminal shows the current figure on the redrawn line', async () => {
      const io = memoryIo()
      io.stderr.isTTY = true
      await waitForJob(downloading() as never, 'j-11111111-2222-4333-8444-555555555555', io, { timeoutSeconds: 600, progress: true })
      const frames = io.stderr.text.split('\r\u001b[2K').filter((f) => f !== '')
      expect(frames[0]).toMatch(/^⠋ Job j-11111111 {2}Running {2}\(1 Running\) — running on n-compute-1 {2}[\d.]+s$/)
      expect(frames[20]).toMatch(/^. Job j-11111111 {2}Running {2}\(1 Running\) — downloading InputSources\[0\] \(urlDownload http:\/\/files\/data\.bin\): 1000 MiB of 2\.0 GiB \(48%\) {2}[\d.]+s$/)
    })

    it('without a terminal a new figure prints at most every 10 s, a state change at once', async () => {
      const io = memoryIo()
      await waitForJob(downloading() as never, 'j-11111111-2222-4333-8444-555555555555', io, { timeoutSeconds: 600, progress: true })
      const lines = io.stderr.text.split('\n').filter((line) => line !== '')
      // 43 polls, 500 ms apart: the first line, the figures at 10 s and 20 s (the message at 20.5 s waits its turn), and the state change.
      expect(lines).toEqual([
        'Job j-11111111  Running  (1 Running) — running on n-compute-1',
        'Job j-11111111  Running  (1 Running) — downloading InputSources[0] (urlDownload http://files/data.bin): 1000 MiB of 2.0 GiB (48%)',
        'Job j-11111111  Running  (1 Running) — downloading InputSources[0] (urlDownload http://files/data.bin): 2000 MiB of 2.0 GiB (97%)',
        'Job j-11111111  Completed  (1 Completed)',
      ])
    })
  })
})

describe('waiting with a client that long polls', () => {
  it('prints the same lines, learning each change from the wait route instead of polling', async () => {
    const service = new FakeRequesterService()
    const app = createRequesterApp({ service })
    const paths: string[] = []
    const client = createClient({
      baseUrl: 'http://127.0.0.1:1234',
      fetch: async (input, init) => {
        const request = new Request(input, init)
        paths.push(new URL(request.url).pathname)
        return app.request(request)
      },
    })
    const { JobID } = await client.putJob(jobSpec())
    const io = memoryIo()
    const waiting = waitForJob(client, JobID, io, { timeoutSeconds: 60, progress: true })
    // Changes arrive while a wait is held, announced as the Requester does.
    for (const state of ['Running', 'Completed'] as const) {
      const waits = paths.length
      while (paths.length === waits) await new Promise((r) => setTimeout(r, 1))
      await service.store.updateJobState({ jobId: JobID, newState: state })
      service.dispatchEvent(new CustomEvent('job', { detail: { jobId: JobID, state } }))
    }
    const result = await waiting
    expect(result.job.State.StateType).toBe('Completed')
    expect(io.stderr.text).toBe(`Job ${shortId(JobID)}  Pending\nJob ${shortId(JobID)}  Running\nJob ${shortId(JobID)}  Completed\n`)
    expect(paths.filter((p) => p === `/api/v1/orchestrator/jobs/${JobID}`)).toHaveLength(0)
    expect(paths.filter((p) => p === `/api/v1/shoal/jobs/${JobID}/wait`)).toHaveLength(3)
  })
})
