import { afterEach, describe, expect, it } from 'vitest'
import type { MessageOf } from '@shoal/protocol'
import type { UploadSignRequest, UploadSigner } from '../../src/upload-signer.ts'
import { RequesterHarness, noopJob, until } from '../helpers/requester-harness.ts'
import type { FakeComputeNode } from '../helpers/fake-compute-node.ts'

const S3_PUBLISHER = { Type: 's3', Params: { Bucket: 'results', Key: 'out/{jobID}' } }
const RESULT = { Type: 's3', Params: { Bucket: 'results', Key: 'out/j.tar.gz', Endpoint: '', Region: '' } }

/** A signer recording what it was asked, answering with one presigned PUT. */
function recordingSigner(): UploadSigner & { calls: UploadSignRequest[] } {
  const calls: UploadSignRequest[] = []
  const signer = async (request: UploadSignRequest) => {
    calls.push(request)
    return { result: RESULT, putUrl: `https://s3.example/results/out/j.tar.gz?X-Amz-Signature=${request.size}` }
  }
  return Object.assign(signer, { calls })
}

/** Sends an UploadGrantRequest from `node` and waits for its UploadGrant. */
async function ask(node: FakeComputeNode, executionId: string, size: number, requestId = 'r1'): Promise<MessageOf<'UploadGrant'>> {
  await node.send({ Type: 'UploadGrantRequest', RequestID: requestId, ExecutionID: executionId, Size: size })
  await until(() => node.receivedOf('UploadGrant').some((grant) => grant.RequestID === requestId), 'the UploadGrant')
  return node.receivedOf('UploadGrant').find((grant) => grant.RequestID === requestId)!
}

describe('upload grants (s3 results of nodes without credentials)', () => {
  let h: RequesterHarness
  afterEach(async () => h?.stop())

  it("presigns the upload of a running execution's s3 result for the node that runs it", async () => {
    const signer = recordingSigner()
    h = await new RequesterHarness({}, undefined, { uploadSigner: signer }).start()
    const node = await h.addNode('n-tab', { run: 'hang', publishers: ['s3'] })
    const jobId = await h.submit(noopJob({}, { Publisher: S3_PUBLISHER }))
    await until(() => node.executionsIn('running').length === 1, 'the execution running')
    const [execution] = node.executionsIn('running')

    const grant = await ask(node, execution.ID, 12345)
    expect(grant).toMatchObject({ ExecutionID: execution.ID, Error: '', Result: RESULT, PutURL: 'https://s3.example/results/out/j.tar.gz?X-Amz-Signature=12345' })
    expect(signer.calls).toHaveLength(1)
    expect(signer.calls[0]).toMatchObject({ size: 12345, spec: S3_PUBLISHER, job: { ID: jobId }, execution: { ID: execution.ID, NodeID: 'n-tab' } })
  })

  it("refuses another node's execution without asking the signer", async () => {
    const signer = recordingSigner()
    h = await new RequesterHarness({}, undefined, { uploadSigner: signer }).start()
    const node = await h.addNode('n-tab', { run: 'hang', publishers: ['s3'] })
    await h.submit(noopJob({}, { Publisher: S3_PUBLISHER }))
    await until(() => node.executionsIn('running').length === 1, 'the execution running')
    const [execution] = node.executionsIn('running')
    const other = await h.addNode('n-other', { run: 'hang', publishers: ['s3'] })

    const grant = await ask(other, execution.ID, 10)
    expect(grant.Error).toBe(`execution ${execution.ID} is not an active execution of node n-other`)
    expect(grant.PutURL).toBeUndefined()
    expect(signer.calls).toHaveLength(0)
  })

  it('refuses a job that does not publish to s3', async () => {
    const signer = recordingSigner()
    h = await new RequesterHarness({}, undefined, { uploadSigner: signer }).start()
    const node = await h.addNode('n-tab', { run: 'hang' })
    const jobId = await h.submit(noopJob())
    await until(() => node.executionsIn('running').length === 1, 'the execution running')
    const grant = await ask(node, node.executionsIn('running')[0].ID, 10)
    expect(grant.Error).toBe(`job ${jobId} does not publish to s3 (its publisher is none)`)
    expect(signer.calls).toHaveLength(0)
  })

  it('says why when the requester has no S3 credentials (no signer)', async () => {
    h = await new RequesterHarness().start()
    const node = await h.addNode('n-tab', { run: 'hang', publishers: ['s3'] })
    await h.submit(noopJob({}, { Publisher: S3_PUBLISHER }))
    await until(() => node.executionsIn('running').length === 1, 'the execution running')
    const grant = await ask(node, node.executionsIn('running')[0].ID, 10)
    expect(grant.Error).toContain('this requester cannot presign s3 uploads (it has no S3 credentials)')
  })

  it("passes the signer's failure to the node", async () => {
    h = await new RequesterHarness({}, undefined, {
      uploadSigner: async () => {
        throw new Error('PUT s3://results/out/j.tar.gz failed: bucket results does not exist')
      },
    }).start()
    const node = await h.addNode('n-tab', { run: 'hang', publishers: ['s3'] })
    await h.submit(noopJob({}, { Publisher: S3_PUBLISHER }))
    await until(() => node.executionsIn('running').length === 1, 'the execution running')
    const grant = await ask(node, node.executionsIn('running')[0].ID, 10)
    expect(grant.Error).toBe('PUT s3://results/out/j.tar.gz failed: bucket results does not exist')
  })
})
