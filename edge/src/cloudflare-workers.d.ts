/**
 * The slice of the Workers runtime API that edge/ uses, declared here rather than through
 * @cloudflare/workers-types: that package redeclares the DOM globals the repository's one
 * tsconfig already has (Request, Response, WebSocket...) and the two sets conflict.
 */
declare module 'cloudflare:workers' {
  /** A cursor over a query's rows (`ctx.storage.sql.exec`). */
  export interface SqlStorageCursor<T extends Record<string, unknown>> extends Iterable<T> {
    toArray(): T[]
    readonly rowsWritten: number
  }

  /** Durable Object SQLite (`ctx.storage.sql`). */
  export interface SqlStorage {
    exec<T extends Record<string, unknown> = Record<string, unknown>>(query: string, ...bindings: unknown[]): SqlStorageCursor<T>
    /** Bytes the database takes on disk. */
    readonly databaseSize: number
  }

  /** A Durable Object's storage (`ctx.storage`). */
  export interface DurableObjectStorage {
    readonly sql: SqlStorage
    /** Runs `fn` in a transaction (a savepoint when nested); rolled back when it throws. */
    transactionSync<T>(fn: () => T): T
    /** Runs async `fn` in one transaction, holding back other events until it settles. */
    transaction<T>(fn: (txn: unknown) => Promise<T>): Promise<T>
    getAlarm(): Promise<number | null>
    setAlarm(scheduledTime: number | Date): Promise<void>
    deleteAlarm(): Promise<void>
  }

  /** What a Durable Object gets from the runtime (`ctx`). */
  export interface DurableObjectState {
    readonly id: { toString(): string; readonly name?: string }
    readonly storage: DurableObjectStorage
    blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T>
    waitUntil(promise: Promise<unknown>): void
  }

  /** Base class of a Worker's RPC entrypoints (gives `ctx` and `env`). */
  export abstract class WorkerEntrypoint<Env = unknown> {
    protected env: Env
    constructor(ctx: unknown, env: Env)
  }

  /** Base class of Durable Objects (gives `ctx` and `env`). */
  export abstract class DurableObject<Env = unknown> {
    protected ctx: DurableObjectState
    protected env: Env
    constructor(ctx: DurableObjectState, env: Env)
  }
}

/** An address of a Durable Object (from `idFromName`). */
interface DurableObjectId {
  toString(): string
}

/** A client of one Durable Object. */
interface DurableObjectStub {
  fetch(request: Request): Promise<Response>
}

/** A Durable Object namespace binding (`env.REQUESTER`). */
interface DurableObjectNamespace {
  idFromName(name: string): DurableObjectId
  get(id: DurableObjectId): DurableObjectStub
}

/** The static-assets binding (`env.ASSETS`). */
interface AssetsBinding {
  fetch(request: Request): Promise<Response>
}

/** A WebAssembly module of a worker's modules (the job's module in a loaded worker), compiled by the runtime. */
declare module '*.wasm' {
  const module: WebAssembly.Module
  export default module
}

/** A Text module (wrangler's default rules): the bundled job host, edge/build/job-host.txt. */
declare module '*.txt' {
  const text: string
  export default text
}
