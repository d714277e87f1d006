import { defineProject } from 'vitest/config'

export default defineProject({
  test: { name: 'ipfs', include: ['test/**/*.spec.ts'] },
})
