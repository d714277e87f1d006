// One lint config for the whole repository. The rule that matters most: code under packages/
// must run in a tab, on the edge and on Node, so it may use Web APIs only.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import { builtinModules } from 'node:module'

const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_'))

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.wrangler/**', '**/fixtures/**/*.js', 'test/bench/results/**', '.shoal-test/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2024, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['node:*'], message: 'packages/ is runtime-neutral: use Web APIs; put Node-specific code in node-runner/.' }],
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'packages/ is runtime-neutral: use Web APIs; put Node-specific code in node-runner/.',
          })),
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'packages/ is runtime-neutral: inject configuration instead of reading process.' },
        { name: 'Buffer', message: 'packages/ is runtime-neutral: use Uint8Array, TextEncoder and TextDecoder.' },
        { name: 'require', message: 'ESM only.' },
        { name: '__dirname', message: 'ESM only; use import.meta.url.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'packages/ must not read process.env: inject configuration.' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
)
