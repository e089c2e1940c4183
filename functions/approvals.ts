/** GET/POST /api/approvals/{token}: the containment card's approval links (src/app/approvals.ts). */
import { registerApprovalRoutes } from '../src/app/approval-routes.js';

registerApprovalRoutes();
