/**
 * Drills from real payloads, against the lab with production broken (a bad release, then a flag a
 * person turned on), so every drill has a swap and a flag revert to plan:
 *   - each sample payload in test/fixtures/azure-monitor replayed as a drill ends with a sealed pack
 *     marked DRILL, and leaves the lab as it found it (slots, flags, audit trail, channel);
 *   - POST /api/alerts?drill=true refuses what it cannot drill with the reason, and a drill never
 *     marks the alert as delivered;
 *   - `--incident <id>` replays the raw alerts archived for a past incident.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AzuriteInstance, ScaledClock, alertsFromFiles, alertsOfIncident, runDrill, type DrillResult, startLabHost, type LabHost, Logger } from '../../src/devhost/index.js';
import { labAlert } from '../../src/lab/alerts.js';
import { alertFixture, fixturesDir, withAlertId } from '../harness/alerts.js';
import { repoRoot, startTestAzurite, uniqueHubName } from '../harness/devhost.js';

const payloadDir = path.join(fixturesDir, 'azure-monitor');
const fixtures = readdirSync(payloadDir).filter((f) => f.endsWith('.json')).sort();
/** Not the common schema: the intake refuses it (400), so there is nothing to drill. */
const NOT_COMMON = 'budget-legacy-schema.json';
/** A Resolved alert opens no incident (a recovery signal for an open one): nothing to drill either. */
const RESOLVED = 'metric-static-resolved.json';

let azurite: AzuriteInstance;
let labHost: LabHost;
let clock: ScaledClock;
const out = mkdtempSync(path.join(tmpdir(), 'drill-out-'));
/** Waits until an incident's orchestration has completed (its last message posted, its pack sealed). */
async function completed(id: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const r = (await (await fetch(`${labHost.host.baseUrl}/api/incidents/${id}`)).json()) as { runtime?: { runtimeStatus?: string } };
    if (r.runtime?.runtimeStatus === 'Completed') return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`${id} did not complete`);
}

const drill = (alerts: ReturnType<typeof alertsFromFiles>) =>
  runDrill({ appRoot: repoRoot, alerts, labHost: { ...labHost, clock }, outDir: (id) => path.join(out, id), png: false, out: () => undefined, timeoutMs: 200_000 });

beforeAll(async () => {
  azurite = await startTestAzurite();
  process.env.AzureWebJobsStorage = azurite.connectionString;
  process.env.TaskHubName = uniqueHubName('Drills');
  delete process.env.POLICY_JSON;
  process.env.POLICY_PATH = 'policy.sample.json';
  // Fast: a P3 drill waits out a two-hour decision window (15 s here); drills end whatever the checks say.
  clock = new ScaledClock(480);
  labHost = await startLabHost({
    appRoot: repoRoot,
    port: 0,
    clock,
    azurite: 'off',
    loadLocalSettings: false,
    logger: new Logger('error'),
    labPorts: 'free',
    labDir: mkdtempSync(path.join(tmpdir(), 'drill-lab-')),
    faults: ['bad-release', 'breaking-flag'],
  });
}, 60_000);
afterAll(async () => {
  await labHost?.stop();
  await azurite?.stop();
});

