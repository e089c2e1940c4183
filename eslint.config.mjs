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
 * The layers (README "Layout"): what each may import. Each entry names a folder pattern and why it
 * is out of bounds; one no-restricted-imports block a layer, because a later block's
 * no-restricted-imports replaces an earlier one's for the same file rather than adding to it.
 * test/lint/layer-rules.test.ts proves every refusal fires; test/lint/orchestrator-imports.test.ts
 * walks the import graph for what lint cannot see (an orchestrator loading an adapter or SDK
 * through a chain of imports).
 */
const LAYER_FOLDERS = {
  functions: ['**/functions/**'],
  orchestrations: ['**/orchestrations/**'],
  app: ['**/app/**', '**/http/**'],
  activities: ['**/activities/**'],
  adapters: ['**/adapters/**'],
  ports: ['**/ports/**'],
  config: ['**/config/**'],
  devhost: ['**/devhost/**'],
  lab: ['**/lab/**'],
  cli: ['**/cli/**'],
};
const SDKS = ['@azure/*', '!@azure/functions', 'mssql', 'tedious', '@microsoft/*', 'jose', 'axios', 'undici'];
const LAB_MESSAGE = 'Product code must not import the lab (src/lab): only the dev host and the tests start it.';

/** A layer's refusals: [folder, why] pairs (folder: a LAYER_FOLDERS key, or 'sdks'). */
function layer(name, refusals, extraPaths = []) {
  return {
    'no-restricted-imports': [
      'error',
      {
        paths: extraPaths,
        patterns: refusals.map(([target, why]) =>
          target === 'lab'
            ? { group: LAYER_FOLDERS.lab, message: LAB_MESSAGE }
            : target === 'sdks'
              ? { group: SDKS, message: `${name} must not import an SDK: ${why}` }
              : { group: LAYER_FOLDERS[target], message: `${name} must not import ${target}: ${why}` },
        ),
      },
    ],
  };
}

