/**
 * The fold window (src/app/intake.ts): an alert that changes nothing, coming within FOLD_WINDOW_MS
 * of one this process raised into the incident, is folded into the store without waking it; the
 * sweep that raised alert armed takes it. A fold whose write ends after the window closed may come
 * after that sweep, so it is raised as well. The real incident store on Azurite; the orchestration
 * client is a recorder that shows the incident running with the intake's view in its status; the
 * clock is the test's, moved by the store while a fold is being written.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableIncidentStore } from '../../src/adapters/incident-store.js';
import { createTableClient, storageTarget } from '../../src/adapters/storage.js';
import { acceptAlert, type IntakeDeps } from '../../src/app/intake.js';
import { parsePolicyText } from '../../src/config/policy.js';
import { FOLD_WINDOW_MS } from '../../src/domain/incident-events.js';
import type { AzuriteInstance } from '../../src/devhost/index.js';
import type { Orchestrations } from '../../src/ports/orchestrations.js';
import { alertFixture, testPolicyPath, withAlertId } from '../harness/alerts.js';
import { startTestAzurite, uniqueHubName } from '../harness/devhost.js';

let azurite: AzuriteInstance;
let store: TableIncidentStore;

beforeAll(async () => {
  azurite = await startTestAzurite();
  store = new TableIncidentStore(createTableClient(storageTarget({ AzureWebJobsStorage: azurite.connectionString }), uniqueHubName('FoldWindow')));
});
afterAll(async () => {
  await azurite?.stop();
});

describe('the fold window', () => {
  it('folds an alert that changes nothing within it, and raises one whose fold was written after it closed', async () => {
    let now = Date.parse('2026-12-07T10:00:00Z');
    let started: string | undefined;
    const raised: string[] = [];
    let view: unknown = null;
    const orchestrations: Orchestrations = {
      state: () => Promise.resolve(started ? 'running' : 'none'),
      start: (_name, id) => {
        started = id;
        return Promise.resolve('started');
      },
      raise: (_id, _event, data) => {
        raised.push((data as { dedupeKey: string }).dedupeKey);
        return Promise.resolve('raised');
      },
      describe: () => Promise.resolve(started ? { runtimeStatus: 'Running', customStatus: { intake: view }, createdTime: '', lastUpdatedTime: '' } : undefined),
    };
    // A store of its own (windows are kept per store); a fold's write may take the clock past the window.
    const mine = Object.create(store) as TableIncidentStore;
    let writeTakes = 0;
    mine.foldAlert = async (...args) => {
      await store.foldAlert(...args);
      now += writeTakes;
    };
    const deps: IntakeDeps = {
      store: mine,
      orchestrations,
      archive: { put: (name) => Promise.resolve(name) },
      unmatched: { record: () => Promise.resolve(), list: () => Promise.resolve([]) },
      policy: parsePolicyText(readFileSync(testPolicyPath, 'utf8'), testPolicyPath),
      now: () => new Date(now),
    };
    const template = alertFixture('metric-5xx-fired.json');
    const tag = Date.now();
    const deliver = (n: number) => acceptAlert(deps, withAlertId(template, `fold-window-${tag}-${n}`), (h) => `alerts/${h}.json`);
    const keyOf = (n: number) => expect.stringContaining(`fold-window-${tag}-${n}|`) as unknown;

    const declared = await deliver(0);
    expect(declared.kind).toBe('declared');
    if (declared.kind === 'invalid' || !declared.severity) throw new Error('declared without a severity');
    // What the incident publishes: nothing a further alert like these would change.
    view = { severity: declared.severity.level, phase: 'deciding', triggers: declared.severity.triggers };

    // The first alert into the running incident is raised: it wakes it and opens the window.
    now += 1000;
    expect((await deliver(1)).kind).toBe('correlated');
    expect(raised).toEqual([keyOf(1)]);
    // Within the window: folded, not raised.
    now += 1000;
    const folded = await deliver(2);
    expect(folded.kind === 'invalid' ? [] : folded.reasons.filter((r) => r.startsWith('folded:'))).toHaveLength(1);
    expect(raised).toEqual([keyOf(1)]);
    // Within the window when decided, but its fold written after the window closed: raised as well.
    now += 1000;
    writeTakes = FOLD_WINDOW_MS;
    const late = await deliver(3);
    expect(late.kind).toBe('correlated');
    expect(late.kind === 'invalid' ? [] : late.reasons.filter((r) => r.startsWith('folded:'))).toEqual([]);
    expect(raised).toEqual([keyOf(1), keyOf(3)]);
    // Both folded alerts are in the store for the incident's next progress call (it keeps one of each).
    const inStore = await store.takeFolded(started ?? '', [], 10);
    expect(inStore.map((f) => f.alert.dedupeKey)).toEqual([keyOf(2), keyOf(3)]);
  });
});
