/** The lint rules that keep orchestrators deterministic really fire (and stay quiet on good code). */
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

// Type-aware linting builds a TypeScript program for the first file: seconds alone, over the default
// test timeout on a loaded machine. The rules are what is tested here, not how fast they run.
const slow = { timeout: 180_000 };

async function problems(code: string, file = path.join('orchestrations', 'incident.ts')): Promise<string[]> {
  // Linted as the text of an existing file, so the type-aware rules have a project.
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

/** Ways to read the clock or randomness that once slipped past the rules: each must be refused on its own. */
const sneaky: [string, RegExp][] = [
  ['export const t = Date();', /Date\(\) reads the clock/],
  ["export const t = Date('ignored');", /Date\(\) reads the clock/],
  ['export const t = globalThis.Date.now();', /globalThis reaches the clock/],
  ['export const t = new globalThis.Date();', /globalThis reaches the clock/],
  ['export const t = global.Date.now();', /global reaches the clock/],
  ['export const t = performance.now();', /performance reads the clock/],
  ['export const id = crypto.randomUUID();', /crypto is randomness/],
  ['export const id = globalThis.crypto.randomUUID();', /globalThis reaches the clock/],
  ['export const bytes = crypto.getRandomValues(new Uint8Array(4));', /crypto is randomness/],
  ['const { now } = Date;\nexport const t = now();', /no-restricted-properties/],
];

describe('orchestrator determinism rules', slow, () => {
  it('refuses clocks, randomness, the process, timers, Node built-ins, SDKs and adapters', async () => {
    const found = await problems(`
import { readFileSync } from 'node:fs';
import { TableClient } from '@azure/data-tables';
import { getLedger } from '../src/app/ledger.js';
import { once } from '../src/activities/once.js';
export const bad = [readFileSync, TableClient, getLedger, once, Date.now(), new Date(), Math.random(), process.env.X, setTimeout];
`);
    const joined = found.join('\n');
    expect(joined).toContain('Orchestrators must not use Node built-ins');
    expect(joined).toContain('Orchestrators must not import SDKs');
    expect(joined).toContain('Orchestrators reach external systems only through activities');
    expect(joined).toContain('Orchestrators import activity contracts (*.contracts.ts) only');
    expect(joined).toContain('Use context.df.currentUtcDateTime');
    expect(joined).toContain('new Date() reads the clock');
    expect(joined).toContain('Use context.df.newGuid');
    expect(joined).toContain('must not read the process');
    expect(joined).toContain('Use context.df.createTimer');
  });

  it('accepts deterministic orchestrator code', async () => {
    const found = await problems(`
import * as df from 'durable-functions';
import { callActivity } from '../src/activities/define.js';
import { recordProgress } from '../src/activities/incident.contracts.js';
df.app.orchestration('ok', function* (context: df.OrchestrationContext) {
  const at = new Date(context.df.currentUtcDateTime.getTime() + 60_000);
  yield context.df.createTimer(at);
  return yield* callActivity(context, recordProgress, { summary: {} as never, timeline: [] });
});
`);
    expect(found).toEqual([]);
  });

  it.each(sneaky)('refuses %s in an orchestrator', async (code, expected) => {
    const found = await problems(code);
    expect(found.join('\n')).toMatch(expected);
  });
});

describe('pure domain code rules', slow, () => {
  const domainFile = path.join('src', 'domain', 'severity.ts');

  it('refuses the clock, randomness and the process in src/domain', async () => {
    const found = (
      await problems(
        `export const bad = [Date.now(), new Date(), Math.random(), process.env.X, performance.now(), crypto.randomUUID(), globalThis.Date.now(), Date()];`,
        domainFile,
      )
    ).join('\n');
    expect(found).toContain('Domain code takes the time as a parameter');
    expect(found).toContain('new Date() reads the clock');
    expect(found).toContain('Domain code takes ids and random values as parameters');
    expect(found).toContain('Domain code takes settings as parameters');
    expect(found).toContain('performance reads the clock');
    expect(found).toContain('crypto is randomness');
    expect(found).toContain('globalThis reaches the clock');
    expect(found).toContain('Date() reads the clock');
  });

  it.each(sneaky)('refuses %s in src/domain', async (code, expected) => {
    expect((await problems(code, domainFile)).join('\n')).toMatch(expected);
  });

  it('accepts domain code that takes the time as a parameter', async () => {
    const found = await problems(
      `export const deadline = (startedAt: number, minutes: number): string => new Date(startedAt + minutes * 60_000).toISOString();
export const parsed = (iso: string): number => Date.parse(iso);
`,
      domainFile,
    );
    expect(found).toEqual([]);
  });
});
