/** GET/POST /api/approvals/{token}: the containment card's approval links (src/app/approvals.ts). */
import { approversForIncident } from '../src/app/incident-approvers.js';
import { registerApprovalRoutes } from '../src/app/approval-routes.js';
import { loadPolicy } from '../src/app/policy-source.js';
import { getIncidentStore } from '../src/app/stores.js';

// Approvers come from the policy file (per service / environment); the APPROVERS setting is the
// fallback when the policy cannot be read or the incident is unknown.
registerApprovalRoutes({ approvers: (claims) => approversForIncident(getIncidentStore(), () => loadPolicy(), claims.iid) });
