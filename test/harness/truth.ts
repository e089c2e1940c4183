/**
 * Reading an incident the way people read it, for the end-to-end "truth" tests: the sealed
 * evidence pack (incident.json, metrics.json, report.html, postmortem.md, actions), one alert per
 * scenario, and closing a scenario's incident when it failed half-way (so the next alert opens its own).
 */
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { alertFixture, withAlertId } from './alerts.js';
import type { TargetFaults } from '../../src/lab/target-app.js';
import { APPROVER, principal, type ProductWorld } from './product.js';

export const approver = (): Record<string, string> => principal(APPROVER.upn, APPROVER.oid);

export interface PackMetrics {
  timeToDeclare: { seconds: number } | null;
  timeToAcknowledge: { seconds: number } | null;
  timeToMitigate: { seconds: number } | null;
  timeToRecover: { seconds: number } | null;
  timeboxes: { name: string; verdict: string }[];
}

export class Scenarios {
  private current: string | undefined;
  private alerts = 0;
  private readonly evidence: ContainerClient;

  constructor(private readonly w: ProductWorld) {
    this.evidence = BlobServiceClient.fromConnectionString(w.azurite.connectionString).getContainerClient('incident-evidence');
  }

  /** The fixture 5xx alert (a P1) with its own id, fired 30 s ago unless `patch` says otherwise. */
  async start(patch: Record<string, unknown> = {}): Promise<string> {
    const doc = withAlertId(alertFixture('metric-5xx-fired.json'), `truth-${++this.alerts}`, { firedDateTime: new Date(this.w.now() - 30_000).toISOString(), ...patch });
    const alert = await this.w.post<{ incidentId: string }>('/api/alerts', doc);
    if (alert.status !== 202 || !alert.body.incidentId) throw new Error(`the alert was not accepted: ${alert.status} ${JSON.stringify(alert.body)}`);
    this.current = alert.body.incidentId;
    return this.current;
  }

  /** A bad release in production (plus `faults`), the alert, and the incident waiting for its containment decision. */
  async deciding(faults: TargetFaults = {}, patch: Record<string, unknown> = {}): Promise<string> {
    this.w.reset();
    this.w.breakProduction(faults);
    const id = await this.start(patch);
    await this.w.until(id, (r) => r.runtime.customStatus?.phase === 'deciding', 'the decision');
    return id;
  }

  /** Resolves the scenario's incident if it is still open (a failed scenario must not swallow the next alert). */
  async close(): Promise<void> {
    const id = this.current;
    this.current = undefined;
    if (!id || (await this.w.incident(id)).summary.status === 'resolved') return;
    await this.w.post(`/api/incidents/${id}/resolve`, {}, approver());
    await this.w.resolved(id).catch(() => undefined);
  }

  async blob(id: string, name: string): Promise<string> {
    return (await this.evidence.getBlobClient(`Prod/2026/11/${id}/${name}`).downloadToBuffer()).toString('utf8');
  }

  async json<T = Record<string, unknown>>(id: string, name: string): Promise<T> {
    return JSON.parse(await this.blob(id, name)) as T;
  }

  async folder(id: string, folder: string): Promise<string[]> {
    const out: string[] = [];
    for await (const b of this.evidence.listBlobsFlat({ prefix: `Prod/2026/11/${id}/${folder}` })) out.push(await this.blob(id, b.name.split(`${id}/`)[1] ?? b.name));
    return out;
  }
}

/** The value of the report's figure card `label` ("Time to mitigate"). */
export function reportCard(html: string, label: string): string {
  return new RegExp(`<div class="label">${label}</div><div class="value">([^<]*)</div>`).exec(html)?.[1] ?? '(no card)';
}
