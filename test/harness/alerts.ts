/** Helpers for tests and benchmarks that send alerts to the product app on the dev host. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestHost } from './devhost.js';

export const fixturesDir = path.join(__dirname, '..', 'fixtures');
export const testPolicyPath = path.join(fixturesDir, 'policy', 'test-policy.json');

export function alertFixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(fixturesDir, 'azure-monitor', name), 'utf8')) as Record<string, unknown>;
}

/** A copy of a fixture with its own alert id (so deduplication does not merge test cases). */
export function withAlertId(doc: Record<string, unknown>, suffix: string, patch: Record<string, unknown> = {}): Record<string, unknown> {
  const copy = structuredClone(doc) as { data: { essentials: Record<string, unknown> } };
  copy.data.essentials.alertId = `${String(copy.data.essentials.alertId)}-${suffix}`;
  Object.assign(copy.data.essentials, patch);
  return copy;
}

export interface AlertAnswer {
  status: number;
  body: {
    kind?: string;
    incidentId?: string | null;
    service?: string | null;
    environment?: string | null;
    severity?: { level: string; reasons: string[]; triggers: string[] } | null;
    reasons?: string[];
    signal?: { kind: string; monitoringService: string | null };
    error?: { code: string; message: string; requestId: string; details: unknown };
  };
  headers: Headers;
}

export async function postAlert(h: TestHost, body: unknown, headers: Record<string, string> = {}): Promise<AlertAnswer> {
  const res = await h.fetch('/api/alerts', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as AlertAnswer['body']) : {}, headers: res.headers };
}

/** Incident orchestration instances known to the task hub. */
export async function incidentInstances(h: TestHost): Promise<{ instanceId: string; runtimeStatus: string }[]> {
  const res = await h.json<{ instanceId: string; name: string; runtimeStatus: string }[]>('/runtime/webhooks/durabletask/instances?top=1000');
  return res.body.filter((s) => s.name === 'incident');
}
