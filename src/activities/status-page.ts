/**
 * Handler of the status page activity (contract in status-page.contracts.ts): one update per
 * incident + step through the step ledger, with an idempotency key derived from them, so a
 * redelivered or retried activity sends the same key and a receiver that saw it drops the repeat.
 * An interrupted attempt is sent again with that key (a webhook cannot be asked what it received).
 */
import { errorText } from '../domain/errors.js';
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { StepLedger } from '../ports/ledger.js';
import { StatusPageError, type StatusPagePort } from '../ports/status-page.js';
import { once } from './once.js';
import type { PublishStatusPage, StatusPageOutcome } from './status-page.contracts.js';

export interface StatusPageActivityPorts {
  ledger: () => StepLedger;
  /** Undefined: no status page is configured. May throw (invalid settings): refused as not-configured. */
  statusPage: () => StatusPagePort | undefined;
  now: () => Date;
}

type Input = z.output<typeof PublishStatusPage.input>;

/** The Idempotency-Key of a step's update: stable across retries and redeliveries. */
export function statusPageKey(incidentId: string, step: string): string {
  return createHash('sha256').update(`status-page\n${incidentId}\n${step}`, 'utf8').digest('hex').slice(0, 32);
}

export function createStatusPageActivities(ports: StatusPageActivityPorts) {
  return {
    async publish(input: Input): Promise<StatusPageOutcome> {
      const u = input.update;
      if (u.incidentId !== input.incidentId) return { kind: 'refused', reason: 'rejected', summary: `The update is for incident ${u.incidentId}, not ${input.incidentId}; nothing was sent.` };
      if (input.mode === 'plan') return { kind: 'planned', summary: `Would tell the status page: ${u.component} ${u.status}: ${u.message}` };
      let port: StatusPagePort | undefined;
      try {
        port = ports.statusPage();
      } catch (err) {
        return { kind: 'refused', reason: 'not-configured', summary: `The status page is not usable: ${errorText(err)}` };
      }
      if (!port) return { kind: 'skipped', reason: 'not-configured', summary: `No status page webhook is configured (STATUS_PAGE_WEBHOOK_URL): ${u.component} ${u.status} not published.` };
      const sp = port;
      const now = ports.now();
      const deadline = Date.parse(input.deadline);
      if (now.getTime() >= deadline) return { kind: 'refused', reason: 'deadline', summary: `Not sent: the deadline ${input.deadline} had passed when the step ran.`, attempts: 0 };
      const idempotencyKey = statusPageKey(input.incidentId, input.step);
      // The deadline is in application time; the retries run on the real clock with the remaining budget.
      const budget = deadline - now.getTime();
      try {
        const { outcome } = await once<Extract<StatusPageOutcome, { kind: 'done' }>>({
          ledger: ports.ledger(),
          key: { incidentId: input.incidentId, step: input.step },
          now: now.toISOString(),
          act: async () => {
            const r = await sp.publish(u, { idempotencyKey, deadline: Date.now() + budget });
            return { kind: 'done', status: r.status, attempts: r.attempts, idempotencyKey, summary: `Status page: ${u.component} ${u.status} (update ${u.sequence}), accepted with ${r.status}${r.attempts > 1 ? ` after ${r.attempts} attempts` : ''}.` };
          },
        });
        return outcome;
      } catch (err) {
        if (!(err instanceof StatusPageError)) throw err;
        // Not recorded as the step's outcome: a later attempt of the same step sends it again (same key).
        return { kind: 'refused', reason: err.failure, summary: err.message, attempts: err.details.attempts, ...(err.details.status !== undefined ? { status: err.details.status } : {}) };
      }
    },
  };
}
