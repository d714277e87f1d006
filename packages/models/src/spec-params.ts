/**
 * Params of the known engines, input sources and publishers, as zod schemas. Keys of these
 * params are matched case-insensitively when a spec is parsed; unknown keys are passed through
 * (a warning names them). Validation decodes Params with these schemas.
 */
import { z } from 'zod'

/** What a SpecConfig configures: its Params schema depends on this and on Type. */
export type SpecKind = 'engine' | 'publisher' | 'inputSource'

const required = (what: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? `missing ${what}` : `expected a string`) }).min(1, `missing ${what}`)
const strings = z.array(z.string()).optional()

/** Params of the `wasm` engine (upstream pkg/executor/wasm/models/types.go). */
export const WasmEngineParamsSchema = z.looseObject({
  EntryModule: required('entry module: set it to the Target of the input source that holds the .wasm module'),
  Entrypoint: z.string().optional(),
  Parameters: strings,
  EnvironmentVariables: z.record(z.string(), z.string()).optional(),
  ImportModules: strings,
  /** ★ Shoal extension: seeded random, virtual clock, sorted listings — identical output on any node. */
  Deterministic: z.boolean().optional(),
})
/** Decoded `wasm` engine params. */
export type WasmEngineParams = z.output<typeof WasmEngineParamsSchema>

/** Params of the `docker` engine (upstream pkg/executor/docker/models/types.go). */
export const DockerEngineParamsSchema = z.looseObject({
  Image: required('image: set Image to a pullable image such as ubuntu:24.04'),
  Entrypoint: strings,
  Parameters: strings,
  EnvironmentVariables: strings,
  WorkingDirectory: z.string().optional(),
})
/** Decoded `docker` engine params. */
export type DockerEngineParams = z.output<typeof DockerEngineParamsSchema>

/** Params of an `inline` input source: a data: URL. */
export const InlineSourceParamsSchema = z.looseObject({ URL: required('URL: set it to a data: URL') })
/** Params of a `urlDownload` input source. */
export const UrlDownloadSourceParamsSchema = z.looseObject({ URL: required('URL: set it to an http(s) URL') })
/** Params of a `local` (legacy `localDirectory`) input source: a path on the compute node. */
export const LocalSourceParamsSchema = z.looseObject({
  SourcePath: required('SourcePath: set it to an absolute path on the compute node'),
  ReadWrite: z.boolean().optional(),
  CreateAs: z.string().optional(),
})
/** Params of an `s3` input source. */
export const S3SourceParamsSchema = z.looseObject({
  Bucket: required('Bucket'),
  Key: z.string().optional(),
  Filter: z.string().optional(),
  Region: z.string().optional(),
  Endpoint: z.string().optional(),
  VersionID: z.string().optional(),
  ChecksumSHA256: z.string().optional(),
  Partition: z.looseObject({}).optional(),
})
/** Params of an `ipfs` input source. */
export const IpfsSourceParamsSchema = z.looseObject({ CID: required('CID') })

/** Params of the `s3` publisher; Key may hold {jobID} {executionID} {nodeID} {date} {time}. */
export const S3PublisherParamsSchema = z.looseObject({
  Bucket: required('Bucket'),
  Key: required('Key: set a key prefix, e.g. results/{jobID}/{executionID}'),
  Endpoint: z.string().optional(),
  Region: z.string().optional(),
  Encoding: z.enum(['gzip', 'plain'], { error: 'Encoding must be gzip or plain' }).optional(),
})

const noParams = z.looseObject({})

/** Params schemas by kind and (canonical) type. A type absent here keeps its params unchecked. */
export const PARAMS_SCHEMAS: Readonly<Record<SpecKind, Readonly<Record<string, z.ZodType>>>> = {
  engine: { wasm: WasmEngineParamsSchema, docker: DockerEngineParamsSchema, noop: noParams },
  inputSource: {
    inline: InlineSourceParamsSchema,
    urlDownload: UrlDownloadSourceParamsSchema,
    local: LocalSourceParamsSchema,
    localDirectory: LocalSourceParamsSchema,
    s3: S3SourceParamsSchema,
    ipfs: IpfsSourceParamsSchema,
  },
  publisher: { local: noParams, ipfs: noParams, noop: noParams, s3: S3PublisherParamsSchema },
}
