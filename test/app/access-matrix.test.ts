/**
 * Who may do what, as a matrix: every role x every action x every identity source, on the product
 * app on the dev host with function keys enforced as in Azure. Each cell says whether the action is
 * allowed and, when it is, what the record says about who did it (the timeline entry's actor, or
 * the freeze / LKG record's `by`); a refused action records nothing.
 *
 * Identity sources:
 *   easy-auth      App Service Authentication on (WEBSITE_AUTH_ENABLED=True): a signed-in person
 *                  whose Entra app roles (`roles` claims) decide; the request carries a host key
 *                  (one key that opens every function: with Easy Auth the key only lets it in).
 *                  Refused: 403. Recorded: the person, verified.
 *   function-key   Easy Auth off: the role's own function key, set (as in Azure) only on the
 *                  functions of the role's actions. Refused: 401 from the host, before the app runs.
 *                  Recorded: the key holder, unverified.
 *   forged         Easy Auth off, the role's key plus principal headers naming someone else with
 *                  every app role: the headers are ignored, so exactly as function-key.
 * The roles and their actions come from src/app/access.ts: the table is the specification.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_ACTIONS, ACCESS_ROLES, functionsOf, KEY_HOLDER, type AccessAction, type AccessRoleName } from '../../src/app/access.js';
import { actorLabel, type Actor } from '../../src/domain/actor.js';
import { ALL_APP_ROLES, principal } from '../harness/product.js';
import { setAppEnv } from '../harness/env.js';
import { useProductHost } from '../harness/product-host.js';

const MASTER = 'matrix-master-key';
const HOST_KEY = 'matrix-host-key';
const keyOf = (role: AccessRoleName): string => `matrix-key-${role}`;
const ROLES = Object.keys(ACCESS_ROLES) as AccessRoleName[];
const ACTIONS = Object.keys(ACCESS_ACTIONS) as AccessAction[];

/** Signed-in people, one per role; the decider is on the policy's approver list (test-policy.json). */
const PEOPLE: Record<AccessRoleName, { upn: string; oid: string }> = {
  responder: { upn: 'riley.responder@contoso.example', oid: '11111111-0000-4000-8000-000000000001' },
  decider: { upn: 'release.manager@contoso.example', oid: '22222222-0000-4000-8000-000000000002' },
  resolver: { upn: 'rory.resolver@contoso.example', oid: '33333333-0000-4000-8000-000000000003' },
  admin: { upn: 'ada.admin@contoso.example', oid: '44444444-0000-4000-8000-000000000004' },
};
const FORGED = { upn: 'ceo@contoso.example', oid: 'ffffffff-0000-4000-8000-00000000000f' };

type Source = 'easy-auth' | 'function-key' | 'forged';

