// ESLint (typescript-eslint, type-checked). The override for orchestrations/** keeps orchestrator
// code deterministic: replay re-runs it, so it must not read the clock, randomness, the process,
// Node built-ins or any SDK/adapter; time comes from context.df.currentUtcDateTime and ids from
// context.df.newGuid. Pure domain code (src/domain, which orchestrators import) is held to the same
// clock/randomness/process rules: it takes time and ids as parameters.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/**
 * The lab (src/lab: simulated target app, ARM, SQL Server, Graph, login) is a composition of
 * simulators that the dev host and the tests start; the product must work without it, so no
 * product layer may import it. (Orchestrator files get the same pattern in their own block below:
 * a later block's no-restricted-imports would replace theirs, not add to it.)
 */
const LAB_MESSAGE = 'Product code must not import the lab (src/lab): only the dev host and the tests start it.';
const PRODUCT_FILES = ['functions/**/*.ts', 'src/app/**/*.ts', 'src/domain/**/*.ts', 'src/adapters/**/*.ts', 'src/activities/**/*.ts', 'src/ports/**/*.ts', 'src/config/**/*.ts', 'src/http/**/*.ts', 'src/cli/**/*.ts'];

/**
 * What replayed and pure code must not reach: the clock (Date.now, new Date(), Date(),
 * performance), randomness (Math.random, crypto), the process, timers, I/O. globalThis/global are
 * refused as a whole: through them every one of these is reachable (globalThis.Date.now()).
 */
function determinism(advice) {
  return {
    'no-restricted-globals': [
      'error',
      { name: 'process', message: advice.process },
      { name: 'setTimeout', message: advice.timer },
      { name: 'setInterval', message: advice.timer },
      { name: 'setImmediate', message: advice.timer },
      { name: 'queueMicrotask', message: advice.timer },
      { name: 'fetch', message: advice.io },
      { name: 'require', message: 'Use static imports of deterministic modules only.' },
      { name: 'performance', message: `performance reads the clock. ${advice.time}` },
      { name: 'crypto', message: `crypto is randomness. ${advice.random}` },
      { name: 'globalThis', message: 'globalThis reaches the clock, randomness and the process: refused here.' },
      { name: 'global', message: 'global reaches the clock, randomness and the process: refused here.' },
    ],
    'no-restricted-properties': [
      'error',
      { object: 'Date', property: 'now', message: advice.time },
      { object: 'Math', property: 'random', message: advice.random },
    ],
    'no-restricted-syntax': [
      'error',
      { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: `new Date() reads the clock. ${advice.time}` },
      { selector: "CallExpression[callee.name='Date']", message: `Date() reads the clock (whatever its arguments). ${advice.time}` },
    ],
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.azurite/**', '.deploy/**', '.tools/**', 'test/fixtures/**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: { allowDefaultProject: ['vitest.config.mts', 'vitest.conformance.config.mts'] }, tsconfigRootDir: import.meta.dirname },
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
            { group: ['**/lab/**'], message: LAB_MESSAGE },
            {
              group: ['**/activities/*', '!**/activities/*.contracts.js', '!**/activities/define.js'],
              message: 'Orchestrators import activity contracts (*.contracts.ts) only, never their handlers.',
            },
          ],
        },
      ],
      ...determinism({
        time: 'Use context.df.currentUtcDateTime.',
        random: 'Use context.df.newGuid.',
        process: 'Orchestrators must not read the process or its environment: pass settings in the input.',
        timer: 'Use context.df.createTimer.',
        io: 'Orchestrators must not do I/O: call an activity.',
      }),
    },
  },
  {
    files: PRODUCT_FILES,
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/lab/**'], message: LAB_MESSAGE }] }] },
  },
  {
    // The lab is started by the dev host, never the other way round.
    files: ['src/lab/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/devhost/**'], message: 'The lab must not import the dev host: the dev host starts the lab.' }] }] },
  },
  {
    // Pure domain code (imported by orchestrators) takes time, ids and settings as parameters.
    files: ['src/domain/**/*.ts'],
    rules: determinism({
      time: 'Domain code takes the time as a parameter.',
      random: 'Domain code takes ids and random values as parameters.',
      process: 'Domain code takes settings as parameters: read the process in src/config or src/app.',
      timer: 'Domain code does not schedule work.',
      io: 'Domain code does no I/O.',
    }),
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
