/**
 * Issue 12: S3 throughput of a Node compute node against a real S3 server (Ceph's radosgw on
 * loopback, test/support/radosgw.ts, objects in a file-backed BlueStore). In this one process:
 * - input: Shoal's `s3` storage provider preparing an object as a job input (into the node's
 *   disk VolumeSpace, as `shoal serve --compute` does) vs the AWS SDK's own GetObject of the same
 *   object piped to a file. Goal: Shoal at least 90% of the SDK's throughput.
 * - publish: the `s3` publisher (Encoding plain: the file as one object, through its multipart
 *   upload) vs the SDK's Upload of the same file with its defaults.
 * Runs alternate (SDK, Shoal, SDK, Shoal, …) so machine load hits both alike; the best of each
 * is reported, as the least disturbed sample.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { singleFileTree, type ReadableTree } from '@shoal/interface'
import type { Job } from '@shoal/models'
import { S3Publisher } from '../../node-runner/src/publisher/s3-publisher.ts'
import { HostVolumeSpace } from '../../node-runner/src/storage/host-volume-space.ts'
import { S3ClientProvider } from '../../node-runner/src/storage/s3-client-provider.ts'
import { S3Storage } from '../../node-runner/src/storage/s3-storage.ts'
import { removeTempDirs, startRadosgw, tempDir, writeSeededFile, type Radosgw } from '../support/index.ts'
import type { BenchContext, BenchGroup } from './bench-group.ts'
import { baselineOf, type BenchFigure } from './report.ts'

const MIB = 1024 ** 2
const MB = 1e6
const BUCKET = 'bench'
const INPUT_GOAL_RATIO = 0.9

/** Seconds `work` takes. */
async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await work()
  return (performance.now() - started) / 1000
}

async function run(context: BenchContext): Promise<BenchFigure[]> {
  const bytes = context.quick ? 64 * MIB : 256 * MIB
  const rounds = context.quick ? 1 : 3
  const dir = await tempDir('shoal-bench-s3-')
  let gw: Radosgw | undefined
  let sdk: S3Client | undefined
  let clients: S3ClientProvider | undefined
  try {
    context.progress('s3: starting radosgw (one mon, one BlueStore OSD on a sparse file)')
    // Room for the input object and both uploads of it, with BlueStore's own overhead.
    gw = await startRadosgw({ bluestoreBytes: 4 * bytes + 2048 * MIB, timeoutMs: 120_000 })
    const env = { AWS_ACCESS_KEY_ID: gw.accessKeyId, AWS_SECRET_ACCESS_KEY: gw.secretAccessKey, AWS_ENDPOINT_URL_S3: gw.endpoint, AWS_REGION: gw.region }
    // The provider's credentials come from the SDK's default chain, which reads process.env.
    Object.assign(process.env, env)
    clients = new S3ClientProvider({ env })
    sdk = new S3Client({ region: gw.region, endpoint: gw.endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED', credentials: { accessKeyId: gw.accessKeyId, secretAccessKey: gw.secretAccessKey } })
    await sdk.send(new CreateBucketCommand({ Bucket: BUCKET }))
    const source = join(dir, 'data.bin')
    context.progress(`s3: writing ${bytes / MIB} MiB of seeded data and uploading it`)
    await writeSeededFile(source, bytes)
    await new Upload({ client: sdk, params: { Bucket: BUCKET, Key: 'input.bin', Body: createReadStream(source) } }).done()

    const space = await HostVolumeSpace.open({ directory: join(dir, 'space'), totalBytes: 2 * bytes })
    const storage = new S3Storage({ clients })
    const input = { Target: '/inputs', Source: { Type: 's3', Params: { Bucket: BUCKET, Key: 'input.bin' } } }
    const publisher = new S3Publisher({ clients })
    const job = { ID: 'j-bench', Name: 'bench', Tasks: [] } as unknown as Job
    const fileTree = (): ReadableTree => singleFileTree(bytes, () => Readable.toWeb(createReadStream(source)) as ReadableStream<Uint8Array>)
    const sdkDownload = join(dir, 'sdk-download.bin')

    const samples = { sdkGet: [] as number[], shoalGet: [] as number[], sdkPut: [] as number[], shoalPut: [] as number[] }
    for (let round = 0; round < rounds && !context.signal.aborted; round++) {
      context.progress(`s3: round ${round + 1}/${rounds}: GetObject to a file, then the s3 storage provider`)
      samples.sdkGet.push(
        await timed(async () => {
          const object = await sdk!.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'input.bin' }), { abortSignal: context.signal })
          await pipeline(object.Body as Readable, createWriteStream(sdkDownload))
        }),
      )
      await rm(sdkDownload, { force: true })
      const executionId = `e-bench-${round}`
      samples.shoalGet.push(await timed(() => storage.prepare(input, { executionId, jobId: 'j-bench', inputIndex: 0, space, signal: context.signal })))
      await space.release(executionId)

      context.progress(`s3: round ${round + 1}/${rounds}: the SDK's Upload, then the s3 publisher`)
      samples.sdkPut.push(await timed(() => new Upload({ client: sdk!, params: { Bucket: BUCKET, Key: `sdk-upload-${round}.bin`, Body: createReadStream(source) } }).done()))
      samples.shoalPut.push(
        await timed(() =>
          publisher.publish({
            executionId,
            nodeId: 'n-bench',
            job,
            spec: { Type: 's3', Params: { Bucket: BUCKET, Key: `shoal-upload-${round}`, Encoding: 'plain' } },
            result: fileTree(),
            signal: context.signal,
          }),
        ),
      )
    }
    const best = (values: number[]) => Math.min(...values)
    const mbps = (seconds: number) => bytes / MB / seconds
    const sdkGet = mbps(best(samples.sdkGet))
    const shoalGet = mbps(best(samples.shoalGet))
    const sdkPut = mbps(best(samples.sdkPut))
    const shoalPut = mbps(best(samples.shoalPut))
    context.note(`s3: ${bytes / MIB} MiB object, best of ${rounds} alternating runs each; seconds: ${JSON.stringify(samples)}`)
    return [
      {
        id: 'S1',
        name: `s3 input ${bytes / MIB} MiB: s3 storage provider into the node's disk space`,
        value: shoalGet,
        unit: 'MB/s',
        goal: { value: INPUT_GOAL_RATIO, better: 'higher', on: 'ratio' },
        baseline: baselineOf('SDK GetObject to a file (MB/s)', sdkGet, shoalGet),
        notes: 'radosgw on loopback; ratio = Shoal / SDK throughput (goal >= 0.9)',
      },
      {
        id: 'S2',
        name: `s3 publish ${bytes / MIB} MiB: s3 publisher (plain, 16 MiB parts, 1 in flight)`,
        value: shoalPut,
        unit: 'MB/s',
        baseline: baselineOf("SDK Upload, defaults: 5 MiB parts, 4 in flight (MB/s)", sdkPut, shoalPut),
        notes: 'ratio = Shoal / SDK throughput; the publisher holds one part in memory at a time',
      },
    ]
  } finally {
    sdk?.destroy()
    clients?.destroy()
    await gw?.stop()
    await removeTempDirs()
  }
}

/** The `s3` group. */
export const s3Group: BenchGroup = {
  name: 's3',
  summary: 'issue 12: s3 input and publisher throughput vs the AWS SDK, against radosgw on loopback',
  run,
}
