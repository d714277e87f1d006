/**
 * S3 in a tab, against a real requester process and a real S3 server that checks signatures
 * (Ceph's radosgw, on loopback inside this scenario's network namespace). A tab holds no S3
 * credentials; the requester does. The tab reads `s3PreSigned` inputs (presigned GET URLs made
 * here) and publishes with the `s3` publisher through URLs the requester presigns for it: a small
 * result in one PUT, one past the single-PUT bound (16 MiB) as a multipart upload. The buckets
 * carry a CORS rule for the page's origin, as a deployment's would. Then the tab is closed and
 * every result is fetched with `shoal job get` (through the requester's presigned GET). Prints
 * one JSON line of findings.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, PutBucketCorsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import wabtInit from 'wabt'
import { EXECUTION_STATES } from '@shoal/models'
import { openHeadlessTabs } from '../../../node-runner/src/browsers/index.ts'
import { inlineWasmJob, startRadosgw, startRequester, tempDir } from '../../support/index.ts'
import { ensureWebBuilt, fail, FIXTURES, hook, log, poll, report, shoal, watchTab } from './scenario-kit.ts'

const INPUTS = 'tab-inputs'
const RESULTS = 'tab-results'
const HELLO = 'hello from s3 in a tab\n'
/** Past the 16 MiB the requester signs as one PUT (random: gzip cannot shrink it below). */
const LARGE_BYTES = 20 * 1024 * 1024

