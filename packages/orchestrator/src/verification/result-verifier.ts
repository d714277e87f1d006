import type { Execution, ExecutionVerification, Job, RunCommandResult } from '@shoal/models'
import { ExecutionDesiredState, ExecutionState, TERMINAL_EXECUTION_STATES, shortId, verificationQuorum, verificationReplicas } from '@shoal/models'
import type { JobStore } from '@shoal/interface'
import type { Effects } from '../effects.ts'
import { isoTime } from '../scheduler/apply-plan.ts'
import { listAllExecutions } from '../store-paging.ts'
import { decideQuorum } from './quorum.ts'

/** A RunResult as the verifier reads it. */
export interface ReportedResult {
  RunOutput: RunCommandResult
  ResultDigest?: string
}

/** What the verifier made of a RunResult. */
export type VerifierDecision =
  /** Not a verified job's result, or the accepted publisher's published result: store it as usual. */
  | 'ordinary'
  /** Handled here (a proposal recorded, maybe a verdict, or a result refused): evaluate the job. */
  | 'handled'

/** A verdict on one node's result, for its reputation (NodeRegistry.recordVerdicts after commit). */
export interface NodeVerdict {
  nodeId: string
  agreed: boolean
}

/** Shortens a digest for messages: `sha256:0123456789ab…`. */
export const shortDigest = (digest: string): string => `${digest.slice(0, 19)}…`

/**
 * The requester's half of verified results (Meta shoal.verify/replicas): records each replica's
 * result digest, and once every replica of a partition proposed, accepts the digest a strict
 * majority agrees on (one agreeing node is asked to publish it, the others to drop theirs) or
 * rejects them all; every step is written to the job's history. Runs inside the caller's store
 * transaction; messages go out through `effects` after it commits.
 */
export async function verifyRunResult(tx: JobStore, e: Execution, reported: ReportedResult, effects: Effects, options: { now: number; verdicts: NodeVerdict[] }): Promise<VerifierDecision> {
  const { now, verdicts } = options
  const job = await tx.getJob(e.JobID)
  const replicas = verificationReplicas(job)
  if (replicas === 0) {
    if (reported.ResultDigest === undefined) return 'ordinary'
    // A digest for an unverified job is harmless: the node holds its result and waits for a verdict.
    await accept(tx, job, e, { Digest: reported.ResultDigest, Outcome: 'accepted', Publisher: true }, effects, now, 'the job asks for no verification')
    return 'handled'
  }
  if (reported.ResultDigest === undefined) {
    if (e.Verification?.Outcome === 'accepted' && e.Verification.Publisher) return 'ordinary'
    // A node that publishes without being asked skips the vote: its result never counts.
    verdicts.push({ nodeId: e.NodeID, agreed: false })
    await reject(tx, job, e, e.Verification ?? { Digest: '', Outcome: 'rejected' }, effects, now, `node ${shortId(e.NodeID)} reported a published result before its replicas were compared; a verified job's result is published only after a quorum agrees`, reported.RunOutput)
    return 'handled'
  }
  const proposal: Execution = {
    ...e,
    RunOutput: reported.RunOutput,
    ComputeState: { StateType: ExecutionState.Publishing, Message: `result ${shortDigest(reported.ResultDigest)} held for verification` },
    Verification: { Digest: reported.ResultDigest, Outcome: 'proposed' },
  }
  await tx.updateExecution({
    executionId: e.ID,
    newValues: { ComputeState: proposal.ComputeState, RunOutput: reported.RunOutput, Verification: proposal.Verification },
    condition: { unexpectedStates: [...TERMINAL_EXECUTION_STATES] },
    event: {
      Message: `execution ${shortId(e.ID)} on node ${shortId(e.NodeID)} proposed result ${reported.ResultDigest} (exit code ${reported.RunOutput.ExitCode}); waiting for the other replicas`,
      Topic: 'Verification',
      Timestamp: isoTime(now),
    },
  })
  // The run is over: the node's capacity is free while the replicas are compared.
  effects.ended.push(e.ID)
  const siblings = (await listAllExecutions(tx, { jobId: e.JobID, jobVersion: e.JobVersion }))
    .map((s) => (s.ID === e.ID ? proposal : s))
    .filter((s) => s.PartitionIndex === e.PartitionIndex && s.ComputeState.StateType === ExecutionState.Publishing && s.Verification?.Outcome === 'proposed')
  const verdict = decideQuorum(replicas, siblings)
  if (!verdict) return 'handled'
  const partition = `partition ${e.PartitionIndex}`
  if (verdict.kind === 'accepted') {
    const [publisher, ...others] = verdict.agreeing
    const dissent = verdict.disagreeing.map((d) => `${d.NodeID} (${d.Verification?.Digest})`).join(', ')
    await history(tx, job, now, `${partition} verified: result ${verdict.digest} agreed by ${verdict.agreeing.map((a) => a.NodeID).join(', ')} (${verdict.agreeing.length} of ${replicas}, quorum ${verificationQuorum(replicas)})` +
      `${dissent ? `; disagreed: ${dissent}` : ''}; ${publisher!.NodeID} publishes it`)
    for (const a of verdict.agreeing) verdicts.push({ nodeId: a.NodeID, agreed: true })
    for (const d of verdict.disagreeing) verdicts.push({ nodeId: d.NodeID, agreed: false })
    await accept(tx, job, publisher!, { Digest: verdict.digest, Outcome: 'accepted', Publisher: true }, effects, now, `${verdict.agreeing.length} of ${replicas} replicas agree`)
    for (const other of others) await accept(tx, job, other, { Digest: verdict.digest, Outcome: 'accepted' }, effects, now, `${verdict.agreeing.length} of ${replicas} replicas agree`)
    for (const d of verdict.disagreeing) {
      await reject(tx, job, d, { Digest: d.Verification!.Digest, Outcome: 'rejected' }, effects, now, `result ${d.Verification!.Digest} differs from ${verdict.digest}, which ${verdict.agreeing.length} of ${replicas} replicas agree on`)
    }
    return 'handled'
  }
  const split = verdict.groups.map((g) => `${g.digest} from ${g.executions.map((x) => x.NodeID).join(', ')}`).join('; ')
  await history(tx, job, now, `${partition}: no ${verificationQuorum(replicas)} of ${replicas} replicas agree (${split}); every result is rejected and the partition runs again on other nodes while attempts remain`)
  for (const g of verdict.groups) {
    for (const x of g.executions) {
      verdicts.push({ nodeId: x.NodeID, agreed: false })
      await reject(tx, job, x, { Digest: g.digest, Outcome: 'rejected' }, effects, now, `no ${verificationQuorum(replicas)} of ${replicas} replicas agree (${split})`)
    }
  }
  return 'handled'
}

