import { defineProject } from 'vitest/config'

export default defineProject({
  test: { name: 'compute', include: ['test/**/*.spec.ts'] },
})
