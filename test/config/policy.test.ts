/** The policy file: the shipped sample is valid, and every mistake is reported by its path. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPolicy } from '../../src/config/policy.js';

const root = path.join(__dirname, '..', '..');
const sample = (): Record<string, unknown> => JSON.parse(readFileSync(path.join(root, 'policy.sample.json'), 'utf8')) as Record<string, unknown>;

describe('policy', () => {
  it('accepts the shipped sample (Alpha, Beta, RTM, Prod with the runbook defaults)', () => {
    const r = checkPolicy(sample());
    if (!r.ok) throw new Error(JSON.stringify(r.issues, null, 2));
    expect(Object.keys(r.policy.environments)).toEqual(['Alpha', 'Beta', 'RTM', 'Prod']);
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
