import { describe, expect, it } from 'vitest'
import { ExecutionState, type Execution, type Job } from '@shoal/models'
import { describeJobText } from '../../src/cli/job-views.ts'

const NOW = Date.parse('2025-01-01T00:00:10Z')
const job = { ID: 'j-11111111-2222-4333-8444-555555555555', Name: 'big-input', Namespace: 'default', Type: 'batch', State: { StateType: 'Running' }, Count: 2, Version: 1, CreateTime: NOW * 1e6, ModifyTime: NOW * 1e6, Tasks: [] } as unknown as Job
const execution = (id: string, state: number, message: string): Execution =>
  ({ ID: id, NodeID: 'n-compute-1', Revision: 3, CreateTime: NOW * 1e6, ModifyTime: NOW * 1e6, ComputeState: { StateType: state, Message: message }, DesiredState: { StateType: 1 } }) as unknown as Execution

describe('job describe', () => {
  it('shows what running and publishing executions do now, in full, under Progress', () => {
    const text = describeJobText(
      job,
      [
        execution('e-aaaaaaaa-2222-4333-8444-555555555555', ExecutionState.Running, 'downloading InputSources[0] (urlDownload https://example.com/data.bin): 512 MiB of 2.0 GiB (25%)'),
        execution('e-bbbbbbbb-2222-4333-8444-555555555555', ExecutionState.Publishing, 'publishing e-bbbbbbbb.tar.gz: 3.0 MiB of 12.0 MiB (25%)'),
        execution('e-cccccccc-2222-4333-8444-555555555555', ExecutionState.Failed, 'the node went away'),
      ],
      [],
      { output: 'table', noStyle: true },
      NOW,
    )
    expect(text).toContain(
      '\nProgress\n' +
        '  e-aaaaaaaa  Running: downloading InputSources[0] (urlDownload https://example.com/data.bin): 512 MiB of 2.0 GiB (25%)\n' +
        '  e-bbbbbbbb  Publishing: publishing e-bbbbbbbb.tar.gz: 3.0 MiB of 12.0 MiB (25%)\n',
    )
    expect(text).not.toContain('Failed: the node went away')
  })

  it('has no Progress section when no execution runs', () => {
    const text = describeJobText(job, [execution('e-cccccccc-2222-4333-8444-555555555555', ExecutionState.Completed, '')], [], { output: 'table', noStyle: true }, NOW)
    expect(text).not.toContain('Progress')
  })
})
