import { describe, expect, it } from 'vitest'
import { ValidationError } from '@shoal/models'
import { applyTemplate } from '../../src/cli/template-vars.ts'
import { normalizeBooleanFlags } from '../../src/cli/program.ts'

describe('job spec templating', () => {
  it('replaces {{.Var}} from --template-vars and matching env vars; flags win', () => {
    const text = 'Name: {{.name}}\nEnv: {{ .REGION }}\n'
    expect(applyTemplate(text, { vars: { name: 'a' }, envPattern: '^REG', env: { REGION: 'eu', OTHER: 'x' } })).toBe('Name: a\nEnv: eu\n')
    expect(applyTemplate('{{.REGION}}', { vars: { REGION: 'flag' }, envPattern: '*', env: { REGION: 'env' } })).toBe('flag')
  })

  it('names every missing variable and unsupported action', () => {
    const error = (() => {
      try {
        applyTemplate('{{.a}} {{.b}} {{range .x}}', { vars: {} })
      } catch (e) {
        return e as ValidationError
      }
    })()
    expect(error).toBeInstanceOf(ValidationError)
    expect(error!.issues.map((i) => i.message)).toEqual([
      'no value for {{.a}}; pass --template-vars a=VALUE (or --no-template)',
      'no value for {{.b}}; pass --template-vars b=VALUE (or --no-template)',
      'unsupported template action {{range .x}}; only {{.Name}} placeholders are supported (use --no-template to send the spec unchanged)',
    ])
  })
})

describe('pflag-style boolean flags', () => {
  it('rewrites --wait=false to --no-wait, leaving values after -- alone', () => {
    expect(normalizeBooleanFlags(['job', 'run', 'x.yaml', '--wait=false', '--id-only=true', '--labels=true', '--', '--wait=false'])).toEqual([
      'job', 'run', 'x.yaml', '--no-wait', '--id-only', '--labels=true', '--', '--wait=false',
    ])
  })
})
