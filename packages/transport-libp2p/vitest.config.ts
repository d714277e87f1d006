import { defineProject } from 'vitest/config'

export default defineProject({
  test: { name: 'transport-libp2p', include: ['test/**/*.spec.ts'] },
})