let dir: string;
let registered: string[] = [];

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});
const product = useProductHost(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'access-matrix-'));
  // As a deployment would set them: each role's key on the functions of its actions (functionsOf).
  const keys = [HOST_KEY, ...ROLES.flatMap((role) => functionsOf(role).map((fn) => `${fn}:${keyOf(role)}`))];
  return {
    enforceKeys: true,
    logLevel: 'information',
    env: { DEVHOST_MASTER_KEY: MASTER, DEVHOST_FUNCTION_KEYS: keys.join(','), TEAMS_DELIVERY: 'local', TEAMS_SINK_FILE: path.join(dir, 'teams.jsonl') },
  };
});
beforeAll(() => {
  registered = product.h.logs.flatMap((l) => /^ {2}(\w+): \[/.exec(l.message)?.[1] ?? []);
});
afterAll(() => {
  setAppEnv({ WEBSITE_AUTH_ENABLED: undefined });
});

function setSource(source: Source): void {
  setAppEnv({ WEBSITE_AUTH_ENABLED: source === 'easy-auth' ? 'True' : undefined });
}

function headersFor(source: Source, role: AccessRoleName): Record<string, string> {
  if (source === 'easy-auth') return { 'x-functions-key': HOST_KEY, ...principal(PEOPLE[role].upn, PEOPLE[role].oid, [ACCESS_ROLES[role].appRole]) };
  if (source === 'forged') return { 'x-functions-key': keyOf(role), ...principal(FORGED.upn, FORGED.oid, ALL_APP_ROLES) };
  return { 'x-functions-key': keyOf(role) };
}

type Answer = { status: number; body: Record<string, unknown> };
const call = (method: string, p: string, headers: Record<string, string>, body?: unknown): Promise<Answer> =>
  product.h.json(p, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
const asMaster = { 'x-functions-key': MASTER };

interface Entry {
  kind: string;
  actor: string;
  text: string;
}
async function timeline(id: string): Promise<Entry[]> {
  await product.h.settle();
  return (await call('GET', `/api/incidents/${id}`, asMaster)).body.timeline as Entry[];
}

async function drill(summary: string): Promise<string> {
  setAppEnv({ WEBSITE_AUTH_ENABLED: undefined });
  const res = await call('POST', '/api/incidents', asMaster, { service: 'admin-api', environment: 'Beta', summary, severity: 'P2', dryRun: true });
  expect(res.status).toBe(201);
  await product.h.settle();
  return res.body.incidentId as string;
}

/** The timeline entry kind each incident action writes. */
const KIND: Partial<Record<AccessAction, string>> = { declare: 'declared', ack: 'ack', note: 'note', decision: 'decision', rollback: 'rollback-requested', extend: 'extend', resolve: 'resolved', severity: 'severity' };

/** What an allowed action by (source, role) is recorded as. */
function recordedAs(source: Source, role: AccessRoleName): string {
  return source === 'easy-auth' ? `${PEOPLE[role].upn} (${PEOPLE[role].oid})` : `${KEY_HOLDER} (unverified)`;
}

/** Sends `action` as (source, role); `incident` is a running drill to act on. */
function attempt(source: Source, role: AccessRoleName, action: AccessAction, incident: string, marker: string): Promise<Answer> {
  return send(source, headersFor(source, role), action, incident, marker);
}

async function send(source: Source, hd: Record<string, string>, action: AccessAction, incident: string, marker: string): Promise<Answer> {
  setSource(source);
  try {
    switch (action) {
      case 'read':
        return await call('GET', '/api/incidents?limit=1', hd);
      case 'declare':
        return await call('POST', '/api/incidents', hd, { service: 'admin-api', environment: 'Beta', summary: marker, severity: 'P2', dryRun: true });
      case 'ack':
        return await call('POST', `/api/incidents/${incident}/ack`, hd, { role: 'scribe' });
      case 'note':
        return await call('POST', `/api/incidents/${incident}/note`, hd, { text: marker });
      case 'decision':
        return await call('POST', `/api/incidents/${incident}/decision`, hd, { choice: 'monitor-only', reason: marker });
      case 'rollback':
        return await call('POST', `/api/incidents/${incident}/rollback`, hd, { reason: marker });
      case 'extend':
        return await call('POST', `/api/incidents/${incident}/extend`, hd, { timebox: 'decision', minutes: 5, reason: marker });
      case 'resolve':
        return await call('POST', `/api/incidents/${incident}/resolve`, hd, { summary: marker });
      case 'followUp':
        return await call('POST', `/api/incidents/${incident}/actions`, hd, { op: 'add', title: marker });
      case 'severity':
        return await call('POST', `/api/incidents/${incident}/severity`, hd, { level: 'P3', reason: marker });
      case 'freeze':
        // An environment per source: each freeze is a change, recorded with its own actor.
        return await call('POST', `/api/freeze/Matrix-${source}`, hd, { action: 'freeze', reason: marker, actor: { id: 'stated@contoso.example' } });
      case 'lkg':
        return await call('POST', '/api/lkg', hd, {
          env: 'Lab',
          service: 'docs-vm',
          releaseTag: marker.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 60),
          buildId: marker.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 60),
          evidenceUrl: 'https://evidence.contoso.example/x/',
          recordedBy: { id: 'stated@contoso.example' },
        });
    }
  } finally {
    setAppEnv({ WEBSITE_AUTH_ENABLED: undefined });
  }
}

const SOURCES: Source[] = ['easy-auth', 'function-key', 'forged'];
const cells = SOURCES.flatMap((source) =>
  ROLES.flatMap((role) =>
    ACTIONS.map((action) => {
      const allowed = (ACCESS_ROLES[role].actions as readonly AccessAction[]).includes(action);
      return { source, role, action, allowed, outcome: allowed ? 'allowed' : 'refused' };
    }),
  ),
);

