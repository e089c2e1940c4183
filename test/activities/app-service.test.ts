/**
 * The App Service activities end to end on real components: the real ARM SDK against the ARM
 * fake (TLS on 127.0.0.1), the LKG registry and freeze store in Azurite, a republish hook and a
 * simulated web app on loopback HTTP servers. Each outcome is data with a clear summary; running
 * an action twice changes nothing more (requests are counted at the fakes); interrupted swaps
 * are reconciled from the build ids.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAppServiceActivities, type AppServiceActivities } from '../../src/activities/app-service.js';
import { apiToLkg, webToLkg } from '../../src/activities/app-service.contracts.js';
import { AppServiceAdapter } from '../../src/adapters/app-service.js';
import { ArmAppService } from '../../src/adapters/arm.js';
import { createTableClient, storageTarget } from '../../src/adapters/storage.js';
import { TableFreezeStore, TableLkgRegistry } from '../../src/adapters/table-release.js';
import { AppServiceTarget } from '../../src/config/app-service.js';
import type { AzuriteInstance } from '../../src/devhost/index.js';
import type { LkgInput } from '../../src/domain/release.js';
import type { FreezeAnnouncement, FreezeAnnouncer } from '../../src/ports/release-registry.js';
import { TransientError } from '../../src/domain/errors.js';
import { ArmFake } from '../../src/lab/arm-server.js';
import { TestTokenCredential } from '../fakes/credentials.js';
import { MemoryStepLedger } from '../fakes/memory-ledger.js';
import { startTestAzurite, uniqueHubName } from '../harness/devhost.js';

const SUB = '00000000-0000-4000-8000-000000000001';
let azurite: AzuriteInstance;
let fake: ArmFake;

/** A simulated static web app + its republish pipeline: the hook "deploys" the requested release. */
class WebHost {
  served = { buildId: 'w42', releaseTag: 'web-42' };
  hookCalls: { headers: http.IncomingHttpHeaders; body: Record<string, unknown> }[] = [];
  hookStatus = 202;
  deployOnHook = true;
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/version') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(this.served));
      }
      if (req.url === '/hook' && req.method === 'POST') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        this.hookCalls.push({ headers: req.headers, body });
        if (this.hookStatus < 300 && this.deployOnHook) this.served = { buildId: String(body.buildId), releaseTag: String(body.releaseTag) };
        res.writeHead(this.hookStatus, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(this.hookStatus < 300 ? { runId: `run-${this.hookCalls.length}` } : { message: 'no such release' }));
      }
      res.writeHead(404).end();
    });
  });
  url = '';
  async start() {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }
  stop() {
    return new Promise<void>((r) => {
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
  }
}

/** A simulated API whose /version follows whatever the ARM fake swapped (the `onSwap` hook). */
const apiApp = { production: 'b42', staging: 'b41' };
/** Extra /version fields of the production slot (what a deploy may report next to the build). */
let apiMeta: Record<string, unknown> = {};
let apiServer: http.Server;
let apiUrl = '';

let web: WebHost;
let lkg: TableLkgRegistry;
let freeze: TableFreezeStore;
let ledger: MemoryStepLedger;
let announced: FreezeAnnouncement[];
let acts: AppServiceActivities;

const announcer: FreezeAnnouncer = {
  channel: 'test',
  announce: (a) => {
    announced.push(a);
    return Promise.resolve();
  },
};

function targets() {
  return [
    {
      env: 'Prod',
      service: 'api',
      strategy: 'slot-swap',
      subscriptionId: SUB,
      resourceGroup: 'rg-prod',
      site: 'api-prod',
      build: { from: 'setting', name: 'APP_BUILD_ID', releaseName: 'APP_RELEASE_TAG' },
    },
    {
      env: 'Prod',
      service: 'web',
      strategy: 'slot-swap',
      subscriptionId: SUB,
      resourceGroup: 'rg-prod',
      site: 'web-prod',
      build: { from: 'version', productionUrl: `${apiUrl}/web/production/version`, stagingUrl: `${apiUrl}/web/staging/version` },
    },
    { env: 'Beta', service: 'web', strategy: 'republish', hookUrl: `${web.url}/hook`, hookTokenSetting: 'WEB_HOOK_TOKEN', build: { from: 'version', productionUrl: `${web.url}/version` } },
  ].map((t) => AppServiceTarget.parse(t));
}

function build(): AppServiceActivities {
  const arm = new ArmAppService({ credential: new TestTokenCredential(), endpoint: fake.armUrl, caPem: fake.ca, requestTimeoutMs: 3000, pollIntervalMs: 10, readRetries: 1 });
  const appService = new AppServiceAdapter({ arm, httpTimeoutMs: 3000, swapDeadlineMs: 10_000, hookToken: (setting) => ({ WEB_HOOK_TOKEN: 'hook-secret-1' })[setting] });
  return createAppServiceActivities({ appService, lkg, freeze, announcer, ledger, targets: targets(), verifyDelayMs: 10 });
}

const evidence = 'https://evidence.example/prod/2026/01/inc-1/';
function lkgInput(env: string, service: string, releaseTag: string, buildId: string): LkgInput {
  return { env, service, releaseTag, buildId, slot: 'production', evidenceUrl: evidence, recordedBy: { id: 'pipeline:release' }, source: 'pipeline' };
}

let incident = 0;
let inc = '';

beforeAll(async () => {
  azurite = await startTestAzurite();
  fake = await new ArmFake({
    onSwap: (site) => {
      if (site === 'web-prod') [apiApp.production, apiApp.staging] = [apiApp.staging, apiApp.production];
    },
  }).start();
  apiServer = http.createServer((req, res) => {
    const m = /^\/web\/(production|staging)\/version$/.exec(req.url ?? '');
    res.writeHead(m ? 200 : 404, { 'content-type': 'application/json' });
    res.end(m ? JSON.stringify({ buildId: apiApp[m[1] as 'production' | 'staging'], ...(m[1] === 'production' ? apiMeta : {}) }) : '{}');
  });
  await new Promise<void>((r) => apiServer.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(apiServer.address() as AddressInfo).port}`;
  web = await new WebHost().start();
});
afterAll(async () => {
  await fake?.stop();
  await web?.stop();
  await new Promise<void>((r) => apiServer?.close(() => r()));
  await azurite?.stop();
});

beforeEach(() => {
  const target = storageTarget({ AzureWebJobsStorage: azurite.connectionString });
  lkg = new TableLkgRegistry(createTableClient(target, uniqueHubName('Lkg')));
  freeze = new TableFreezeStore(createTableClient(target, uniqueHubName('Freeze')));
  ledger = new MemoryStepLedger();
  announced = [];
  inc = `inc-${++incident}`;
  fake.requests.length = 0;
  fake.clearFaults();
  fake.addSite({
    subscriptionId: SUB,
    resourceGroup: 'rg-prod',
    name: 'api-prod',
    slots: { production: { APP_BUILD_ID: 'b42', APP_RELEASE_TAG: 'r42' }, staging: { APP_BUILD_ID: 'b41', APP_RELEASE_TAG: 'r41' } },
  });
  fake.addSite({ subscriptionId: SUB, resourceGroup: 'rg-prod', name: 'web-prod', slots: { production: {}, staging: {} } });
  apiApp.production = 'b42';
  apiApp.staging = 'b41';
  apiMeta = {};
  web.served = { buildId: 'w42', releaseTag: 'web-42' };
  web.hookCalls = [];
  web.hookStatus = 202;
  acts = build();
});
afterEach(() => fake.clearFaults());

describe('API to LKG (slot swap)', () => {
  it('swaps staging (holding LKG) into production, verifies, and a second run changes nothing', async () => {
    await lkg.record(lkgInput('Prod', 'api', 'r41', 'b41'), '2026-01-01T00:00:00.000Z');
    const input = apiToLkg.input.parse({ incidentId: inc, env: 'Prod' });
    const first = await acts.apiToLkg(input);
    expect(first).toMatchObject({
      kind: 'done',
      executionId: expect.any(String) as unknown,
      changes: [
        { target: 'slot:api-prod/production', field: 'buildId', before: 'b42', after: 'b41' },
        { target: 'slot:api-prod/staging', field: 'buildId', before: 'b41', after: 'b42' },
        // Which release production is back on, as data (the incident record names it).
        { target: 'release:Prod/api', field: 'releaseTag', before: 'r42', after: 'r41' },
      ],
    });
    expect(first.summary).toMatch(/^api \(Prod\): swapped api-prod\/staging into production in \d+ s \(operation [0-9a-f-]+\); production now runs LKG r41 \(build b41\) \(verified\), staging holds r42 \(build b42\)\.$/);
    expect(fake.buildOf('api-prod', 'production')).toBe('b41');
    const requestsAfterFirst = fake.requests.length;
    expect(fake.swapRequests()).toHaveLength(1);

    const second = await acts.apiToLkg(input);
    expect(second).toEqual(first);
    expect(fake.requests.length).toBe(requestsAfterFirst);
    expect(fake.buildOf('api-prod', 'production')).toBe('b41');
  });

  it('skips when production already runs the LKG build (no swap sent)', async () => {
    await lkg.record(lkgInput('Prod', 'api', 'r42', 'b42'), '2026-01-01T00:00:00.000Z');
    const out = await acts.apiToLkg(apiToLkg.input.parse({ incidentId: inc, env: 'Prod' }));
    expect(out).toEqual({ kind: 'skipped', reason: 'already-lkg', summary: 'api (Prod): production already runs LKG r42 (build b42); no swap needed.' });
    expect(fake.swapRequests()).toHaveLength(0);
  });

  it('refuses without an LKG, and when the LKG build is in neither slot (saying which build is where)', async () => {
    const none = await acts.apiToLkg(apiToLkg.input.parse({ incidentId: inc, env: 'Prod' }));
    expect(none).toMatchObject({ kind: 'refused', reason: 'no-lkg' });
    expect(none.summary).toContain('no last-known-good release is recorded for Prod/api');

    await lkg.record(lkgInput('Prod', 'api', 'r40', 'b40'), '2026-01-01T00:00:00.000Z');
    const elsewhere = await acts.apiToLkg(apiToLkg.input.parse({ incidentId: inc, env: 'Prod', step: 'again' }));
    expect(elsewhere).toEqual({
      kind: 'refused',
      reason: 'lkg-not-in-staging',
      summary:
        'api (Prod): LKG r40 (build b40) is in neither slot: production runs r42 (build b42), staging runs r41 (build b41). Redeploy r40 to staging first.',
    });
    expect(fake.swapRequests()).toHaveLength(0);
  });

  it('answers a 409 (another swap running) as refused data, changing nothing', async () => {
    await lkg.record(lkgInput('Prod', 'api', 'r41', 'b41'), '2026-01-01T00:00:00.000Z');
    const finish = fake.beginExternalSwap('api-prod');
    const out = await acts.apiToLkg(apiToLkg.input.parse({ incidentId: inc, env: 'Prod' }));
    finish();
    expect(out).toMatchObject({ kind: 'refused', reason: 'swap-in-progress' });
    expect(out.summary).toMatch(/^api \(Prod\): ARM refused the swap with 409 Conflict: another operation is in progress on api-prod \(Cannot modify this site/);
    expect(out.summary).toMatch(/Nothing was changed; production runs r42 \(build b42\)\.$/);
    expect(fake.buildOf('api-prod', 'production')).toBe('b42');
  });

  it('answers a failed warm-up as refused data: Azure reverted, production unchanged', async () => {
    await lkg.record(lkgInput('Prod', 'api', 'r41', 'b41'), '2026-01-01T00:00:00.000Z');
    fake.failNextSwap('api-prod');
    const out = await acts.apiToLkg(apiToLkg.input.parse({ incidentId: inc, env: 'Prod' }));
    expect(out).toMatchObject({ kind: 'refused', reason: 'swap-failed' });
    expect(out.summary).toMatch(/Azure ran the swap \(operation [0-9a-f-]+\) and it failed: BadRequest: Cannot swap slots for site 'api-prod' because the warmup requests/);
    expect(out.summary).toMatch(/production runs r42 \(build b42\), LKG r41 \(build b41\) is still in staging\.$/);
    expect(fake.buildOf('api-prod', 'production')).toBe('b42');
    // Recorded: running the step again does not swap again.
    expect(await acts.apiToLkg(apiToLkg.input.parse({ incidentId: inc, env: 'Prod' }))).toEqual(out);
    expect(fake.swapRequests()).toHaveLength(1);
  });

  it('plan mode reports exactly the swap it would do and sends nothing but reads', async () => {
    await lkg.record(lkgInput('Prod', 'api', 'r41', 'b41'), '2026-01-01T00:00:00.000Z');
    const out = await acts.apiToLkg(apiToLkg.input.parse({ incidentId: inc, env: 'Prod', mode: 'plan' }));
    expect(out).toEqual({
      kind: 'planned',
      summary: 'Plan: api (Prod): swap api-prod/staging into production: production r42 (build b42) -> LKG r41 (build b41).',
      changes: [
        { target: 'slot:api-prod/production', field: 'buildId', before: 'b42', after: 'b41' },
        { target: 'slot:api-prod/staging', field: 'buildId', before: 'b41', after: 'b42' },
      ],
    });
    expect(fake.swapRequests()).toHaveLength(0);
    expect(fake.requests.every((r) => /appsettings\/list$/.test(r.path))).toBe(true);
    expect(ledger.rows.size).toBe(0);
  });

  it('after an attempt whose answer was lost, reconciles from the build ids instead of swapping again', async () => {
    await lkg.record(lkgInput('Prod', 'api', 'r41', 'b41'), '2026-01-01T00:00:00.000Z');
    fake.dropNext('POST', /slotsswap$/);
    const input = apiToLkg.input.parse({ incidentId: inc, env: 'Prod' });
    await expect(acts.apiToLkg(input)).rejects.toBeInstanceOf(TransientError);
    await fake.settle(); // the swap Azure accepted completes
    const retry = await acts.apiToLkg(input);
    expect(retry).toMatchObject({
      kind: 'done',
      changes: [{ target: 'slot:api-prod/production', before: 'b42', after: 'b41' }, { target: 'slot:api-prod/staging' }],
    });
    expect(retry.summary).toContain('an earlier, interrupted attempt of this step completed the swap (found on reconcile)');
    expect(fake.swapRequests()).toHaveLength(1);
  });

  it('after a lost answer while the swap still runs: 409 is thrown as transient, then reconciled', async () => {
    await lkg.record(lkgInput('Prod', 'api', 'r41', 'b41'), '2026-01-01T00:00:00.000Z');
    fake.dropNext('POST', /slotsswap$/);
    const input = apiToLkg.input.parse({ incidentId: inc, env: 'Prod' });
    await expect(acts.apiToLkg(input)).rejects.toBeInstanceOf(TransientError);
    const second = await acts.apiToLkg(input).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(TransientError);
    expect((second as Error).message).toContain("most likely that attempt's swap is still running");
    await fake.settle();
    expect(await acts.apiToLkg(input)).toMatchObject({ kind: 'done' });
    expect(fake.swapRequests().map((r) => r.status)).toEqual([-1, 409]);
    expect(fake.buildOf('api-prod', 'production')).toBe('b41');
  });

  it('throws (for a Durable retry) when a build read fails transiently, and has swapped nothing', async () => {
    await lkg.record(lkgInput('Prod', 'api', 'r41', 'b41'), '2026-01-01T00:00:00.000Z');
    fake.failNext('POST', /slots\/staging\/config\/appsettings\/list$/, 503, 10);
    await expect(acts.apiToLkg(apiToLkg.input.parse({ incidentId: inc, env: 'Prod' }))).rejects.toBeInstanceOf(TransientError);
    expect(fake.swapRequests()).toHaveLength(0);
  });
});

describe('web to LKG', () => {
  it('as a second slot swap, reading builds from /version; the onSwap hook moves what the app serves', async () => {
    await lkg.record(lkgInput('Prod', 'web', 'web-41', 'b41'), '2026-01-01T00:00:00.000Z');
    const input = webToLkg.input.parse({ incidentId: inc, env: 'Prod' });
    const out = await acts.webToLkg(input);
    expect(out).toMatchObject({ kind: 'done', changes: [{ target: 'slot:web-prod/production', before: 'b42', after: 'b41' }, {}, { target: 'release:Prod/web', field: 'releaseTag', after: 'web-41' }] });
    expect(out.summary).toContain('(verified)');
    expect(apiApp.production).toBe('b41');
    const n = fake.requests.length;
    expect(await acts.webToLkg(input)).toEqual(out);
    expect(fake.requests.length).toBe(n);
  });

  it('as a republish hook carrying the LKG release, once, with an idempotency key and the token', async () => {
    await lkg.record(lkgInput('Beta', 'web', 'web-41', 'w41'), '2026-01-01T00:00:00.000Z');
    const input = webToLkg.input.parse({ incidentId: inc, env: 'Beta' });
    const out = await acts.webToLkg(input);
    expect(out).toMatchObject({
      kind: 'done',
      executionId: 'run-1',
      changes: [
        { target: 'site:web@Beta', field: 'release', before: 'w42', after: 'web-41' },
        { target: 'release:Beta/web', field: 'releaseTag', after: 'web-41' },
      ],
    });
    expect(out.summary).toMatch(/^web \(Beta\): asked for a republish of LKG web-41 \(build w41\); republish hook http:\/\/127\.0\.0\.1:\d+\/hook accepted the request \(202\)/);
    expect(web.hookCalls).toHaveLength(1);
    expect(web.hookCalls[0]?.headers).toMatchObject({ authorization: 'Bearer hook-secret-1', 'idempotency-key': `${inc}:app-service/to-lkg/beta/web` });
    expect(web.hookCalls[0]?.body).toMatchObject({ env: 'Beta', service: 'web', releaseTag: 'web-41', buildId: 'w41', incidentId: inc });
    expect(JSON.stringify(out)).not.toContain('hook-secret-1');
    expect(await acts.webToLkg(input)).toEqual(out);
    expect(web.hookCalls).toHaveLength(1);
  });

  it('skips the republish when the site already serves LKG; refuses a 4xx; throws on a 5xx and resends with the same key', async () => {
    await lkg.record(lkgInput('Beta', 'web', 'web-42', 'w42'), '2026-01-01T00:00:00.000Z');
    expect(await acts.webToLkg(webToLkg.input.parse({ incidentId: inc, env: 'Beta' }))).toMatchObject({ kind: 'skipped', reason: 'already-lkg' });
    expect(web.hookCalls).toHaveLength(0);

    await lkg.record(lkgInput('Beta', 'web', 'web-40', 'w40'), '2026-01-01T00:01:00.000Z');
    web.hookStatus = 404;
    const rejected = await acts.webToLkg(webToLkg.input.parse({ incidentId: inc, env: 'Beta', step: 'web-2' }));
    expect(rejected).toMatchObject({ kind: 'refused', reason: 'hook-rejected' });
    expect(rejected.summary).toContain('answered 404: {"message":"no such release"}');

    web.hookStatus = 503;
    const input = webToLkg.input.parse({ incidentId: inc, env: 'Beta', step: 'web-3' });
    await expect(acts.webToLkg(input)).rejects.toBeInstanceOf(TransientError);
    web.hookStatus = 202;
    expect(await acts.webToLkg(input)).toMatchObject({ kind: 'done' });
    const keys = web.hookCalls.slice(-2).map((c) => c.headers['idempotency-key']);
    expect(keys).toEqual([`${inc}:web-3`, `${inc}:web-3`]);
  });
});

describe('deploy freeze', () => {
  it('freezes once (announced once), reports an existing freeze as skipped, lifts only its own freeze', async () => {
    const freezeInput = { incidentId: inc, env: 'Prod', reason: 'Rollback to LKG in progress', mode: 'execute' as const };
    const planned = await acts.setDeployFreeze({ ...freezeInput, mode: 'plan' });
    expect(planned).toEqual({
      kind: 'planned',
      summary: 'Plan: Freeze deploys to Prod: Rollback to LKG in progress (announced via test)',
      changes: [{ target: 'freeze:Prod', field: 'frozen', before: false, after: true }],
    });
    expect((await freeze.get('Prod')).frozen).toBe(false);

    const first = await acts.setDeployFreeze(freezeInput);
    expect(first).toEqual({
      kind: 'done',
      summary: `Deploys to Prod frozen for incident ${inc}: Rollback to LKG in progress. Announced via test.`,
      changes: [{ target: 'freeze:Prod', field: 'frozen', before: false, after: true }],
    });
    expect(await acts.setDeployFreeze(freezeInput)).toEqual(first);
    expect(announced).toHaveLength(1);
    expect(announced[0]).toMatchObject({ env: 'Prod', frozen: true, incidentId: inc, by: { id: 'incident-bot' } });
    expect(await freeze.get('prod')).toMatchObject({ frozen: true, incidentId: inc, reason: 'Rollback to LKG in progress' });
    expect(await freeze.history('Prod', 10)).toHaveLength(1);

    // Another incident finds it frozen and must not lift it.
    const other = `${inc}-other`;
    expect(await acts.setDeployFreeze({ ...freezeInput, incidentId: other })).toMatchObject({ kind: 'skipped', reason: 'already-frozen' });
    const notMine = await acts.clearDeployFreeze({ incidentId: other, env: 'Prod', reason: 'done', mode: 'execute' });
    expect(notMine).toMatchObject({ kind: 'refused', reason: 'frozen-by-other' });
    expect(notMine.summary).toContain(`frozen by incident ${inc}`);

    const lifted = await acts.clearDeployFreeze({ incidentId: inc, env: 'Prod', reason: 'Stable for 60 min', mode: 'execute' });
    expect(lifted).toMatchObject({ kind: 'done', changes: [{ before: true, after: false }] });
    expect(await acts.clearDeployFreeze({ incidentId: inc, env: 'Prod', reason: 'Stable for 60 min', mode: 'execute' })).toEqual(lifted);
    expect(announced.map((a) => a.frozen)).toEqual([true, false]);
    expect(await freeze.history('Prod', 10)).toHaveLength(2);
  });
});

describe('record a new LKG after the monitoring window', () => {
  it('records what production runs (release tag from its settings), once', async () => {
    await lkg.record(lkgInput('Prod', 'api', 'r41', 'b41'), '2026-01-01T00:00:00.000Z');
    const input = { incidentId: inc, env: 'Prod', service: 'api', evidenceUrl: evidence, mode: 'execute' as const };
    const planned = await acts.recordLkg({ ...input, mode: 'plan' });
    expect(planned).toMatchObject({ kind: 'planned', changes: [{ target: 'lkg:Prod/api', before: { releaseTag: 'r41', buildId: 'b41' }, after: { releaseTag: 'r42', buildId: 'b42' } }] });

    const first = await acts.recordLkg(input);
    expect(first).toMatchObject({ kind: 'done', executionId: expect.any(String) as unknown });
    expect(first.summary).toMatch(/^api \(Prod\): recorded r42 \(build b42\) as last known good, replacing LKG r41 \(build b41\)\. Record /);
    expect(await lkg.current('Prod', 'api')).toMatchObject({ releaseTag: 'r42', buildId: 'b42', source: 'monitoring-window', recordedBy: { id: 'incident-bot' } });
    expect(await acts.recordLkg(input)).toEqual(first);
    expect(await lkg.history('Prod', 'api', 10)).toHaveLength(2);
    // A later incident finds it current already.
    expect(await acts.recordLkg({ ...input, incidentId: `${inc}-later` })).toMatchObject({ kind: 'skipped', reason: 'already-lkg' });
  });
});

describe('every action, twice', () => {
  it('the second run returns the recorded outcome and changes nothing (counted at every fake)', async () => {
    await lkg.record(lkgInput('Prod', 'api', 'r41', 'b41'), '2026-01-01T00:00:00.000Z');
    await lkg.record(lkgInput('Prod', 'web', 'web-41', 'b41'), '2026-01-01T00:00:00.000Z');
    await lkg.record(lkgInput('Beta', 'web', 'web-41', 'w41'), '2026-01-01T00:00:00.000Z');
    const counters = async () => ({
      arm: fake.requests.length,
      swaps: fake.swapRequests().length,
      hook: web.hookCalls.length,
      announced: announced.length,
      freezeHistory: (await freeze.history('Prod', 50)).length,
      lkgHistory: (await lkg.history('Prod', 'api', 50)).length,
    });
    const actions: [string, () => Promise<unknown>][] = [
      ['setDeployFreeze', () => acts.setDeployFreeze({ incidentId: inc, env: 'Prod', reason: 'rollback', mode: 'execute' })],
      ['apiToLkg', () => acts.apiToLkg(apiToLkg.input.parse({ incidentId: inc, env: 'Prod' }))],
      ['webToLkg (slot swap)', () => acts.webToLkg(webToLkg.input.parse({ incidentId: inc, env: 'Prod' }))],
      ['webToLkg (republish)', () => acts.webToLkg(webToLkg.input.parse({ incidentId: inc, env: 'Beta' }))],
      [
        'recordLkg',
        () => {
          // A forward fix reached production after the rollback; the monitoring window was clean.
          if (fake.buildOf('api-prod', 'production') !== 'b43') fake.deploy('api-prod', 'production', { APP_BUILD_ID: 'b43', APP_RELEASE_TAG: 'r43' });
          return acts.recordLkg({ incidentId: inc, env: 'Prod', service: 'api', evidenceUrl: evidence, mode: 'execute' });
        },
      ],
      ['clearDeployFreeze', () => acts.clearDeployFreeze({ incidentId: inc, env: 'Prod', reason: 'stable', mode: 'execute' })],
    ];
    for (const [name, run] of actions) {
      const before = await counters();
      const first = await run();
      const between = await counters();
      const second = await run();
      const after = await counters();
      expect({ name, second }).toEqual({ name, second: first });
      expect({ name, counters: after }).toEqual({ name, counters: between });
      expect({ name, kind: (first as { kind: string }).kind }).toEqual({ name, kind: 'done' });
      expect(between).not.toEqual(before);
    }
    expect(await lkg.current('Prod', 'api')).toMatchObject({ releaseTag: 'r43', buildId: 'b43' });
  });
});

describe('release snapshot (first 15 minutes)', () => {
  it('reports current vs LKG build per slot for every configured service of the environment', async () => {
    await lkg.record(lkgInput('Prod', 'api', 'r41', 'b41'), '2026-01-01T00:00:00.000Z');
    const snap = await acts.readReleaseState({ incidentId: inc, env: 'Prod' });
    expect(snap.services.map((s) => [s.service, s.lkgLocation])).toEqual([
      ['api', 'staging'],
      ['web', 'no-lkg'],
    ]);
    expect(snap.services[0]?.summary).toBe(
      'api (Prod): production runs r42 (build b42); staging runs r41 (build b41); LKG r41 (build b41) is in staging: a swap restores it.',
    );
    expect(fake.swapRequests()).toHaveLength(0);
  });

  it('carries what the deploy wrote next to the build: when, and which migrations (app setting or /version)', async () => {
    await lkg.record(lkgInput('Prod', 'api', 'r41', 'b41'), '2026-01-01T00:00:00.000Z');
    fake.deploy('api-prod', 'production', { APP_BUILD_ID: 'b42', APP_RELEASE_TAG: 'r42', APP_DEPLOYED_AT: '2026-01-16T08:40:00+01:00', APP_MIGRATIONS: '20260116_jobs_index, 20260116_backfill;20260116_jobs_index' });
    apiMeta = { deployedAt: 'yesterday', migrations: ['20260115_web_prefs', 42, ''] };
    const snap = await acts.readReleaseState({ incidentId: inc, env: 'Prod' });
    const [api, webState] = snap.services;
    expect(api?.production).toEqual({ slot: 'production', buildId: 'b42', releaseTag: 'r42', error: null, deployedAt: '2026-01-16T07:40:00.000Z', migrations: ['20260116_jobs_index', '20260116_backfill'] });
    expect(api?.staging).toEqual({ slot: 'staging', buildId: 'b41', releaseTag: 'r41', error: null });
    expect(api?.summary).toContain('production runs r42 (build b42; deployed 2026-01-16 07:40 UTC; migrations 20260116_jobs_index, 20260116_backfill)');
    // An unreadable deploy time is dropped, not guessed; only string migration names count.
    expect(webState?.production).toEqual({ slot: 'production', buildId: 'b42', releaseTag: null, error: null, migrations: ['20260115_web_prefs'] });
  });
});
