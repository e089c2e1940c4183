/**
 * Azure Monitor redelivers an alert whose first delivery failed half-way (storage failed after the
 * incident was started, so it answered 503): the intake gives the failed delivery's claim up, so
 * the redelivery is handled and recorded as the alert's delivery instead of being taken for a
 * duplicate of one that never finished (which would leave the record pending for good); once it
 * has been answered, a further copy is a duplicate answered from memory. The real
 * incident store on Azurite, failing once; the orchestration client is a recorder.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableIncidentStore } from '../../src/adapters/incident-store.js';
import { createTableClient, storageTarget } from '../../src/adapters/storage.js';
import { acceptAlert, answeredBefore, type IntakeDeps } from '../../src/app/intake.js';
import { parsePolicyText } from '../../src/config/policy.js';
import type { AzuriteInstance } from '../../src/devhost/index.js';
import type { AlertArchive, Orchestrations } from '../../src/ports/orchestrations.js';
import type { UnmatchedAlerts } from '../../src/ports/unmatched-alerts.js';
import { TransientError } from '../../src/domain/errors.js';
import { alertFixture, testPolicyPath, withAlertId } from '../harness/alerts.js';
import { startTestAzurite, uniqueHubName } from '../harness/devhost.js';

let azurite: AzuriteInstance;
let store: TableIncidentStore;

beforeAll(async () => {
  azurite = await startTestAzurite();
  store = new TableIncidentStore(createTableClient(storageTarget({ AzureWebJobsStorage: azurite.connectionString }), uniqueHubName('IntakeRetry')));
});
afterAll(async () => {
  await azurite?.stop();
});

function world() {
  const started: string[] = [];
  const raised: string[] = [];
  const archive: AlertArchive = { put: (name) => Promise.resolve(name) };
  const orchestrations: Orchestrations = {
    state: (id) => Promise.resolve(started.includes(id) ? 'running' : 'none'),
    start: (_name, id) => {
      if (started.includes(id)) return Promise.resolve('exists');
      started.push(id);
      return Promise.resolve('started');
    },
    raise: (id) => {
      raised.push(id);
      return Promise.resolve('raised');
    },
    describe: () => Promise.resolve(undefined),
  };
  // Storage fails once, after the incident was started: writing its summary.
  let failures = 1;
  const flaky = Object.create(store) as TableIncidentStore;
  flaky.createSummary = (summary) => (failures-- > 0 ? Promise.reject(new TransientError('table storage unavailable')) : store.createSummary(summary));
  // What reaches storage, by call: the claim, the open-incident read, the archive.
  const calls: string[] = [];
  for (const name of ['claimDelivery', 'findOpen'] as const) {
    const real = flaky[name].bind(flaky) as (...args: never[]) => Promise<unknown>;
    (flaky as unknown as Record<string, unknown>)[name] = (...args: never[]) => (calls.push(name), real(...args));
  }
  const archived: AlertArchive = { put: (name, body) => (calls.push('archive'), archive.put(name, body)) };
  const unmatched: UnmatchedAlerts = { record: () => Promise.resolve(), list: () => Promise.resolve([]) };
  const deps: IntakeDeps = { store: flaky, orchestrations, archive: archived, unmatched, policy: parsePolicyText(readFileSync(testPolicyPath, 'utf8'), testPolicyPath), now: () => new Date() };
  return { deps, started, raised, calls };
}

describe('a redelivery after a failed delivery', () => {
  it('is delivered into the incident and recorded, so later redeliveries are duplicates that raise nothing', async () => {
    const w = world();
    const alert = withAlertId(alertFixture('metric-5xx-fired.json'), `retry-${Date.now()}`);
    const name = (h: string) => `alerts/${h}.json`;
    await expect(acceptAlert(w.deps, alert, name)).rejects.toThrow('table storage unavailable');
    expect(w.started).toHaveLength(1);

    // The failed delivery gave its claim up: the redelivery is handled as the alert's delivery
    // (raised into the incident it started) and its outcome is recorded...
    const again = await acceptAlert(w.deps, alert, name);
    expect(again.kind).not.toBe('duplicate');
    expect(w.raised).toEqual(w.started);
    // ...so the next redelivery is a duplicate answered from the record, raising nothing more.
    const third = await acceptAlert(w.deps, alert, name);
    expect(third).toMatchObject({ kind: 'duplicate', incidentId: w.started[0] });
    expect(w.raised).toHaveLength(1);
  });
});

describe('a redelivery after the answer', () => {
  it('is answered from memory as a duplicate of what the first delivery came to, before any storage round trip', async () => {
    const w = world();
    const alert = withAlertId(alertFixture('metric-5xx-fired.json'), `again-${Date.now()}`);
    const name = (h: string) => `alerts/${h}.json`;
    expect(answeredBefore(w.deps.store, alert)).toBeUndefined();
    const first = await acceptAlert(w.deps, alert, name);
    expect(first.kind).not.toBe('duplicate');
    const roundTrips = w.calls.length;
    // The trigger asks before redacting and validating the copy; acceptAlert answers the same.
    expect(answeredBefore(w.deps.store, alert)).toMatchObject({ kind: 'duplicate', incidentId: first.kind === 'invalid' ? null : first.incidentId });
    const again = await acceptAlert(w.deps, alert, name);
    expect(again).toMatchObject({ kind: 'duplicate', incidentId: first.kind === 'invalid' ? null : first.incidentId });
    expect(again.kind === 'duplicate' && again.reasons[0]).toContain(`was delivered before (${first.kind})`);
    expect(w.calls).toHaveLength(roundTrips);
    expect(w.raised).toHaveLength(1);
  });
});