describe('the access matrix', () => {
  it('registers every function the role table names, and the table covers every keyed function but the alert webhook', () => {
    const named = Object.values(ACCESS_ACTIONS).flat();
    expect(registered).toEqual(expect.arrayContaining(named));
    const keyed = registered.filter((f) => f !== 'alerts' && f !== 'health' && f !== 'approvals' && f !== 'incidentsUnknownAction');
    expect(keyed.sort()).toEqual([...named].sort());
  });

  const shared = new Map<Source, string>();
  const sharedFor = async (source: Source): Promise<string> => {
    let id = shared.get(source);
    if (!id) {
      id = await drill(`matrix ${source}`);
      shared.set(source, id);
    }
    return id;
  };

  it.each(cells)('$source: $role may $action? $outcome', async (cell) => {
    const { source, role, action, allowed } = cell;
    const marker = `${source} ${role} ${action}`;
    // resolve ends an incident: it gets a drill of its own.
    const incident = action === 'resolve' ? await drill(`a drill to resolve (${cells.indexOf(cell)})`) : await sharedFor(source);
    const before = await timeline(incident);
    const res = await attempt(source, role, action, incident, marker);

    if (!allowed) {
      expect(res.status, JSON.stringify(res.body)).toBe(source === 'easy-auth' ? 403 : 401);
      const after = await timeline(incident);
      expect(after.filter((e) => e.kind !== 'runbook').length).toBe(before.filter((e) => e.kind !== 'runbook').length);
      expect(JSON.stringify(after)).not.toContain(marker);
      return;
    }
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    const who = recordedAs(source, role);
    if (action === 'read') return;
    if (action === 'freeze') {
      const by = (res.body.state as { by: Record<string, unknown> }).by;
      expect(by).toEqual(source === 'easy-auth' ? { id: PEOPLE[role].oid, name: PEOPLE[role].upn, verified: true } : { id: 'stated@contoso.example', verified: false });
      return;
    }
    if (action === 'lkg') {
      const by = (res.body.record as { recordedBy: Record<string, unknown> }).recordedBy;
      expect(by).toEqual(source === 'easy-auth' ? { id: PEOPLE[role].oid, name: PEOPLE[role].upn, verified: true } : { id: 'stated@contoso.example', verified: false });
      return;
    }
    if (action === 'followUp') {
      // Follow-ups are not on the runbook's timeline: the recorded event names who added the item.
      expect(actorLabel((res.body.recorded as { by: Actor }).by)).toBe(who);
      expect(res.body.items).toContainEqual(expect.objectContaining({ title: marker, source: 'person', status: 'open' }));
      return;
    }
    const id = action === 'declare' ? (res.body.incidentId as string) : incident;
    let entries: Entry[] = [];
    for (let i = 0; i < 50; i++) {
      entries = (await timeline(id)).filter((e) => e.kind === KIND[action]);
      if (entries.some((e) => e.text.includes(marker) || action === 'ack')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const mine = action === 'ack' ? entries.at(-1) : entries.find((e) => e.text.includes(marker));
    expect(mine?.actor).toBe(who);
    expect(JSON.stringify(await timeline(id))).not.toMatch(/ceo@contoso|ffffffff-0000/);
  });

  it('easy-auth: a signed-in person with no app role may do nothing', async () => {
    const incident = await sharedFor('easy-auth');
    const nobody = { 'x-functions-key': HOST_KEY, ...principal('nobody@contoso.example', '55555555-0000-4000-8000-000000000005', []) };
    for (const action of ACTIONS) {
      const res = await send('easy-auth', nobody, action, incident, `no role ${action}`);
      expect([action, res.status]).toEqual([action, 403]);
    }
  });

  it('easy-auth: a decider who is not on the approver list may extend, but neither decide nor roll back', async () => {
    const incident = await sharedFor('easy-auth');
    const outsider = principal('sam.lee@contoso.example', '66666666-0000-4000-8000-000000000006', [ACCESS_ROLES.decider.appRole]);
    const as = (action: AccessAction) => send('easy-auth', { 'x-functions-key': HOST_KEY, ...outsider }, action, incident, `outsider ${action}`);
    expect((await as('decision')).status).toBe(403);
    expect((await as('rollback')).status).toBe(403);
    expect((await as('extend')).status).toBe(202);
  });
});
