/**
 * What a spec written for Vitest imports from 'vitest', inside workerd: `describe`, `it`,
 * `beforeEach`, `afterEach` collect tests into a registry the test worker runs one by one, and
 * `expect` is Vitest's own (@vitest/expect on chai, the same matchers and equality). The bundle
 * for workerd aliases 'vitest' to this module (see build-test-worker.ts); Vitest itself cannot
 * run inside workerd.
 */
import * as chai from 'chai'
import { JestAsymmetricMatchers, JestChaiExpect, JestExtend } from '@vitest/expect'

chai.use(JestExtend)
chai.use(JestChaiExpect)
chai.use(JestAsymmetricMatchers)

type Hook = () => unknown
type TestFn = () => unknown

/** One collected test. */
export interface CollectedTest {
  /** Its describe blocks' names and its own, joined with " > " (as Vitest names it). */
  name: string
  fn: TestFn
  beforeEach: Hook[]
  afterEach: Hook[]
}

interface Block {
  name: string
  beforeEach: Hook[]
  afterEach: Hook[]
}

const stack: Block[] = [{ name: '', beforeEach: [], afterEach: [] }]
/** Every test collected so far, in definition order. */
export const collectedTests: CollectedTest[] = []

/** Vitest's `expect`. */
export const expect = (value: unknown, message?: string): Chai.Assertion => chai.expect(value, message)

/** Groups tests under a name. */
export function describe(name: string, body: () => void): void {
  stack.push({ name, beforeEach: [], afterEach: [] })
  try {
    body()
  } finally {
    stack.pop()
  }
}

/** Defines a test. */
export function it(name: string, fn: TestFn): void {
  const names = [...stack.slice(1).map((block) => block.name), name]
  collectedTests.push({
    name: names.join(' > '),
    fn,
    beforeEach: stack.flatMap((block) => block.beforeEach),
    afterEach: stack.flatMap((block) => block.afterEach).reverse(),
  })
}

/** Runs before each test of the current block (and its inner blocks). */
export function beforeEach(hook: Hook): void {
  stack[stack.length - 1].beforeEach.push(hook)
}

/** Runs after each test of the current block (and its inner blocks), even when it failed. */
export function afterEach(hook: Hook): void {
  stack[stack.length - 1].afterEach.push(hook)
}

/** Runs one collected test with its hooks; resolves to undefined when it passed, else its error. */
export async function runCollectedTest(test: CollectedTest): Promise<{ message: string; stack?: string } | undefined> {
  let failure: unknown
  try {
    for (const hook of test.beforeEach) await hook()
    await test.fn()
  } catch (error) {
    failure = error
  }
  for (const hook of test.afterEach) {
    try {
      await hook()
    } catch (error) {
      failure ??= error
    }
  }
  if (failure === undefined) return undefined
  const error = failure instanceof Error ? failure : new Error(String(failure))
  return { message: error.message, stack: error.stack }
}
