import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'node-runner',
    include: ['test/**/*.spec.ts'],
    // `config list` and compute nodes look for AWS credentials; the SDK must never ask the
    // instance metadata service (not loopback) from a test.
    env: { AWS_EC2_METADATA_DISABLED: 'true' },
  },
})
