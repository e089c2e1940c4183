import path from 'node:path';
import { afterAll, beforeAll, it } from 'vitest';
import { repoRoot, startTestAzurite } from '../harness/devhost.js';
import type { AzuriteInstance } from '../../src/devhost/azurite.js';
import { startTarget, type Target, type HostKind } from './harness/hosts.js';

const kind = (process.env.KIND ?? 'real extension') as HostKind;
const appRoot = path.join(repoRoot, 'test', 'fixtures', 'conformance-app');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const variant = require(path.join(appRoot, 'functions', 'variant.js')) as { set(v: string): void };
let azurite: AzuriteInstance;
let t: Target;
beforeAll(async () => {
  azurite = await startTestAzurite();
  t = await startTarget(kind, { azurite, appRoot, timerScale: { maximumMs: 6000, intervalMs: 3000 } });
}, 300_000);
afterAll(async () => {
  await t?.stop();
  await azurite?.stop();
});
const log = (...a: unknown[]) => console.log(`[${kind}]`, ...a.map((x) => (typeof x === 'string' ? x : JSON.stringify(x, null, 1))));
const hist = (s: any) => (s.historyEvents ?? []).map((e: any) => `${e.EventType}${e.Name ? ':' + e.Name : ''}${e.FunctionName ? ':' + e.FunctionName : ''}${e.TimerId !== undefined ? ' t' + e.TimerId : ''}${e.FireAt ? ' @' + e.FireAt : ''} ${e.Timestamp}`);

it.skip('duplicate start', async () => {
  log('first', (await t.start('waitsForever', { n: 1 }, 'dup-1')).status);
  await t.waitFor('dup-1', ['Running']);
  const second = await t.start('waitsForever', { n: 2 }, 'dup-1');
  log('second', second);
  log('status', await t.status('dup-1'));
}, 120_000);

it.skip('custom status', async () => {
  for (const [chars, ch] of [[8701, 'a'], [8702, 'a'], [4350, '😀'], [4351, '😀']] as const) {
    const id = `cs-${chars}-${ch.length}`;
    await t.start('bigStatus', { chars, ch }, id);
    const s = await t.until(id, (x) => x.runtimeStatus !== 'Pending' && (x.runtimeStatus !== 'Running' || x.customStatus !== null), 'status');
    log(id, s.runtimeStatus, typeof s.customStatus === 'string' ? `len ${s.customStatus.length}` : s.customStatus, s.output);
  }
}, 120_000);

it.skip('changed code', async () => {
  for (const v of ['renamed', 'retry', 'timer']) {
    variant.set('v1');
    const id = `evolve-${v}`;
    await t.start('evolving', null, id);
    await t.until(id, (s) => (s.historyEvents ?? []).some((e: any) => e.EventType === 'TaskCompleted' || e.EventType === 5), 'first step done');
    variant.set(v);
    log(v, 'raise', await t.raise(id, 'next', 'N'));
    const s = await t.waitFor(id, ['Completed', 'Failed']);
    log(v, s.runtimeStatus, s.output);
  }
  variant.set('v1');
}, 180_000);

it.skip('long timer split', async () => {
  await t.start('sleeps', { waitMs: 8000 }, 'long-1');
  await t.waitFor('long-1', ['Running']);
  await t.elapse(3500);
  await t.elapse(5000);
  const s = await t.waitFor('long-1', ['Completed', 'Failed'], 30_000);
  log('long', s.runtimeStatus, s.output, hist(s));
}, 120_000);

it.skip('cancelled long timer then more work', async () => {
  await t.start('raceThenWait', { waitMs: 8000 }, 'race-long');
  await t.waitFor('race-long', ['Running']);
  await t.raise('race-long', 'go', 'G');
  await t.elapse(4000);
  await t.elapse(5000);
  log('raise next', await t.raise('race-long', 'next', 'N'));
  const s = await t.waitFor('race-long', ['Completed', 'Failed'], 30_000).catch(async (e) => { log(String(e).slice(0, 3000)); return (await t.status('race-long', true))!; });
  log('race-long', s.runtimeStatus, s.output, hist(s));
}, 120_000);

it.skip('cancelled short timer', async () => {
  await t.start('sleeps', { waitMs: 2000 }, 'early');
  log('early', (await t.waitFor('early', ['Completed'])).output);
  await t.start('raceThenWait', { waitMs: 2000 }, 'race-short');
  await t.waitFor('race-short', ['Running']);
  await t.raise('race-short', 'go', 'G');
  await t.elapse(3500);
  const mid = (await t.status('race-short', true))!;
  log('race-short mid', hist(mid));
  await t.raise('race-short', 'next', 'N');
  const s = await t.waitFor('race-short', ['Completed', 'Failed'], 30_000);
  log('race-short', s.runtimeStatus, s.output, hist(s));
}, 120_000);

it.skip('failures', async () => {
  await t.start('catchesFailure', null, 'fail-1');
  log('activity', (await t.waitFor('fail-1', ['Completed', 'Failed'])).output);
  await t.start('catchesChildFailure', null, 'fail-2');
  const s = await t.waitFor('fail-2', ['Completed', 'Failed']);
  log('child', s.output);
  log('child status', await t.status('fail-2:child'));
  await t.start('throws', 'direct', 'fail-3');
  log('throws', await t.waitFor('fail-3', ['Completed', 'Failed']));
}, 120_000);

it.skip('raise to finished', async () => {
  await t.start('finishesSoon', { delayMs: 10 }, 'fin-1');
  await t.waitFor('fin-1', ['Completed']);
  log('raise after finish', await t.raise('fin-1', 'x', 1));
  log('raise unknown', await t.raise('nope', 'x', 1));
}, 60_000);

it('timeout', async () => {
  log('start outlives', await t.start('outlives', { delayMs: 7000 }, 'slow-1'));
  await t.elapse(8000);
  const s = await t.waitFor('slow-1', ['Completed', 'Failed'], 40_000);
  log('timeout', s.output);
}, 120_000);
