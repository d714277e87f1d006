import { defineProject } from 'vitest/config'

export default defineProject({
  test: { name: 'wasm', include: ['test/**/*.spec.ts'] },
})