const CLI_AND_HOSTS = [
  ['devhost', 'the product does not know the dev host'],
  ['lab', ''],
  ['cli', 'command-line tools sit on top of the product'],
  ['functions', 'triggers are registrations, loaded by the Functions host only'],
  ['orchestrations', 'orchestrators are loaded by the Functions host only'],
];

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
            { group: ['mssql', 'tedious', '@microsoft/*', 'jose', 'axios', 'undici'], message: 'Orchestrators must not import SDKs: call an activity.' },
            { group: ['**/adapters/**', '**/ports/**', '**/devhost/**', '**/app/**', '**/http/**'], message: 'Orchestrators reach external systems only through activities.' },
            { group: ['**/config/**'], message: 'Orchestrators must not import src/config: they take policy as domain types, in their input.' },
            { group: ['**/functions/**', '**/cli/**'], message: 'Orchestrators must not import triggers or command-line tools.' },
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
    files: ['functions/**/*.ts'],
    rules: layer('functions/', [
      ['adapters', 'triggers stay thin: the composition root (src/app) wires adapters'],
      ['ports', 'triggers stay thin: through src/app'],
      ...CLI_AND_HOSTS.filter(([t]) => t !== 'functions'),
    ]),
  },
  {
    files: ['src/app/**/*.ts', 'src/http/**/*.ts'],
    rules: layer('src/app', [...CLI_AND_HOSTS]),
  },
  {
    files: ['src/activities/**/*.ts'],
    rules: layer('src/activities', [
      ['adapters', 'handlers get adapters injected (src/app wires them)'],
      ['app', 'handlers know no composition root'],
      ['sdks', 'handlers reach external systems through ports'],
      ...CLI_AND_HOSTS,
    ]),
  },
  {
    files: ['src/adapters/**/*.ts'],
    rules: layer('src/adapters', [
      ['app', 'adapters know no composition root'],
      ['activities', 'adapters know no activity contracts'],
      ...CLI_AND_HOSTS,
    ]),
  },
  {
    files: ['src/ports/**/*.ts'],
    rules: layer('src/ports', [
      ['config', 'ports speak domain types'],
      ['adapters', 'a port is the interface, adapters implement it'],
      ['activities', 'ports know no activity contracts'],
      ['app', 'ports know no composition root'],
      ['sdks', 'ports speak domain types, not SDK types'],
      ...CLI_AND_HOSTS,
    ]),
  },
  {
    files: ['src/config/**/*.ts'],
    rules: layer('src/config', [
      ['adapters', 'settings parse before any SDK'],
      ['ports', 'settings are values, not systems'],
      ['activities', 'settings know no activity contracts'],
      ['app', 'settings know no composition root'],
      ['sdks', 'settings parse before any SDK'],
      ...CLI_AND_HOSTS,
    ]),
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      ...layer(
        'src/domain',
        [
          ['config', 'domain should not depend on settings parsing (policy value types live in src/domain/policy.ts)'],
          ['ports', 'pure logic needs no ports'],
          ['adapters', 'domain is pure'],
          ['activities', 'domain knows no activity contracts'],
          ['app', 'domain knows no composition root'],
          ['sdks', 'domain is pure'],
          ...CLI_AND_HOSTS,
        ],
        [...nodeBuiltins.map((name) => ({ name, message: 'src/domain must not use Node built-ins: domain is pure (no I/O, clock or randomness).' })), { name: 'durable-functions', message: 'src/domain must not import durable-functions: replay helpers live in src/durable.' }],
      ),
      ...determinism({
        time: 'Domain code takes the time as a parameter.',
        random: 'Domain code takes ids and random values as parameters.',
        process: 'Domain code takes settings as parameters: read the process in src/config or src/app.',
        timer: 'Domain code does not schedule work.',
        io: 'Domain code does no I/O.',
      }),
    },
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: layer('src/cli', [['devhost', 'the product does not know the dev host'], ['lab', ''], ['functions', 'triggers are loaded by the Functions host only'], ['orchestrations', 'orchestrators are loaded by the Functions host only']]),
  },
  {
    // The dev host loads the app as the Functions host does (src/devhost/app-loader.ts), never by
    // import; of the product it uses only the seam (src/app/devhost-seam.ts), the domain, the lab
    // and the CLI's report renderer, so that it could become a package of its own.
    files: ['src/devhost/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: LAYER_FOLDERS.functions, message: 'src/devhost must not import functions: the dev host loads triggers as the Functions host does (app-loader), not by import.' },
            { group: LAYER_FOLDERS.orchestrations, message: 'src/devhost must not import orchestrations: the dev host loads orchestrators as the Functions host does (app-loader), not by import.' },
            { group: ['**/app/*', '!**/app/devhost-seam.js', '**/http/**'], message: 'src/devhost uses the app only through src/app/devhost-seam.ts (add what it needs there).' },
            ...['adapters', 'config', 'ports', 'activities'].map((t) => ({ group: LAYER_FOLDERS[t], message: `src/devhost must not import ${t}: it uses the product only through src/app/devhost-seam.ts.` })),
          ],
        },
      ],
    },
  },
  {
    // Outside src/devhost (tests, benches, tools) the dev host is used through its entry point;
    // its own tests (test/devhost) test its internals.
    files: ['test/**/*.ts', 'tools/**/*.ts', 'scripts/**/*.ts'],
    ignores: ['test/devhost/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/devhost/*', '**/devhost/**/*', '!**/devhost/index.js'], message: 'Use the dev host through its entry point, src/devhost/index.ts (export what is needed there).' }] }],
    },
  },
  {
    // The lab is started by the dev host, never the other way round; it simulates systems, it is not the app.
    files: ['src/lab/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/devhost/**'], message: 'The lab must not import the dev host: the dev host starts the lab.' },
            ...['functions', 'orchestrations', 'app', 'activities', 'cli'].map((t) => ({ group: LAYER_FOLDERS[t], message: `src/lab must not import ${t}: the lab simulates the systems the product talks to, it is not the product.` })),
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
