/**
 * The dev host behind a seam (eslint.config.mjs): outside src/devhost it is used through its entry
 * point (src/devhost/index.ts), and it uses the product only through src/app/devhost-seam.ts, the
 * domain, the lab and the CLI's report renderer. Each refusal fires on a deliberately bad import;
 * the real files pass.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importProblems, repoRoot, slow } from '../harness/lint.js';


const bad: [string, string, string][] = [
  ['test/app/health.test.ts', '../../src/devhost/host.js', 'Use the dev host through its entry point'],
  ['test/harness/devhost.ts', '../../src/devhost/durable/store.js', 'Use the dev host through its entry point'],
  ['test/bench/alerts.bench.ts', '../../src/devhost/durable/history.js', 'Use the dev host through its entry point'],
  ['src/devhost/host.ts', '../app/stores.js', 'src/devhost uses the app only through src/app/devhost-seam.ts'],
  ['src/devhost/host.ts', '../http/envelope.js', 'src/devhost uses the app only through src/app/devhost-seam.ts'],
  ['src/devhost/host.ts', '../adapters/storage.js', 'src/devhost must not import adapters'],
  ['src/devhost/host.ts', '../config/issues.js', 'src/devhost must not import config'],
  ['src/devhost/host.ts', '../ports/teams.js', 'src/devhost must not import ports'],
  ['src/devhost/host.ts', '../activities/teams.js', 'src/devhost must not import activities'],
  ['src/devhost/durable/store.ts', '../../app/clock.js', 'src/devhost uses the app only through src/app/devhost-seam.ts'],
  ['src/devhost/host.ts', '../../functions/alerts.js', 'src/devhost must not import functions'],
  ['src/cli/evidence.ts', '../devhost/index.js', 'must not import devhost'],
];

const good: [string, string][] = [
  ['test/app/health.test.ts', '../../src/devhost/index.js'],
  ['test/devhost/cli.test.ts', '../../src/devhost/durable/store.js'],
  ['src/devhost/host.ts', '../app/devhost-seam.js'],
  ['src/devhost/host.ts', '../domain/evidence.js'],
  ['src/devhost/host.ts', '../lab/lab.js'],
];

describe('the dev host seam', slow, () => {
  it.each(bad)('%s may not import %s', async (file, spec, expected) => {
    const found = await importProblems(`import * as bad from '${spec}';\nexport const b = bad;\n`, file);
    expect(found.join('\n')).toContain(expected);
  });

  it.each(good)('%s may import %s', async (file, spec) => {
    expect(await importProblems(`import * as ok from '${spec}';\nexport const o = ok;\n`, file)).toEqual([]);
  });

  it.each(['src/devhost/host.ts', 'src/devhost/drill.ts', 'test/harness/devhost.ts', 'test/conformance/harness/real-host.ts'])('%s as it is passes', async (file) => {
    expect(await importProblems(readFileSync(path.join(repoRoot, file), 'utf8'), file)).toEqual([]);
  });
});
