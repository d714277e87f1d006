/**
 * The JobStore compliance suite: the behaviour the scheduler and the REST API rely on, run
 * against every JobStore implementation. Call runJobStoreCompliance from a spec file with a
 * factory that builds a fresh, empty store using the given clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BadRequestError, ConflictError, ExecutionDesiredState, ExecutionState, NotFoundError } from '@shoal/models'
import type { Job } from '@shoal/models'
import type { Clock, JobStore } from '@shoal/interface'
import { toNanos } from '@shoal/interface'
import { ManualClock, gate, makeEvaluation, makeExecution, makeJob, makeNode, testUuid } from './job-store-fixtures.ts'

/** What a compliance factory receives. */
export interface JobStoreFactoryInit {
  /** The clock the store must use for ModifyTime, CreateTime and history times. */
  clock: Pick<Clock, 'now'>
}

/** A store under test and how to dispose of it. */
export interface JobStoreUnderTest {
  store: JobStore
  cleanup(): Promise<void>
}

/** Runs the JobStore compliance suite against stores made by `createStore`. */
export function runJobStoreCompliance(name: string, createStore: (init: JobStoreFactoryInit) => Promise<JobStoreUnderTest>): void {
  describe(`JobStore compliance: ${name}`, () => {
    let store: JobStore
    let clock: ManualClock
    let subject: JobStoreUnderTest

    beforeEach(async () => {
      clock = new ManualClock()
      subject = await createStore({ clock })
      store = subject.store
    })

    afterEach(async () => {
      await subject.cleanup()
    })

    /** Creates a job and returns it as stored. */
    async function created(overrides: Partial<Job> = {}): Promise<Job> {
      const job = makeJob(overrides)
      await store.createJob(job)
      return store.getJob(job.ID)
    }

    describe('jobs', () => {
      it('stores a new job as version 1, revision 1, with times from the clock', async () => {
        const job = makeJob({ Labels: { team: 'a' } })
        await store.createJob(job)
        const stored = await store.getJob(job.ID)
        expect(stored).toMatchObject({ ID: job.ID, Name: job.Name, Namespace: 'default', Labels: { team: 'a' }, Tasks: job.Tasks })
        expect(stored.Version).toBe(1)
        expect(stored.Revision).toBe(1)
        expect(stored.ModifyTime).toBe(toNanos(clock.ms))
        expect(stored.CreateTime).toBe(toNanos(clock.ms))
      })

      it('keeps a CreateTime the caller set', async () => {
        const stored = await created({ CreateTime: 42_000_000 })
        expect(stored.CreateTime).toBe(42_000_000)
      })

      it('rejects a second job with the same ID or the same Name in the namespace', async () => {
        const job = await created({ Name: 'nightly' })
        await expect(store.createJob(makeJob({ ID: job.ID, Name: 'other' }))).rejects.toThrow(ConflictError)
        await expect(store.createJob(makeJob({ Name: 'nightly' }))).rejects.toThrow(/nightly.*already exists/)
        await store.createJob(makeJob({ Name: 'nightly', Namespace: 'team-b' }))
        expect((await store.findJobByName('nightly', 'team-b'))?.Namespace).toBe('team-b')
      })

      it('names the missing job in NotFoundError', async () => {
        await expect(store.getJob('j-123')).rejects.toThrow(NotFoundError)
        await expect(store.getJob('j-123')).rejects.toThrow('job j-123 not found')
      })

      it('finds a job by name within its namespace only', async () => {
        const job = await created({ Name: 'etl', Namespace: 'data' })
        expect((await store.findJobByName('etl', 'data'))?.ID).toBe(job.ID)
        expect(await store.findJobByName('etl', 'default')).toBeUndefined()
        expect(await store.findJobByName('nope', 'data')).toBeUndefined()
      })

      it('stores a new version on update and keeps every version', async () => {
        const v1 = await created({ Name: 'versioned', Count: 1 })
        clock.advance(1000)
        const v2 = await store.updateJob({ ...v1, Count: 3, Version: 99, Revision: 99 })
        expect(v2.Version).toBe(2)
        expect(v2.Revision).toBe(v1.Revision + 1)
        expect(v2.Count).toBe(3)
        expect(v2.CreateTime).toBe(v1.CreateTime)
        expect(v2.ModifyTime).toBe(toNanos(clock.ms))
        expect(await store.getJob(v1.ID)).toEqual(v2)
        const versions = await store.getJobVersions(v1.ID)
        expect(versions.map((job) => [job.Version, job.Count])).toEqual([
          [1, 1],
          [2, 3],
        ])
        await store.updateJob({ ...v2, Count: 5 })
        expect((await store.getJobVersions(v1.ID)).map((job) => job.Version)).toEqual([1, 2, 3])
      })

      it('refuses to rename a job in an update, and to update a missing job', async () => {
        const job = await created({ Name: 'fixed' })
        await expect(store.updateJob({ ...job, Name: 'renamed' })).rejects.toThrow(BadRequestError)
        await expect(store.updateJob(makeJob())).rejects.toThrow(NotFoundError)
        await expect(store.getJobVersions('j-missing')).rejects.toThrow(NotFoundError)
      })

      it('changes job state, bumping Revision and ModifyTime', async () => {
        const job = await created()
        clock.advance(5)
        const running = await store.updateJobState({ jobId: job.ID, newState: 'Running', message: 'scheduled' })
        expect(running.State).toEqual({ StateType: 'Running', Message: 'scheduled' })
        expect(running.Revision).toBe(job.Revision + 1)
        expect(running.Version).toBe(job.Version)
        expect(running.ModifyTime).toBe(toNanos(clock.ms))
        expect(await store.getJob(job.ID)).toEqual(running)
      })

      it('applies conditional job state updates only when the condition holds', async () => {
        const job = await created()
        await expect(
          store.updateJobState({ jobId: job.ID, newState: 'Running', condition: { expectedStates: ['Queued'] } }),
        ).rejects.toThrow(/expected state Queued but found Pending/)
        await expect(
          store.updateJobState({ jobId: job.ID, newState: 'Running', condition: { unexpectedStates: ['Pending'] } }),
        ).rejects.toThrow(ConflictError)
        await expect(
          store.updateJobState({ jobId: job.ID, newState: 'Running', condition: { expectedRevision: job.Revision + 1 } }),
        ).rejects.toThrow(`expected revision ${job.Revision + 1} but found ${job.Revision}`)
        const updated = await store.updateJobState({
          jobId: job.ID,
          newState: 'Running',
          condition: { expectedStates: ['Pending', 'Queued'], expectedRevision: job.Revision },
        })
        expect(updated.State.StateType).toBe('Running')
        expect((await store.getJob(job.ID)).Revision).toBe(job.Revision + 1)
      })

      it('never moves a job out of a terminal state', async () => {
        const job = await created()
        await store.updateJobState({ jobId: job.ID, newState: 'Completed' })
        await expect(store.updateJobState({ jobId: job.ID, newState: 'Running' })).rejects.toThrow(/already Completed/)
        expect((await store.getJob(job.ID)).State.StateType).toBe('Completed')
        await expect(store.updateJobState({ jobId: job.ID, newState: 'Stopped' })).rejects.toThrow(/already Completed/)
      })

      it('lets a Failed job be marked Stopped, and nothing else', async () => {
        const job = await created()
        await store.updateJobState({ jobId: job.ID, newState: 'Failed' })
        await expect(store.updateJobState({ jobId: job.ID, newState: 'Running' })).rejects.toThrow(/already Failed/)
        const stopped = await store.updateJobState({ jobId: job.ID, newState: 'Stopped', message: 'abandoned' })
        expect(stopped.State).toEqual({ StateType: 'Stopped', Message: 'abandoned' })
        await expect(store.updateJobState({ jobId: job.ID, newState: 'Failed' })).rejects.toThrow(/already Stopped/)
      })

      it('deletes a job with its executions, evaluations and history', async () => {
        const job = await created()
        const execution = makeExecution(job.ID)
        const evaluation = makeEvaluation(job.ID)
        await store.createExecution(execution)
        await store.createEvaluation(evaluation)
        await store.deleteJob(job.ID)
        await expect(store.getJob(job.ID)).rejects.toThrow(NotFoundError)
        await expect(store.getExecution(execution.ID)).rejects.toThrow(NotFoundError)
        await expect(store.getEvaluation(evaluation.ID)).rejects.toThrow(NotFoundError)
        await expect(store.getHistory(job.ID)).rejects.toThrow(NotFoundError)
        await expect(store.deleteJob(job.ID)).rejects.toThrow(`job ${job.ID} not found`)
        await store.createJob(makeJob({ Name: job.Name }))
      })

      it('returns copies: changing a returned job does not change the store', async () => {
        const job = await created()
        job.Labels.mutated = 'yes'
        expect((await store.getJob(job.ID)).Labels).toEqual({})
      })
    })

    describe('job lookup by ID, ID prefix or name', () => {
      it('accepts a full ID, a unique prefix, or a name in the namespace', async () => {
        const job = await created({ ID: 'j-1234abcd-0000-4000-8000-000000000001', Name: 'lookup', Namespace: 'ns1' })
        await created({ ID: 'j-9999abcd-0000-4000-8000-000000000002' })
        expect((await store.getJobByIdOrName(job.ID)).ID).toBe(job.ID)
        expect((await store.getJobByIdOrName('j-1234abcd')).ID).toBe(job.ID)
        expect((await store.getJobByIdOrName('j-12')).ID).toBe(job.ID)
        expect((await store.getJobByIdOrName('lookup', 'ns1')).ID).toBe(job.ID)
        expect((await store.getJobByIdOrName('lookup')).ID).toBe(job.ID)
      })

      it('lists the matches of an ambiguous prefix', async () => {
        const a = await created({ ID: 'j-aaaa0001-0000-4000-8000-000000000001' })
        const b = await created({ ID: 'j-aaaa0002-0000-4000-8000-000000000002' })
        const attempt = store.getJobByIdOrName('j-aaaa')
        await expect(attempt).rejects.toThrow(BadRequestError)
        await expect(attempt).rejects.toThrow(new RegExp(`ambiguous.*${a.ID}.*${b.ID}`))
      })

      it('is NotFound when nothing matches, and does not find names of other namespaces', async () => {
        await created({ Name: 'elsewhere', Namespace: 'other' })
        await expect(store.getJobByIdOrName('j-ffff')).rejects.toThrow(NotFoundError)
        await expect(store.getJobByIdOrName('elsewhere', 'default')).rejects.toThrow(/job elsewhere not found/)
      })
    })

    describe('listing jobs', () => {
      it('pages through 250 jobs with tokens, without duplicates or gaps, in every order', async () => {
        const ids: string[] = []
        for (let index = 0; index < 250; index++) {
          const job = makeJob({ Name: `job-${String(249 - index).padStart(3, '0')}` })
          ids.push(job.ID)
          await store.createJob(job)
          clock.advance(1)
        }
        for (const orderBy of ['created_at', 'modified_at', 'id', 'name'] as const) {
          for (const reverse of [false, true]) {
            const seen: Job[] = []
            let nextToken: string | undefined
            const pageSizes: number[] = []
            for (let page = 0; page < 10; page++) {
              const result = await store.listJobs({ limit: 100, orderBy, reverse, nextToken })
              pageSizes.push(result.Items.length)
              seen.push(...result.Items)
              nextToken = result.NextToken
              if (nextToken === '') break
            }
            expect(pageSizes, `${orderBy} reverse=${reverse}`).toEqual([100, 100, 50])
            expect(new Set(seen.map((job) => job.ID)).size).toBe(250)
            const keys = seen.map((job) =>
              orderBy === 'created_at' ? job.CreateTime : orderBy === 'modified_at' ? job.ModifyTime : orderBy === 'id' ? job.ID : job.Name,
            )
            const sorted = [...keys].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
            expect(keys).toEqual(reverse ? sorted.reverse() : sorted)
          }
        }
        const byCreation = await store.listJobs({ limit: 3 })
        expect(byCreation.Items.map((job) => job.ID)).toEqual(ids.slice(0, 3))
      })

      it('uses a default page size of 100 and says when there are no more pages', async () => {
        for (let index = 0; index < 101; index++) await store.createJob(makeJob())
        const first = await store.listJobs()
        expect(first.Items).toHaveLength(100)
        expect(first.NextToken).not.toBe('')
        const last = await store.listJobs({ nextToken: first.NextToken })
        expect(last.Items).toHaveLength(1)
        expect(last.NextToken).toBe('')
      })

      it('rejects garbage, tampered and foreign next tokens', async () => {
        for (let index = 0; index < 3; index++) await store.createJob(makeJob())
        const { NextToken } = await store.listJobs({ limit: 1 })
        await expect(store.listJobs({ nextToken: 'not a token!' })).rejects.toThrow(BadRequestError)
        await expect(store.listJobs({ nextToken: 'not a token!' })).rejects.toThrow(/invalid next_token/)
        const tampered = NextToken.slice(0, -3) + (NextToken.endsWith('AAA') ? 'BBB' : 'AAA')
        await expect(store.listJobs({ nextToken: tampered })).rejects.toThrow(/invalid next_token/)
        await expect(store.listJobs({ nextToken: btoa('{"list":"jobs"}') })).rejects.toThrow(/invalid next_token/)
        await expect(store.listNodes({ nextToken: NextToken })).rejects.toThrow(/invalid next_token/)
        await expect(store.listExecutions({ nextToken: NextToken })).rejects.toThrow(/invalid next_token/)
        await expect(store.listJobs({ limit: -1 })).rejects.toThrow(BadRequestError)
      })

      it("continues a token's query: its ordering and page size win over the request's, as Bacalhau's tokens do", async () => {
        for (let index = 0; index < 7; index++) {
          await store.createJob(makeJob({ Name: `job-${index}` }))
          clock.advance(1)
        }
        const names = (page: { Items: Job[] }) => page.Items.map((job) => job.Name)
        const first = await store.listJobs({ orderBy: 'name', reverse: true, limit: 3 })
        expect(names(first)).toEqual(['job-6', 'job-5', 'job-4'])
        const alone = await store.listJobs({ nextToken: first.NextToken })
        expect(names(alone)).toEqual(['job-3', 'job-2', 'job-1'])
        const contrary = await store.listJobs({ nextToken: first.NextToken, orderBy: 'created_at', reverse: false, limit: 50 })
        expect(names(contrary)).toEqual(['job-3', 'job-2', 'job-1'])
        const last = await store.listJobs({ nextToken: alone.NextToken })
        expect(names(last)).toEqual(['job-0'])
        expect(last.NextToken).toBe('')
      })

      it('filters by namespace (empty = all) and by state', async () => {
        const a = await created({ Namespace: 'alpha' })
        const b = await created({ Namespace: 'beta' })
        await store.updateJobState({ jobId: b.ID, newState: 'Running' })
        expect((await store.listJobs({ namespace: 'alpha' })).Items.map((job) => job.ID)).toEqual([a.ID])
        expect((await store.listJobs({ namespace: '' })).Items).toHaveLength(2)
        expect((await store.listJobs({ states: ['Running'] })).Items.map((job) => job.ID)).toEqual([b.ID])
        expect((await store.listJobs({ states: ['Running', 'Pending'] })).Items).toHaveLength(2)
      })

      it('filters by label selector', async () => {
        const prod = await created({ Labels: { env: 'prod', tier: 'web' } })
        const dev = await created({ Labels: { env: 'dev' } })
        const bare = await created({ Labels: {} })
        const ids = async (...labels: string[]): Promise<string[]> =>
          (await store.listJobs({ labels })).Items.map((job) => job.ID)
        expect(await ids('env=prod')).toEqual([prod.ID])
        expect(await ids('env==prod')).toEqual([prod.ID])
        expect(await ids('env!=prod')).toEqual([dev.ID, bare.ID])
        expect(await ids('env')).toEqual([prod.ID, dev.ID])
        expect(await ids('!env')).toEqual([bare.ID])
        expect(await ids('env in (dev, prod)')).toEqual([prod.ID, dev.ID])
        expect(await ids('env notin (dev)')).toEqual([prod.ID, bare.ID])
        expect(await ids('env=prod,tier=web')).toEqual([prod.ID])
        expect(await ids('env', 'tier')).toEqual([prod.ID])
        expect(await ids('env=prod', 'tier=db')).toEqual([])
        await expect(store.listJobs({ labels: ['env=(bad'] })).rejects.toThrow(/invalid label selector/)
      })

      it('filters by integer label comparisons key>N and key<N, as Kubernetes selectors', async () => {
        const small = await created({ Labels: { cores: '2' } })
        const large = await created({ Labels: { cores: '16' } })
        const negative = await created({ Labels: { cores: '-1' } })
        await created({ Labels: { cores: 'many' } })
        await created({ Labels: {} })
        const ids = async (...labels: string[]): Promise<string[]> =>
          (await store.listJobs({ labels })).Items.map((job) => job.ID)
        expect(await ids('cores>4')).toEqual([large.ID])
        expect(await ids('cores > 1')).toEqual([small.ID, large.ID])
        expect(await ids('cores<3')).toEqual([small.ID, negative.ID])
        expect(await ids('cores>-5,cores<16')).toEqual([small.ID, negative.ID])
        await expect(store.listJobs({ labels: ['cores>many'] })).rejects.toThrow(/invalid label selector/)
      })

      it('pages correctly through a label-filtered list', async () => {
        const wanted: string[] = []
        for (let index = 0; index < 30; index++) {
          const job = makeJob({ Labels: { parity: index % 2 === 0 ? 'even' : 'odd' } })
          if (index % 2 === 0) wanted.push(job.ID)
          await store.createJob(job)
          clock.advance(1)
        }
        const seen: string[] = []
        let nextToken: string | undefined
        for (let page = 0; page < 10; page++) {
          const result = await store.listJobs({ labels: ['parity=even'], limit: 4, nextToken })
          seen.push(...result.Items.map((job) => job.ID))
          nextToken = result.NextToken
          if (nextToken === '') break
        }
        expect(seen).toEqual(wanted)
      })
    })

    describe('executions', () => {
      it('stores and reads an execution, revision 1', async () => {
        const job = await created()
        const execution = makeExecution(job.ID)
        await store.createExecution(execution)
        const stored = await store.getExecution(execution.ID)
        expect(stored).toMatchObject({ ID: execution.ID, JobID: job.ID, NodeID: 'n-node-a', Revision: 1 })
        expect(stored.ModifyTime).toBe(toNanos(clock.ms))
      })

      it('rejects duplicates, executions of unknown jobs, and unknown IDs', async () => {
        const job = await created()
        const execution = makeExecution(job.ID)
        await store.createExecution(execution)
        await expect(store.createExecution(execution)).rejects.toThrow(ConflictError)
        await expect(store.createExecution(makeExecution('j-missing'))).rejects.toThrow('job j-missing not found')
        await expect(store.getExecution('e-missing')).rejects.toThrow('execution e-missing not found')
        await expect(store.updateExecution({ executionId: 'e-missing', newValues: {} })).rejects.toThrow(NotFoundError)
      })

      it('merges an update, bumps Revision and ModifyTime, keeps identity and CreateTime', async () => {
        const job = await created()
        const execution = makeExecution(job.ID)
        await store.createExecution(execution)
        const before = await store.getExecution(execution.ID)
        clock.advance(7)
        const after = await store.updateExecution({
          executionId: execution.ID,
          newValues: { ComputeState: { StateType: ExecutionState.BidAccepted, Message: 'accepted' }, NodeID: 'n-node-b' },
        })
        expect(after.ComputeState).toEqual({ StateType: ExecutionState.BidAccepted, Message: 'accepted' })
        expect(after.NodeID).toBe('n-node-b')
        expect(after.DesiredState).toEqual(before.DesiredState)
        expect(after.Revision).toBe(2)
        expect(after.ModifyTime).toBe(toNanos(clock.ms))
        expect(after.CreateTime).toBe(before.CreateTime)
        expect(after.JobID).toBe(job.ID)
        expect(await store.getExecution(execution.ID)).toEqual(after)
      })

      it('applies conditional updates only when every condition holds', async () => {
        const job = await created()
        const execution = makeExecution(job.ID)
        await store.createExecution(execution)
        const id = execution.ID
        const running = { ComputeState: { StateType: ExecutionState.Running } }
        await expect(
          store.updateExecution({ executionId: id, newValues: running, condition: { expectedStates: [ExecutionState.BidAccepted] } }),
        ).rejects.toThrow(/expected compute state BidAccepted but found New/)
        await expect(
          store.updateExecution({ executionId: id, newValues: running, condition: { unexpectedStates: [ExecutionState.New] } }),
        ).rejects.toThrow(ConflictError)
        await expect(
          store.updateExecution({ executionId: id, newValues: running, condition: { expectedRevision: 5 } }),
        ).rejects.toThrow(/expected revision 5 but found 1/)
        await expect(
          store.updateExecution({
            executionId: id,
            newValues: running,
            condition: { expectedDesiredStates: [ExecutionDesiredState.Running] },
          }),
        ).rejects.toThrow(/expected desired state Running but found Pending/)
        expect((await store.getExecution(id)).Revision).toBe(1)
        const applied = await store.updateExecution({
          executionId: id,
          newValues: running,
          condition: {
            expectedStates: [ExecutionState.New],
            expectedRevision: 1,
            expectedDesiredStates: [ExecutionDesiredState.Pending],
          },
        })
        expect(applied.ComputeState.StateType).toBe(ExecutionState.Running)
      })

      it('never moves an execution out of a terminal compute state', async () => {
        const job = await created()
        const execution = makeExecution(job.ID)
        await store.createExecution(execution)
        await store.updateExecution({ executionId: execution.ID, newValues: { ComputeState: { StateType: ExecutionState.Completed } } })
        await expect(
          store.updateExecution({ executionId: execution.ID, newValues: { ComputeState: { StateType: ExecutionState.Running } } }),
        ).rejects.toThrow(/already Completed/)
        const annotated = await store.updateExecution({ executionId: execution.ID, newValues: { FollowupEvalID: 'v-next' } })
        expect(annotated.FollowupEvalID).toBe('v-next')
      })

      it('lets exactly one of two racing updates with the same expected revision win', async () => {
        const job = await created()
        const execution = makeExecution(job.ID)
        await store.createExecution(execution)
        const results = await Promise.allSettled([
          store.updateExecution({
            executionId: execution.ID,
            newValues: { ComputeState: { StateType: ExecutionState.BidAccepted } },
            condition: { expectedRevision: 1 },
          }),
          store.updateExecution({
            executionId: execution.ID,
            newValues: { ComputeState: { StateType: ExecutionState.Cancelled } },
            condition: { expectedRevision: 1 },
          }),
        ])
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1)
        const loser = results.find((result) => result.status === 'rejected')
        expect(loser?.reason).toBeInstanceOf(ConflictError)
        const final = await store.getExecution(execution.ID)
        expect(final.Revision).toBe(2)
        const winner = results.find((result) => result.status === 'fulfilled')
        expect(final).toEqual(winner?.value)
      })

      it('lets exactly one of two racing read-check-write transactions win', async () => {
        const job = await created()
        const execution = makeExecution(job.ID)
        await store.createExecution(execution)
        const hold = gate()
        const transition = (to: number, wait?: Promise<void>) =>
          store.transaction(async (tx) => {
            const current = await tx.getExecution(execution.ID)
            if (current.ComputeState.StateType !== ExecutionState.New) throw new ConflictError('already moved')
            if (wait) await wait
            return tx.updateExecution({
              executionId: execution.ID,
              newValues: { ComputeState: { StateType: to } },
              condition: { expectedRevision: current.Revision },
            })
          })
        const first = transition(ExecutionState.BidAccepted, hold.promise)
        const second = transition(ExecutionState.Cancelled)
        hold.open()
        const results = await Promise.allSettled([first, second])
        expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected'])
        expect((await store.getExecution(execution.ID)).ComputeState.StateType).toBe(ExecutionState.BidAccepted)
      })

      it('lists executions by job, node, states and version, with paging', async () => {
        const job = await created()
        const other = await created()
        const onA = makeExecution(job.ID, { NodeID: 'n-a' })
        const onB = makeExecution(job.ID, { NodeID: 'n-b', JobVersion: 2 })
        const elsewhere = makeExecution(other.ID, { NodeID: 'n-a', DesiredState: { StateType: ExecutionDesiredState.Running } })
        for (const execution of [onA, onB, elsewhere]) await store.createExecution(execution)
        await store.updateExecution({ executionId: onB.ID, newValues: { ComputeState: { StateType: ExecutionState.Running } } })
        const ids = async (query: Parameters<JobStore['listExecutions']>[0]): Promise<string[]> =>
          (await store.listExecutions(query)).Items.map((execution) => execution.ID)
        expect(await ids({ jobId: job.ID })).toEqual([onA.ID, onB.ID])
        expect(await ids({ nodeId: 'n-a' })).toEqual([onA.ID, elsewhere.ID])
        expect(await ids({ computeStates: [ExecutionState.Running] })).toEqual([onB.ID])
        expect(await ids({ desiredStates: [ExecutionDesiredState.Running] })).toEqual([elsewhere.ID])
        expect(await ids({ jobId: job.ID, jobVersion: 2 })).toEqual([onB.ID])
        expect(await ids({ jobId: 'j-missing' })).toEqual([])
        const first = await store.listExecutions({ limit: 2 })
        const second = await store.listExecutions({ limit: 2, nextToken: first.NextToken })
        expect([...first.Items, ...second.Items].map((execution) => execution.ID)).toEqual([onA.ID, onB.ID, elsewhere.ID])
        expect(second.NextToken).toBe('')
        await expect(store.listExecutions({ nextToken: 'garbage' })).rejects.toThrow(/invalid next_token/)
      })

      it('orders executions by creation or modification time, either way, and pages in that order', async () => {
        const job = await created()
        const executions = []
        for (let index = 0; index < 4; index++) {
          // Created out of storage order: the last stored is the oldest.
          const execution = makeExecution(job.ID, { CreateTime: toNanos(clock.now()) - (index === 3 ? 1e12 : 0) })
          executions.push(execution)
          await store.createExecution(execution)
          clock.advance(1000)
        }
        const [a, b, c, d] = executions.map((execution) => execution.ID)
        await store.updateExecution({ executionId: a, newValues: { NodeID: 'n-moved' } })
        const ids = (page: { Items: Array<{ ID: string }> }) => page.Items.map((execution) => execution.ID)
        expect(ids(await store.listExecutions({ jobId: job.ID }))).toEqual([a, b, c, d])
        expect(ids(await store.listExecutions({ jobId: job.ID, orderBy: 'created_at' }))).toEqual([d, a, b, c])
        expect(ids(await store.listExecutions({ jobId: job.ID, orderBy: 'created_at', reverse: true }))).toEqual([c, b, a, d])
        expect(ids(await store.listExecutions({ jobId: job.ID, orderBy: 'modified_at', reverse: true }))).toEqual([a, d, c, b])
        const first = await store.listExecutions({ jobId: job.ID, orderBy: 'modified_at', reverse: true, limit: 3 })
        const rest = await store.listExecutions({ jobId: job.ID, nextToken: first.NextToken })
        expect([...ids(first), ...ids(rest)]).toEqual([a, d, c, b])
        expect(rest.NextToken).toBe('')
      })
    })

    describe('transactions', () => {
      it('commits everything fn did and returns its value', async () => {
        const job = makeJob()
        const execution = makeExecution(job.ID)
        const value = await store.transaction(async (tx) => {
          await tx.createJob(job)
          await tx.createExecution(execution)
          return 'done'
        })
        expect(value).toBe('done')
        expect((await store.getExecution(execution.ID)).JobID).toBe(job.ID)
      })

      it('rolls back everything when fn throws', async () => {
        const job = makeJob()
        const execution = makeExecution(job.ID)
        const node = makeNode('n-rolled-back')
        const failure = new Error('scheduler crashed')
        await expect(
          store.transaction(async (tx) => {
            await tx.createJob(job)
            await tx.createExecution(execution)
            await tx.putNode(node)
            await tx.addHistory({ Type: 'JobLevel', JobID: job.ID, Event: { Message: 'x', Topic: 't', Timestamp: '' }, Time: '' })
            throw failure
          }),
        ).rejects.toBe(failure)
        await expect(store.getJob(job.ID)).rejects.toThrow(NotFoundError)
        await expect(store.getExecution(execution.ID)).rejects.toThrow(NotFoundError)
        await expect(store.getNode(node.Info.NodeID)).rejects.toThrow(NotFoundError)
        expect((await store.listJobs()).Items).toEqual([])
      })

      it('rolls back an update made before fn throws', async () => {
        const job = await created()
        await expect(
          store.transaction(async (tx) => {
            await tx.updateJobState({ jobId: job.ID, newState: 'Running' })
            throw new Error('abandon')
          }),
        ).rejects.toThrow('abandon')
        expect(await store.getJob(job.ID)).toEqual(job)
      })

      it('keeps the rest of a transaction when fn catches a rejected operation', async () => {
        const job = await created()
        const next = makeJob()
        await store.transaction(async (tx) => {
          await expect(tx.createJob(makeJob({ ID: job.ID }))).rejects.toThrow(ConflictError)
          await tx.createJob(next)
        })
        expect((await store.getJob(next.ID)).ID).toBe(next.ID)
      })

      it('makes other callers wait until it commits, so they never see half of it', async () => {
        const job = makeJob()
        const hold = gate()
        const order: string[] = []
        const transaction = store.transaction(async (tx) => {
          await tx.createJob(job)
          await hold.promise
          await tx.updateJobState({ jobId: job.ID, newState: 'Running' })
          order.push('transaction done')
        })
        await Promise.resolve()
        const read = store.getJob(job.ID).then((seen) => {
          order.push('read')
          return seen
        })
        const write = store.putNode(makeNode('n-waiting')).then(() => order.push('write'))
        hold.open()
        await Promise.all([transaction, read, write])
        expect(order).toEqual(['transaction done', 'read', 'write'])
        expect((await read).State.StateType).toBe('Running')
      })

      it('runs transactions one at a time in call order', async () => {
        const hold = gate()
        const order: string[] = []
        const first = store.transaction(async () => {
          order.push('first start')
          await hold.promise
          order.push('first end')
        })
        const second = store.transaction(() => {
          order.push('second')
        })
        await Promise.resolve()
        hold.open()
        await Promise.all([first, second])
        expect(order).toEqual(['first start', 'first end', 'second'])
      })

      it('joins a nested transaction to the outer one', async () => {
        const job = makeJob()
        await expect(
          store.transaction(async (tx) => {
            await tx.transaction(async (inner) => inner.createJob(job))
            throw new Error('outer fails')
          }),
        ).rejects.toThrow('outer fails')
        await expect(store.getJob(job.ID)).rejects.toThrow(NotFoundError)
      })

      it('refuses use of tx after the transaction ended', async () => {
        let leaked: JobStore | undefined
        await store.transaction((tx) => {
          leaked = tx
        })
        await expect(leaked!.createJob(makeJob())).rejects.toThrow(/transaction already finished/)
      })
    })

    describe('evaluations', () => {
      it('creates, reads, updates, lists pending and deletes evaluations', async () => {
        const job = await created()
        const first = makeEvaluation(job.ID)
        const second = makeEvaluation(job.ID)
        await store.createEvaluation(first)
        await store.createEvaluation(second)
        await expect(store.createEvaluation(first)).rejects.toThrow(ConflictError)
        expect((await store.getEvaluation(first.ID)).ModifyTime).toBe(toNanos(clock.ms))
        expect((await store.listPendingEvaluations()).map((evaluation) => evaluation.ID)).toEqual([first.ID, second.ID])
        clock.advance(3)
        await store.updateEvaluation({ ...first, Status: 'complete' })
        const completed = await store.getEvaluation(first.ID)
        expect(completed.Status).toBe('complete')
        expect(completed.ModifyTime).toBe(toNanos(clock.ms))
        expect((await store.listPendingEvaluations()).map((evaluation) => evaluation.ID)).toEqual([second.ID])
        await store.deleteEvaluation(second.ID)
        await expect(store.getEvaluation(second.ID)).rejects.toThrow(`evaluation ${second.ID} not found`)
        await expect(store.deleteEvaluation(second.ID)).rejects.toThrow(NotFoundError)
        await expect(store.updateEvaluation(makeEvaluation(job.ID))).rejects.toThrow(NotFoundError)
      })
    })

    describe('history', () => {
      it('records submission, updates and state changes with increasing SeqNum', async () => {
        const job = await created()
        await store.updateJobState({ jobId: job.ID, newState: 'Running', message: 'placed' })
        await store.updateJob({ ...job, Count: 2 })
        const { Items } = await store.getHistory(job.ID)
        expect(Items.map((item) => item.SeqNum)).toEqual([1, 2, 3])
        expect(Items[0]).toMatchObject({ Type: 'JobLevel', JobID: job.ID, Event: { Message: 'Job submitted' } })
        expect(Items[1]).toMatchObject({ JobState: { Previous: 'Pending', New: 'Running' }, Event: { Topic: 'State Update' } })
        expect(Items[1].Event.Message).toContain('placed')
        expect(Items[2]).toMatchObject({ JobVersion: 2, Event: { Message: 'Job updated' } })
      })

      it('appends items, filters by since, type and execution, and pages', async () => {
        const job = await created()
        const execution = makeExecution(job.ID)
        await store.createExecution(execution)
        const added = await store.addHistory({
          Type: 'JobLevel',
          JobID: job.ID,
          Event: { Message: 'queued', Topic: 'Queueing', Timestamp: '2024-01-01T00:00:00Z' },
          Time: '2024-01-01T00:00:00Z',
        })
        expect(added.SeqNum).toBe(2)
        await store.updateExecution({
          executionId: execution.ID,
          newValues: { ComputeState: { StateType: ExecutionState.Running } },
          event: { Message: 'Running', Topic: 'Execution', Timestamp: '2024-01-01T00:00:01Z' },
        })
        await store.updateExecution({ executionId: execution.ID, newValues: { NodeID: 'n-silent' } })
        const all = (await store.getHistory(job.ID)).Items
        expect(all.map((item) => item.SeqNum)).toEqual([1, 2, 3])
        expect(all[2]).toMatchObject({
          Type: 'ExecutionLevel',
          ExecutionID: execution.ID,
          ExecutionState: { Previous: ExecutionState.New, New: ExecutionState.Running },
          Event: { Message: 'Running' },
        })
        expect((await store.getHistory(job.ID, { since: 1 })).Items.map((item) => item.SeqNum)).toEqual([2, 3])
        expect((await store.getHistory(job.ID, { type: 'ExecutionLevel' })).Items.map((item) => item.SeqNum)).toEqual([3])
        expect((await store.getHistory(job.ID, { executionId: execution.ID })).Items).toHaveLength(1)
        expect((await store.getHistory(job.ID, { executionId: execution.ID.slice(0, 10) })).Items).toHaveLength(1)
        expect((await store.getHistory(job.ID, { executionId: 'e-nothing' })).Items).toHaveLength(0)
        const first = await store.getHistory(job.ID, { limit: 2 })
        const rest = await store.getHistory(job.ID, { nextToken: first.NextToken })
        expect([...first.Items, ...rest.Items].map((item) => item.SeqNum)).toEqual([1, 2, 3])
        expect(rest.NextToken).toBe('')
      })

      it('filters by job version', async () => {
        const job = await created()
        await store.updateJobState({ jobId: job.ID, newState: 'Running' })
        await store.updateJob({ ...job, Count: 2 })
        await store.updateJobState({ jobId: job.ID, newState: 'Running' })
        const versions = async (jobVersion?: number) => (await store.getHistory(job.ID, { jobVersion })).Items.map((item) => item.JobVersion)
        expect(await versions()).toEqual([1, 1, 2, 2])
        expect(await versions(1)).toEqual([1, 1])
        expect(await versions(2)).toEqual([2, 2])
        expect(await versions(3)).toEqual([])
      })

      it('numbers each job on its own and refuses unknown jobs', async () => {
        const a = await created()
        const b = await created()
        const item = { Type: 'JobLevel' as const, Event: { Message: 'm', Topic: 't', Timestamp: '' }, Time: '' }
        expect((await store.addHistory({ ...item, JobID: a.ID })).SeqNum).toBe(2)
        expect((await store.addHistory({ ...item, JobID: b.ID })).SeqNum).toBe(2)
        expect((await store.addHistory({ ...item, JobID: a.ID })).SeqNum).toBe(3)
        await expect(store.addHistory({ ...item, JobID: 'j-missing' })).rejects.toThrow(NotFoundError)
        await expect(store.getHistory('j-missing')).rejects.toThrow('job j-missing not found')
      })
    })

    describe('nodes', () => {
      it('puts, replaces, reads, lists and deletes nodes', async () => {
        await store.putNode(makeNode('n-b'))
        await store.putNode(makeNode('n-a'))
        await store.putNode(makeNode('n-a', { Membership: 'REJECTED' }))
        expect((await store.getNode('n-a')).Membership).toBe('REJECTED')
        const first = await store.listNodes({ limit: 1 })
        const second = await store.listNodes({ limit: 1, nextToken: first.NextToken })
        expect([...first.Items, ...second.Items].map((node) => node.Info.NodeID)).toEqual(['n-a', 'n-b'])
        expect(second.NextToken).toBe('')
        await store.deleteNode('n-a')
        await expect(store.getNode('n-a')).rejects.toThrow('node n-a not found')
        await expect(store.deleteNode('n-a')).rejects.toThrow(NotFoundError)
        expect((await store.listNodes()).Items.map((node) => node.Info.NodeID)).toEqual(['n-b'])
      })
    })

    it('keeps many concurrent writers consistent', async () => {
      const job = await created()
      const executions = Array.from({ length: 50 }, () => makeExecution(job.ID, { ID: `e-${testUuid()}` }))
      await Promise.all(executions.map((execution) => store.createExecution(execution)))
      await Promise.all(
        executions.map((execution) =>
          store.updateExecution({
            executionId: execution.ID,
            newValues: { ComputeState: { StateType: ExecutionState.Running } },
            condition: { expectedStates: [ExecutionState.New] },
            event: { Message: 'Running', Topic: 'Execution', Timestamp: '' },
          }),
        ),
      )
      const listed = await store.listExecutions({ jobId: job.ID, computeStates: [ExecutionState.Running] })
      expect(listed.Items).toHaveLength(50)
      const history = await store.getHistory(job.ID)
      expect(history.Items.map((item) => item.SeqNum)).toEqual(Array.from({ length: 51 }, (_, index) => index + 1))
    })
  })
}
