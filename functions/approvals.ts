/** GET/POST /api/approvals/{token}: the containment card's approval links (src/app/approvals.ts), loaded on the first request. */
import { registerApprovalRoutes } from '../src/app/approval-routes.js';

// Approvers come from the policy file (per service / environment); the APPROVERS setting is the
// fallback when the policy cannot be read or the incident is unknown.
registerApprovalRoutes({
  approvers: async (claims) => {
    const [{ approversForIncident }, { loadPolicy }, { getIncidentStore }] = await Promise.all([import('../src/app/incident-approvers.js'), import('../src/app/policy-source.js'), import('../src/app/stores.js')]);
    return approversForIncident(getIncidentStore(), () => loadPolicy(), claims.iid);
  },
});
