/**
 * Registers the approval endpoint (GET/POST /api/approvals/{token}) with the Durable client as an
 * extra input. A function, rather than a side effect of importing a functions/ file, so that the
 * same registration runs in the product app (functions/approvals.ts) and in the test app that
 * holds a stand-in incident orchestration (test/fixtures/approvals-app).
 *
 * authLevel anonymous: the link is opened by a person's browser from Teams, which cannot carry a
 * function key (and a key in a channel message would be a shared secret). The signed, expiring,
 * single-use token is the credential; behind App Service Authentication the person is also
 * identified and checked against the approver list.
 */
import * as df from 'durable-functions';
import { createTableClient } from '../adapters/storage.js';
import { appSettings } from './settings.js';
import { durableDecisionTarget } from '../adapters/durable-decisions.js';
import { TableApprovalUses } from '../adapters/table-approval-uses.js';
import { httpRoute } from './routes.js';
import type { ApprovalUseStore } from '../ports/approvals.js';
import { handleApproval } from './approvals.js';
import { appNow } from './clock.js';
import type { ApprovalClaims } from '../activities/approval-token.js';
import type { Principal } from './approver.js';

const stores = new Map<string, ApprovalUseStore>();

export function getApprovalUses(table: string): ApprovalUseStore {
  let store = stores.get(table);
  if (!store) {
    store = new TableApprovalUses(createTableClient(appSettings().storage(), table));
    stores.set(table, store);
  }
  return store;
}

export interface ApprovalRouteOptions {
  /** The approver policy (from the policy file); without it, the APPROVERS setting decides. */
  isApprover?: (principal: Principal) => boolean | Promise<boolean>;
  /** The approvers of the link's incident (see ApprovalDeps.approvers). */
  approvers?: (claims: ApprovalClaims) => Promise<string[] | null>;
}

export function registerApprovalRoutes(options: ApprovalRouteOptions = {}): void {
  httpRoute('approvals', { route: 'approvals/{token}', methods: ['GET', 'POST'], authLevel: 'anonymous', durableClient: true }, async (request, context, requestId) => {
    const settings = appSettings().approval;
    return handleApproval(
      request,
      {
        settings: () => settings,
        uses: () => getApprovalUses(settings.ok ? settings.settings.table : 'ApprovalUses'),
        decisions: durableDecisionTarget(df.getClient(context)),
        // A link expires at the decision deadline, which is orchestration time: compare on the app clock.
        now: appNow,
        ...(options.isApprover ? { isApprover: options.isApprover } : {}),
        ...(options.approvers ? { approvers: options.approvers } : {}),
      },
      requestId,
    );
  });
}
