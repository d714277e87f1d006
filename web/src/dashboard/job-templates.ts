/** Starting points of the job editor: common jobs as YAML a person can read and change. */

/** A template: its name, what it is for, and its spec. */
export interface JobTemplate {
  name: string
  description: string
  spec: string
}

/** The editor's templates. */
export const JOB_TEMPLATES: readonly JobTemplate[] = [
  {
    name: 'WASM module (pick a .wasm file)',
    description: 'Runs a WASI module sent with the job as an inline input. Pick the file below; it becomes the input.',
    spec: `Name: my-wasm-job
Type: batch
Count: 1
Tasks:
  - Name: main
    Engine:
      Type: wasm
      Params:
        EntryModule: /app/main.wasm
        Entrypoint: _start
        Parameters: []
    InputSources: []
    Publisher:
      Type: local
    Timeouts:
      ExecutionTimeout: 600
`,
  },
  {
    name: 'WASM module from a URL',
    description: 'Downloads the module over HTTP(S) on the node that runs it.',
    spec: `Name: wasm-from-url
Type: batch
Count: 1
Tasks:
  - Name: main
    Engine:
      Type: wasm
      Params:
        EntryModule: /app/main.wasm
    InputSources:
      - Source:
          Type: urlDownload
          Params:
            URL: https://example.com/main.wasm
        Target: /app/main.wasm
`,
  },
  {
    name: 'Docker command',
    description: 'Runs a command in a container on a node-runner with Docker.',
    spec: `Name: hello-docker
Type: batch
Count: 1
Tasks:
  - Name: main
    Engine:
      Type: docker
      Params:
        Image: ubuntu:24.04
        Entrypoint: ["echo", "hello from docker"]
    Publisher:
      Type: local
`,
  },
]
