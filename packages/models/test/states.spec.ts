import { describe, expect, it } from 'vitest'
import {
  desiredStateFromWire,
  desiredStateToWire,
  executionFromWire,
  ExecutionState,
  executionStateFromWire,
  executionStateToWire,
  jobFromWire,
  jobHistoryFromWire,
  jobStateFromWire,
  ValidationError,
} from '../src/index.ts'

describe('execution compute state encodings', () => {
  it('uses Bacalhau integers on the wire', () => {
    expect(executionStateToWire('Undefined')).toBe(0)
    expect(executionStateToWire('BidAccepted')).toBe(5)
    expect(executionStateToWire('Completed')).toBe(9)
    expect(executionStateToWire('Cancelled')).toBe(11)
    expect(ExecutionState.Failed).toBe(10)
  })

  it('decodes integers and names (any case) to integers', () => {
    expect(executionStateFromWire(9)).toBe(9)
    expect(executionStateFromWire('Completed')).toBe(9)
    expect(executionStateFromWire('askforbidaccepted')).toBe(3)
    expect(executionStateFromWire('Exploded')).toBeUndefined()
  })

  it('decodes desired states the same way', () => {
    expect(desiredStateToWire('Stopped')).toBe(2)
    expect(desiredStateFromWire('running')).toBe(1)
    expect(desiredStateFromWire(0)).toBe(0)
  })

  it('an execution read with names is written back with integers', () => {
    const execution = executionFromWire({
      ID: 'e-1',
      JobID: 'j-1',
      ComputeState: { StateType: 'Completed', Message: 'done' },
      DesiredState: { StateType: 'Stopped' },
      RunOutput: { Stdout: 'hi\n', stderr: 'oops', ExitCode: 3 },
    })
    const wire = JSON.parse(JSON.stringify(execution))
    expect(wire.ComputeState).toEqual({ StateType: 9, Message: 'done' })
    expect(wire.DesiredState).toEqual({ StateType: 2 })
    expect(wire.RunOutput).toEqual({ Stdout: 'hi\n', StdoutTruncated: false, stderr: 'oops', StderrTruncated: false, ExitCode: 3, ErrorMsg: '' })
    expect(executionFromWire(wire)).toEqual(execution)
  })

  it('accepts an upper-case Stderr key but writes the lower-case wire key', () => {
    const execution = executionFromWire({ ID: 'e-1', RunOutput: { Stderr: 'boom' } })
    expect(execution.RunOutput?.stderr).toBe('boom')
    expect(JSON.stringify(execution.RunOutput)).toContain('"stderr":"boom"')
  })

  it('rejects an unknown state name, naming the field', () => {
    try {
      executionFromWire({ ID: 'e-1', ComputeState: { StateType: 'Exploded' } })
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).issues[0].path).toBe('ComputeState.StateType')
    }
  })
})

describe('job state encodings', () => {
  it('uses strings on the wire and accepts integers and any case on input', () => {
    expect(jobStateFromWire('Running')).toBe('Running')
    expect(jobStateFromWire('completed')).toBe('Completed')
    expect(jobStateFromWire(5)).toBe('Failed')
    expect(jobStateFromWire('Exploded')).toBe('Undefined')
  })

  it('a job read with an integer state is written with its name', () => {
    const job = jobFromWire({ ID: 'j-1', Type: 'batch', State: { StateType: 3 }, Tasks: [] })
    expect(JSON.parse(JSON.stringify(job)).State).toEqual({ StateType: 'Running' })
  })

  it('history items carry job states as strings and execution states as integers', () => {
    const item = jobHistoryFromWire({
      Type: 'ExecutionLevel',
      JobID: 'j-1',
      ExecutionState: { Previous: 'BidAccepted', New: 6 },
      JobState: { Previous: 1, New: 'running' },
      Event: { Message: 'started', Topic: 'Exec', Timestamp: '2024-01-01T00:00:00Z' },
      Time: '2024-01-01T00:00:00Z',
    })
    expect(item.ExecutionState).toEqual({ Previous: 5, New: 6 })
    expect(item.JobState).toEqual({ Previous: 'Pending', New: 'Running' })
  })
})
