/** The lint rules that keep orchestrators deterministic really fire (and stay quiet on good code). */
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

async function problems(code: string): Promise<string[]> {
  // Linted as the text of an existing orchestrator file, so the type-aware rules have a project.
  const [result] = await eslint.lintText(code, { filePath: path.join(root, 'orchestrations', 'incident.ts') });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

describe('orchestrator determinism rules', () => {
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
});
