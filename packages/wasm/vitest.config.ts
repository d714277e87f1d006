import { defineProject } from 'vitest/config'

export default defineProject({
  test: { name: 'wasm', include: ['test/**/*.spec.ts'], exclude: ['test/**/*.browser.spec.ts', '**/node_modules/**'] },
})