describe('a drill from each sample payload', () => {
  it('ends with a sealed pack marked DRILL, every action planned, and no side effect in the lab', async () => {
    const lab = labHost.lab;
    const before = lab.fingerprint();
    expect(lab.state().slots.production.build.buildId).toBe('b42');
    // All at once: one host runs them, as it would run concurrent incidents.
    const done = await Promise.all(fixtures.map((f) => drill(alertsFromFiles([path.join(payloadDir, f)]))));
    const results = new Map(fixtures.map((f, i) => [f, done[i] as DrillResult]));

    for (const [file, r] of results) {
      if (file === NOT_COMMON) {
        expect(r, file).toMatchObject({ kind: 'not-drilled', answer: { status: 400, body: { error: { code: 'validation_failed' } } } });
        continue;
      }
      if (file === RESOLVED) {
        expect(r, file).toMatchObject({ kind: 'not-drilled', answer: { status: 202, body: { kind: 'no-drill' } } });
        continue;
      }
      expect(r.kind, file).toBe('drilled');
      if (r.kind !== 'drilled') continue;
      expect(r.summary, file).toMatchObject({ status: 'resolved', drill: true, environment: 'Lab', evidence: { sealed: true, verified: true } });
      // Planned (or skipped as not needed), never carried out. (A P2/P3 drill escalates at its deadline: no action.)
      for (const a of r.summary.actions) expect(['planned', 'skipped'], `${file}: ${a.name} ${a.outcome}`).toContain(a.outcome);
      expect(r.labUnchanged, file).toBe(true);
    }
    // Each P1 drill planned the swap the broken lab calls for, at the deadline. (The flag revert too when the
    // payload's fired time puts the flag change before the incident; these captured payloads fired weeks earlier.)
    const p1 = [...results.values()].filter((r): r is Extract<DrillResult, { kind: 'drilled' }> => r.kind === 'drilled' && r.summary.severity === 'P1');
    expect(p1.length).toBeGreaterThan(0);
    for (const r of p1) expect(r.summary.actions.map((a) => `${a.name}:${a.outcome}`)).toContain('appService_apiToLkg:planned');
    // The report and the postmortem say DRILL.
    const one = p1[0] as Extract<DrillResult, { kind: 'drilled' }>;
    expect(readFileSync(path.join(one.outDir, 'report.html'), 'utf8')).toContain('<span class="drill"');
    expect(readFileSync(path.join(one.outDir, 'postmortem.md'), 'utf8')).toMatch(/^# DRILL: Postmortem/);
    expect(readFileSync(path.join(one.outDir, 'teams-messages.md'), 'utf8')).toContain('none was sent');

    // Slots, flags, audit trail, swaps and the channel are as they were.
    expect(lab.fingerprint()).toBe(before);
    expect(lab.channel()).toEqual([]);
    expect(lab.state().slots.production.build.buildId).toBe('b42');
    expect(lab.state().flags.EnableLegacyHttpSse).toBe(true);
  }, 400_000);
});

describe('POST /api/alerts?drill=', () => {
  const app = () => labHost.host.baseUrl;
  const post = async (query: string, body: unknown) => {
    const res = await fetch(`${app()}/api/alerts?${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string; details: { path: string }[] } } };
  };

  it('names what is wrong: a bad drill value, half a route, an unknown service, a drill that is not running', async () => {
    const doc = withAlertId(alertFixture('metric-5xx-fired.json'), 'drill-refusals');
    expect(await post('drill=yes', doc)).toMatchObject({ status: 400, body: { error: { code: 'validation_failed', details: [{ path: 'drill' }] } } });
    expect(await post('drill=true&service=admin-api', doc)).toMatchObject({ status: 400, body: { error: { details: [{ path: 'environment' }] } } });
    expect(await post('drill=true&service=nope&environment=Lab', doc)).toMatchObject({ status: 400, body: { error: { details: [{ path: 'service' }] } } });
    expect(await post('drill=drill-lab-admin-api-0000000000', doc)).toMatchObject({ status: 202, body: { kind: 'no-drill', drill: true } });
  });

  it('a drill does not mark the alert delivered: the same payload delivered for real afterwards opens a real incident', async () => {
    const doc = withAlertId(alertFixture('metric-5xx-fired.json'), 'drill-then-real');
    const drilled = await post('drill=true', doc);
    expect(drilled).toMatchObject({ status: 202, body: { kind: 'drill', environment: 'Prod' } });
    // Routed as a delivery: the fixture names admin-api@Prod (unreachable hosts: the drill plans against them).
    const real = await post('', doc);
    expect(real).toMatchObject({ status: 202, body: { kind: 'declared' } });
    expect(real.body.incidentId).not.toBe(drilled.body.incidentId);
    // The real incident posts to the lab's Graph too (Teams goes there in the lab): end it here.
    await fetch(`${app()}/api/incidents/${String(real.body.incidentId)}/resolve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await completed(String(real.body.incidentId));
    await completed(String(drilled.body.incidentId));
  });
});

describe('npm run drill -- --incident <id>', () => {
  it("replays the raw alerts archived for a past incident, in order, as one drill", async () => {
    const app = labHost.host.baseUrl;
    // The flag is turned on again now (as the lab's person), so the change precedes these alerts
    // within the snapshot's 12-hour look-back however long the drills above took on the fast clock.
    const lab = labHost.lab;
    lab.sql.db.seedFlag({ flagKey: lab.service.flag, scope: lab.service.scope, isEnabled: false, updatedBy: 'test' });
    lab.setFlagAsPerson(true);
    const json = async (p: string, body: unknown) => (await fetch(`${app}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<Record<string, unknown>>;
    // A past incident of the lab's service: two alerts, then a person resolves it.
    const first = labAlert({ alertId: 'past-1', firedAt: new Date(clock.now()).toISOString() });
    const declared = await json('/api/alerts', first);
    expect(declared).toMatchObject({ kind: 'declared', environment: 'Lab' });
    const id = declared.incidentId as string;
    await json('/api/alerts', labAlert({ alertId: 'past-2', firedAt: new Date(clock.now()).toISOString(), rule: 'lab-admin-api-http5xx-2' }));
    await json(`/api/incidents/${id}/resolve`, { summary: 'false alarm', actor: { id: 'sam.lee@contoso.example' } });
    await completed(id);

    const replayed = await alertsOfIncident(id, process.env);
    expect(replayed.map((a) => a.payload)).toEqual([first, expect.objectContaining({ schemaId: 'azureMonitorCommonAlertSchema' })]);
    const before = labHost.lab.fingerprint();
    const r = await runDrill({ appRoot: repoRoot, incident: id, labHost: { ...labHost, clock }, outDir: (d) => path.join(out, d), png: false, out: () => undefined, timeoutMs: 200_000 });
    expect(r.kind).toBe('drilled');
    if (r.kind !== 'drilled') return;
    expect(r.answers).toEqual([expect.objectContaining({ kind: 'drill' }), expect.objectContaining({ kind: expect.stringMatching(/^(drill|no-drill)$/) as unknown })]);
    expect(r.summary).toMatchObject({ status: 'resolved', drill: true, evidence: { sealed: true, verified: true } });
    // Fresh alerts after the flag change: the drill plans both the flag revert and the swap, and does neither.
    expect(r.summary.actions.map((a) => `${a.name}:${a.outcome}`)).toEqual(expect.arrayContaining(['sqlSetFlag:planned', 'appService_apiToLkg:planned']));
    expect(labHost.lab.fingerprint()).toBe(before);
  }, 300_000);
});
