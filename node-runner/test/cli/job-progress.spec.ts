import { describe, expect, it } from 'vitest'
import { ExecutionState, TimeoutError, type Execution, type Job } from '@shoal/models'
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

  it('a daemon job counts as settled once it runs', async () => {
    const io = memoryIo()
    const api = { getJob: async () => ({ Job: { ...job('Running'), Type: 'daemon' }, Executions: { Items: [], NextToken: '' } }) }
    expect((await waitForJob(api as never, 'j-1', io, { timeoutSeconds: 5, progress: false })).job.State.StateType).toBe('Running')
  })
})
