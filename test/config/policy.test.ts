/** The policy file: the shipped sample is valid, and every mistake is reported by its path. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatPath } from '../../src/config/issues.js';
import { checkPolicy } from '../../src/config/policy.js';

const root = path.join(__dirname, '..', '..');
const sample = (): Record<string, unknown> => JSON.parse(readFileSync(path.join(root, 'policy.sample.json'), 'utf8')) as Record<string, unknown>;

describe('policy', () => {
  it('accepts the shipped sample (Alpha, Beta, RTM, Prod with the runbook defaults, and the lab\'s Lab)', () => {
    const r = checkPolicy(sample());
    if (!r.ok) throw new Error(JSON.stringify(r.issues, null, 2));
    expect(Object.keys(r.policy.environments)).toEqual(['Alpha', 'Beta', 'RTM', 'Prod', 'Lab']);
    // The Lab environment mirrors Prod's thresholds: the lab shows a Prod-like P1.
    expect(r.policy.environments.Lab?.thresholds).toEqual(r.policy.environments.Prod?.thresholds);
    expect(r.policy.environments.Prod?.thresholds).toMatchObject({ readyRedMinutes: 5, error5xxPercent: 1, p95JsonMs: 600, sseTtfbMs: 200, heartbeatGapCriticalMs: 15000 });
    expect(r.policy.timeboxes.P1).toMatchObject({ ackMinutes: 15, decisionMinutes: 10, noDecision: 'rollback', containmentMinutes: 15, recoveryMinutes: 30, monitoringMinutes: 60, updateEveryMinutes: 15 });
    expect(r.policy.timeboxes.P2).toMatchObject({ monitoringMinutes: 30, updateEveryMinutes: 30 });
    expect(r.policy.timeboxes.P3.updateEveryMinutes).toBe(120);
  });

  it('names the exact path of each mistake, all at once', () => {
    const doc = sample();
    const services = doc.services as Record<string, unknown>[];
    (services[0] as { environment: string }).environment = 'Staging';
    (services[1] as { match: { rulePatterns: string[] } }).match = { rulePatterns: ['(unclosed'] };
    (doc.timeboxes as { P1: Record<string, unknown> }).P1.decisionMinutes = 'ten';
    const r = checkPolicy(doc);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byPath = Object.fromEntries(r.issues.map((i) => [i.path, i.message]));
    expect(byPath['timeboxes.P1.decisionMinutes']).toMatch(/expected number/);
    expect(byPath['services[1].match.rulePatterns[0]']).toMatch(/not a valid regular expression/);
  });

  it('reports semantic mistakes: unknown environment, duplicates, services no alert can reach', () => {
    const doc = sample();
    const services = doc.services as Record<string, unknown>[];
    services.push({ ...(services[0] as object) });
    services.push({ service: 'orphan', environment: 'Nowhere', match: {} });
    const r = checkPolicy(doc);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const messages = r.issues.map((i) => `${i.path}: ${i.message}`);
    expect(messages.some((m) => /services\[\d+\]: admin-api in Prod is declared twice/.test(m))).toBe(true);
    expect(messages.some((m) => /services\[\d+\]\.environment: unknown environment "Nowhere"/.test(m))).toBe(true);
    expect(messages.some((m) => /services\[\d+\]\.match: no way for an alert to match/.test(m))).toBe(true);
  });

  it('refuses unknown keys (a typo must not be silently ignored)', () => {
    const doc = sample();
    doc.timebox = {};
    const r = checkPolicy(doc);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]?.message).toMatch(/Unrecognized key/);
  });

  const checks = ['services', 0, 'endpoints', 'checks'];
  it.each([
    ['thresholds', ['environments', 'Prod', 'thresholds', 'error5xxPercnt'], 2],
    ['an environment', ['environments', 'Prod', 'triggerSeverty'], 'P2'],
    ['a Teams destination', ['environments', 'Prod', 'teams', 'channel'], '19:x'],
    ['the top-level Teams destination', ['teams', 'notfy'], []],
    ['a timebox', ['timeboxes', 'P1', 'ackMinuts'], 5],
    ['the timeboxes', ['timeboxes', 'P4'], {}],
    ['an escalation step', ['escalation', 0, 'afterMins'], 5],
    ['the severity mapping', ['severity', 'whenUnsur'], 'P1'],
    ['a trigger match', ['triggers', 0, 'match', 'rulePatern'], 'x'],
    ['a trigger property match', ['triggers', 0, 'match', 'property'], { name: 'a', value: 'b', vale: 'c' }, 'triggers[0].match.property.vale'],
    ['the bot', ['bot', 'actr'], 'x'],
    ['the postmortem', ['postmortem', 'dueDays'], 2],
    ['service endpoints', ['services', 0, 'endpoints', 'stagingUrl'], 'https://x.example'],
    ['a service match', ['services', 0, 'match', 'targetResourceId'], []],
    ['a service SQL target', ['services', 0, 'sql', 'connectionString'], 'Server=x'],
    ['a rollback build source', ['services', 0, 'rollback', 'api', 'build', 'nme'], 'X'],
    ['a smoke check', checks, [{ kind: 'sse', path: '/s', windowMS: 20000 }], 'services[0].endpoints.checks[0].windowMS'],
    ['a contract endpoint', checks, [{ kind: 'contract', endpoints: [{ path: '/a', expectedStatus: 200 }] }], 'services[0].endpoints.checks[0].endpoints[0].expectedStatus'],
    ['a page', checks, [{ kind: 'pages', marker: 'm', pages: [{ path: '/a', markr: 'x' }] }], 'services[0].endpoints.checks[0].pages[0].markr'],
    ['probe auth', ['services', 0, 'endpoints', 'auth'], { kind: 'setting', setting: 'SMOKE_T', schema: 'Bearer' }, 'services[0].endpoints.auth.schema'],
  ] as [string, (string | number)[], unknown, string?][])('refuses a misspelt key in %s, naming its exact path', (_what, at, value, where) => {
    const doc = sample();
    let node = doc as Record<string | number, unknown>;
    for (const key of at.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
    node[at[at.length - 1] as string | number] = value;
    const r = checkPolicy(doc);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual([
      { path: where ?? formatPath(at), code: 'unrecognized_keys', message: expect.stringMatching(/^Unrecognized key ".+": not a setting here/) as unknown },
    ]);
  });

  it('refuses a service in an environment named like an Object member', () => {
    const doc = sample();
    (doc.services as Record<string, unknown>[]).push({ service: 'ghost', environment: 'constructor', match: { rulePatterns: ['^ghost'] } });
    const r = checkPolicy(doc);
    expect(r.ok).toBe(false);
    const index = (doc.services as unknown[]).length - 1;
    if (!r.ok) expect(r.issues.map((i) => `${i.path}: ${i.message}`)).toContainEqual(expect.stringMatching(new RegExp(`^services\\[${index}\\]\\.environment: unknown environment "constructor"`)));
  });

  it('accepts every policy the tests use', () => {
    for (const file of [path.join(root, 'test', 'fixtures', 'policy', 'test-policy.json')]) {
      const r = checkPolicy(JSON.parse(readFileSync(file, 'utf8')));
      expect(r.ok ? [] : r.issues, file).toEqual([]);
    }
  });

  it('policy:check explains a valid file and lists every problem of an invalid one (exit 1)', () => {
    const cli = path.join(root, 'dist', 'src', 'cli', 'policy-check.js');
    const ok = execFileSync(process.execPath, [cli, path.join(root, 'policy.sample.json')], { encoding: 'utf8' });
    expect(ok).toContain('policy.sample.json: valid');
    expect(ok).toContain('admin-api@Prod: matched by 1 target id(s), rules /^prod-admin-api-/; can do API slot-swap, SQL (SQL_CONNECTION_ADMIN_PROD)');
    const bad = path.join(os.tmpdir(), `bad-policy-${process.pid}.json`);
    writeFileSync(bad, JSON.stringify({ version: 1, environments: { Prod: {} }, timeboxes: {}, services: [] }));
    let out = '';
    let code = 0;
    try {
      execFileSync(process.execPath, [cli, bad], { encoding: 'utf8' });
    } catch (err) {
      const e = err as { status: number; stdout: string };
      code = e.status;
      out = e.stdout;
    }
    expect(code).toBe(1);
    expect(out).toContain('timeboxes.P1: Invalid input: expected object, received undefined');
  });
});
