import { defineProject } from 'vitest/config'

export default defineProject({
  test: { name: 'node-runner', include: ['test/**/*.spec.ts'] },
})