async function history(tx: JobStore, job: Job, now: number, message: string): Promise<void> {
  const time = isoTime(now)
  await tx.addHistory({ Type: 'JobLevel', JobID: job.ID, JobVersion: job.Version, Event: { Message: message, Topic: 'Verification', Timestamp: time }, Time: time })
}

/** The publisher stays Publishing until its published result arrives; the others complete without one. */
async function accept(tx: JobStore, _job: Job, e: Execution, verification: ExecutionVerification, effects: Effects, now: number, why: string): Promise<void> {
  const publish = verification.Publisher === true
  await tx.updateExecution({
    executionId: e.ID,
    newValues: publish
      ? { ComputeState: { StateType: ExecutionState.Publishing, Message: `result ${shortDigest(verification.Digest)} accepted (${why}); publishing it` }, Verification: verification }
      : {
          ComputeState: { StateType: ExecutionState.Completed, Message: `result ${shortDigest(verification.Digest)} accepted (${why}); another node publishes it` },
          DesiredState: { StateType: ExecutionDesiredState.Stopped, Message: '' },
          Verification: verification,
        },
    condition: { unexpectedStates: [...TERMINAL_EXECUTION_STATES] },
    event: {
      Message: `result of execution ${shortId(e.ID)} on node ${shortId(e.NodeID)} accepted (${why})${publish ? '; it publishes the result' : ''}`,
      Topic: 'Verification',
      Timestamp: isoTime(now),
    },
  })
  effects.send(e.NodeID, { Type: 'ResultAccepted', ExecutionID: e.ID, Publish: publish, Reason: why })
  if (!publish) effects.ended.push(e.ID)
}

async function reject(tx: JobStore, _job: Job, e: Execution, verification: ExecutionVerification, effects: Effects, now: number, why: string, runOutput?: RunCommandResult): Promise<void> {
  const message = `result rejected: ${why}`
  const output = runOutput ?? e.RunOutput
  await tx.updateExecution({
    executionId: e.ID,
    newValues: {
      ComputeState: { StateType: ExecutionState.Failed, Message: message },
      DesiredState: { StateType: ExecutionDesiredState.Stopped, Message: message },
      Verification: verification,
      ...(output ? { RunOutput: { ...output, ErrorMsg: message } } : {}),
      PublishedResult: null,
    },
    condition: { unexpectedStates: [...TERMINAL_EXECUTION_STATES] },
    event: { Message: `execution ${shortId(e.ID)} on node ${shortId(e.NodeID)}: ${message}`, Topic: 'Verification', Timestamp: isoTime(now) },
  })
  effects.send(e.NodeID, { Type: 'ResultRejected', ExecutionID: e.ID, Reason: message })
  effects.ended.push(e.ID)
}
