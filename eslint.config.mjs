// ESLint (typescript-eslint, type-checked). The override for orchestrations/** keeps orchestrator
// code deterministic: replay re-runs it, so it must not read the clock, randomness, the process,
// Node built-ins or any SDK/adapter; time comes from context.df.currentUtcDateTime and ids from
// context.df.newGuid.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.azurite/**', 'test/fixtures/**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: { allowDefaultProject: ['vitest.config.mts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
    },
  },
  {
    // Adapters load their SDKs lazily with require() (see src/adapters/lazy.ts).
    files: ['src/adapters/**/*.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['orchestrations/**/*.ts', 'src/durable/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Orchestrators must not use Node built-ins: replay must be deterministic.' })),
          patterns: [
            { group: ['@azure/*', '!@azure/functions'], message: 'Orchestrators must not import SDKs: call an activity.' },
            { group: ['mssql', 'tedious', '@microsoft/*', 'axios', 'undici'], message: 'Orchestrators must not import SDKs: call an activity.' },
            { group: ['**/adapters/**', '**/ports/**', '**/devhost/**', '**/app/**'], message: 'Orchestrators reach external systems only through activities.' },
            {
              group: ['**/activities/*', '!**/activities/*.contracts.js', '!**/activities/define.js'],
              message: 'Orchestrators import activity contracts (*.contracts.ts) only, never their handlers.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'Orchestrators must not read the process or its environment: pass settings in the input.' },
        { name: 'setTimeout', message: 'Use context.df.createTimer.' },
        { name: 'setInterval', message: 'Use context.df.createTimer.' },
        { name: 'setImmediate', message: 'Orchestrators must not schedule work outside the Durable runtime.' },
        { name: 'fetch', message: 'Orchestrators must not do I/O: call an activity.' },
        { name: 'require', message: 'Use static imports of deterministic modules only.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Use context.df.currentUtcDateTime.' },
        { object: 'Math', property: 'random', message: 'Use context.df.newGuid.' },
        { object: 'crypto', property: 'randomUUID', message: 'Use context.df.newGuid.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'new Date() reads the clock: use context.df.currentUtcDateTime.',
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
