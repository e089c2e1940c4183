/** Alert -> service@environment by custom properties, target resource ids, then rule patterns. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAlert } from '../../src/app/intake.js';
import { Policy } from '../../src/config/policy.js';
import { routeSignal } from '../../src/domain/routing.js';
import type { Signal } from '../../src/domain/signal.js';

const policy = Policy.parse(JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'policy', 'test-policy.json'), 'utf8')));
const fixture = (name: string): Signal => {
  const r = parseAlert(JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'azure-monitor', name), 'utf8')));
  if (!r.ok) throw new Error(r.message);
  return r.signal;
};
const routed = (s: Signal): string => {
  const r = routeSignal(s, policy.services);
  return r.matched ? `${r.entry.service}@${r.entry.environment} by ${r.by}` : `unmatched`;
};

describe('routeSignal', () => {
  it('prefers custom properties, then targets (a resource group covers its resources), then rule names', () => {
    expect(routed(fixture('prometheus-fired.json'))).toBe('admin-api@Beta by properties');
    expect(routed(fixture('metric-availability-fired.json'))).toBe('admin-api@Prod by target');
    expect(routed(fixture('log-v1-platform-quirk-fired.json'))).toBe('admin-api@RTM by target');
    expect(routed(fixture('service-health-fired.json'))).toBe('platform-health@Prod by rule');
  });

  it('matches target ids case-insensitively', () => {
    const s = fixture('metric-availability-fired.json');
    expect(routed({ ...s, targets: s.targets.map((t) => t.toUpperCase()) })).toBe('admin-api@Prod by target');
  });

  it('does not match a resource whose name merely starts like a configured one', () => {
    const s = fixture('metric-availability-fired.json');
    const target = '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-admin-prod-2/providers/x/y';
    expect(routed({ ...s, rule: 'something', targets: [target] })).toBe('unmatched');
  });

  it('explains why nothing matched', () => {
    const s = { ...fixture('metric-availability-fired.json'), rule: 'other', targets: ['/subscriptions/x/resourceGroups/other'], properties: { service: 'ghost', environment: 'Prod' } };
    const r = routeSignal(s, policy.services);
    expect(r).toMatchObject({ matched: false, reason: 'no service in the policy is ghost@Prod, and no target or rule pattern matches' });
  });
});