interface ExecutionView {
  ID: string
  NodeID: string
  ComputeState: { StateType: string | number; Message?: string }
  PublishedResult?: { Type: string; Params?: Record<string, unknown> } | null
  RunOutput?: { ExitCode?: number; ErrorMsg?: string }
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

try {
  ensureWebBuilt()
  const work = await tempDir('shoal-tab-s3-')
  const wabt = await wabtInit()
  const copyFile = join(work, 'copy-file.wasm')
  const wat = wabt.parseWat('copy-file.wat', await readFile(new URL('../fixtures/copy-file.wat', import.meta.url), 'utf8'))
  await writeFile(copyFile, wat.toBinary({}).buffer)
  wat.destroy()

  const gw = await startRadosgw({ timeoutMs: 120_000 })
  const s3 = new S3Client({
    region: gw.region,
    endpoint: gw.endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: gw.accessKeyId, secretAccessKey: gw.secretAccessKey },
  })
  // Only the requester has credentials: it presigns the tab's uploads and `job get`'s download.
  const requester = await startRequester({
    dataDir: join(work, 'requester'),
    timeoutMs: 90_000,
    env: {
      AWS_ACCESS_KEY_ID: gw.accessKeyId,
      AWS_SECRET_ACCESS_KEY: gw.secretAccessKey,
      AWS_ENDPOINT_URL_S3: gw.endpoint,
      AWS_REGION: gw.region,
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      AWS_CONFIG_FILE: '/nonexistent',
    },
  })
  const api = requester.apiUrl
  const origin = new URL(api).origin
  const large = new Uint8Array(randomBytes(LARGE_BYTES))
  let tabs: Awaited<ReturnType<typeof openHeadlessTabs>> | undefined
  let findings: unknown
  try {
    for (const Bucket of [INPUTS, RESULTS]) {
      await s3.send(new CreateBucketCommand({ Bucket }))
      // What a deployment sets for the page's origin: tabs fetch and upload cross-origin.
      await s3.send(
        new PutBucketCorsCommand({
          Bucket,
          CORSConfiguration: { CORSRules: [{ AllowedOrigins: [origin], AllowedMethods: ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 600 }] },
        }),
      )
    }
    await s3.send(new PutObjectCommand({ Bucket: INPUTS, Key: 'docs/hello.txt', Body: HELLO }))
    await s3.send(new PutObjectCommand({ Bucket: INPUTS, Key: 'large/data', Body: large }))
    const presign = (Key: string) => getSignedUrl(s3, new GetObjectCommand({ Bucket: INPUTS, Key }), { expiresIn: 900 })
    log(`radosgw at ${gw.endpoint}, requester at ${api}`)

    // The tab may fetch inputs from loopback (radosgw here), as a node's --allow-url-hosts.
    tabs = await openHeadlessTabs({ url: `${api}/?allow-url-host=127.0.0.1`, count: 1, namespaceOk: false })
    const page = tabs.pages[0]
    watchTab(page, '0')
    const nodeId = await hook(page, (h) => h.nodeId())

    const job = (module: string, args: string[], input: { key: string; target: string }, resultPath?: string) => {
      const spec = inlineWasmJob(module, { args, publisher: 's3' }) as { Tasks: Array<{ InputSources: unknown[]; Publisher: unknown; ResultPaths?: unknown[] }> }
      const task = spec.Tasks[0]
      return presign(input.key).then((url) => {
        task.InputSources.push({ Target: input.target, Source: { Type: 's3PreSigned', Params: { Bucket: INPUTS, Key: input.key, PreSignedURL: url } } })
        task.Publisher = { Type: 's3', Params: { Bucket: RESULTS, Key: 'tab/{jobID}/{executionID}' } }
        if (resultPath) task.ResultPaths = [{ Name: 'outputs', Path: resultPath }]
        return spec
      })
    }
    const finished = (id: string) =>
      poll(
        `job ${id} to finish`,
        async () => {
          const { Job: current } = await requester.client.getJob(id)
          if (!['Completed', 'Failed', 'Stopped'].includes(String(current.State.StateType))) return undefined
          const { Items } = await requester.client.jobExecutions(id)
          return { state: String(current.State.StateType), executions: Items as unknown as ExecutionView[] }
        },
        { timeoutMs: 150_000, everyMs: 250 },
      )
    const summary = (view: Awaited<ReturnType<typeof finished>>) => ({
      state: view.state,
      executions: view.executions.map((e) => ({
        node: e.NodeID,
        state: typeof e.ComputeState.StateType === 'number' ? EXECUTION_STATES[e.ComputeState.StateType] : e.ComputeState.StateType,
        message: e.ComputeState.Message ?? '',
        published: e.PublishedResult ?? null,
        exitCode: e.RunOutput?.ExitCode,
      })),
    })
    const submit = async (spec: Record<string, unknown>) => (await requester.client.putJob(spec)).JobID
    const stored = async (published: { Params?: Record<string, unknown> } | null | undefined) => {
      if (!published?.Params) return undefined
      const head = await s3.send(new HeadObjectCommand({ Bucket: String(published.Params.Bucket), Key: String(published.Params.Key) })).catch(() => undefined)
      return head ? { bytes: head.ContentLength ?? 0, multipartETag: /-\d+"?$/.test(head.ETag ?? '') } : undefined
    }

    // 1. cat over an s3PreSigned input; a small result: one presigned PUT.
    const smallJob = await submit(await job(join(FIXTURES, 'cat.wasm'), ['/inputs/hello.txt'], { key: 'docs/hello.txt', target: '/inputs' }))
    const smallView = summary(await finished(smallJob))
    log(`small job ${smallJob}: ${JSON.stringify(smallView)}`)
    // 2. copy-file (fixtures/copy-file.wat: /inputs/data to /outputs/data) over a 20 MiB s3PreSigned input: a multipart upload.
    const largeJob = await submit(await job(copyFile, [], { key: 'large/data', target: '/inputs' }, '/outputs'))
    const largeView = summary(await finished(largeJob))
    log(`large job ${largeJob}: ${JSON.stringify(largeView)}`)
    if (largeView.state !== 'Completed') log(`large job history: ${JSON.stringify((await requester.client.jobHistory(largeJob)).Items)}`)
    const smallStored = await stored(smallView.executions.find((e) => e.published)?.published)
    const largeStored = await stored(largeView.executions.find((e) => e.published)?.published)
    const openUploads = (await s3.send(new ListMultipartUploadsCommand({ Bucket: RESULTS }))).Uploads?.length ?? 0

    // The tab goes away; what it published must not.
    await tabs.close()
    log('tab closed')
    const get = async (id: string, file: string) => {
      const dir = join(work, `get-${id}`)
      const result = await shoal(api, ['job', 'get', id, '--output-dir', dir])
      const bytes = result.code === 0 ? await readFile(join(dir, file)).catch(() => undefined) : undefined
      return { code: result.code, stderr: result.stderr, sha: bytes ? sha256(bytes) : undefined, text: bytes && bytes.byteLength < 1024 ? bytes.toString() : undefined }
    }
    findings = {
      nodeId,
      expected: { hello: HELLO, large: sha256(large) },
      smallJob: { ...smallView, stored: smallStored, get: await get(smallJob, 'stdout') },
      largeJob: { ...largeView, stored: largeStored, get: await get(largeJob, 'outputs/data') },
      openUploads,
    }
  } finally {
    await tabs?.close().catch(() => {})
    await requester.process.stop()
    s3.destroy()
    await gw.stop()
    await rm(work, { recursive: true, force: true })
  }
  // Reported after clean-up: report() exits the process.
  report(findings)
} catch (err) {
  fail(err)
}
