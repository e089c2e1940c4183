/**
 * Who may approve a containment decision for an incident: the approvers the policy gives its
 * service (service list, else the environment's, else the global one), looked up from the
 * incident's summary. Read at approval time, so a policy change applies to running incidents.
 */
import { resolveService, type Policy } from '../config/policy.js';
import type { IncidentStore } from '../ports/incident-store.js';

export async function approversForIncident(store: Pick<IncidentStore, 'getSummary'>, policy: () => Policy, incidentId: string): Promise<string[] | null> {
  const summary = await store.getSummary(incidentId);
  if (!summary) return null;
  const p = policy();
  const entry = p.services.find((s) => s.service.toLowerCase() === summary.service.toLowerCase() && s.environment.toLowerCase() === summary.environment.toLowerCase());
  return entry ? resolveService(p, entry).approvers : null;
}
