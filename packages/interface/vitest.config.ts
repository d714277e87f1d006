import { defineProject } from 'vitest/config'

export default defineProject({
  test: { name: 'interface', include: ['test/**/*.spec.ts'] },
})
