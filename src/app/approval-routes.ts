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
import { httpRoute } from './routes.js';
import type { ApprovalUseStore } from '../ports/approvals.js';
import type { ApprovalClaims } from '../activities/approval-token.js';
import type { Principal } from './approver.js';

const stores = new Map<string, ApprovalUseStore>();

export interface ApprovalRouteOptions {
  /** The approver policy (from the policy file); without it, the APPROVERS setting decides. */
  isApprover?: (principal: Principal) => boolean | Promise<boolean>;
  /** The approvers of the link's incident (see ApprovalDeps.approvers). */
  approvers?: (claims: ApprovalClaims) => Promise<string[] | null>;
}

export function registerApprovalRoutes(options: ApprovalRouteOptions = {}): void {
  // The handler, the approval-use table and the decision target load on the first request.
  httpRoute('approvals', { route: 'approvals/{token}', methods: ['GET', 'POST'], authLevel: 'anonymous', durableClient: true }, async () => {
    const [{ createTableClient }, { appSettings }, { durableDecisionTarget }, { TableApprovalUses }, { handleApproval }, { appNow }] = await Promise.all([
      import('../adapters/storage.js'),
      import('./settings.js'),
      import('../adapters/durable-decisions.js'),
      import('../adapters/table-approval-uses.js'),
      import('./approvals.js'),
      import('./clock.js'),
    ]);
    const approvalUses = (table: string): ApprovalUseStore => {
      let store = stores.get(table);
      if (!store) {
        store = new TableApprovalUses(createTableClient(appSettings().storage(), table));
        stores.set(table, store);
      }
      return store;
    };
    return async (request, context, requestId) => {
      const settings = appSettings().approval;
      return handleApproval(
        request,
        {
          settings: () => settings,
          uses: () => approvalUses(settings.ok ? settings.settings.table : 'ApprovalUses'),
          decisions: durableDecisionTarget(df.getClient(context)),
          // A link expires at the decision deadline, which is orchestration time: compare on the app clock.
          now: appNow,
          ...(options.isApprover ? { isApprover: options.isApprover } : {}),
          ...(options.approvers ? { approvers: options.approvers } : {}),
        },
        requestId,
      );
    };
  });
}
