/**
 * What a person reads about something that did not work: the cause in one short line and the next
 * step for a person. The raw error (an SDK's 400-character credential chain, a driver's stack) is
 * evidence: it stays in the recorded outcome and the evidence pack, never in a page.
 */
import { ACTIONS, type ActionKind } from './action-table.js';
import { errorText } from './errors.js';

/** The first line of a text, at most `max` characters (cut at a word, with "…"). */
export function firstLine(text: unknown, max = 300): string {
  const raw = errorText(text);
  return clip(raw.split(/\r?\n/)[0]?.trim() ?? '', max);
}

export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:(]+$/, '')}…`;
}

/** Errors of the Azure identity libraries and Entra (the app's own credentials were refused). */
const CREDENTIALS = /AuthenticationError|CredentialUnavailable|ManagedIdentityCredential|ChainedTokenCredential|DefaultAzureCredential|AADSTS\d+|managed identity/i;
/** Raw error text inside a sentence: "(? AggregateAuthenticationError): ChainedTokenCredential ...". */
const RAW = /\s*\((?:[^()]|\([^()]*\))*(?:Error|Exception|Credential|AADSTS)(?:[^()]|\([^()]*\))*\)/g;

export type FailedAction = ActionKind;

export interface Failure {
  /** One line: what did not happen and why, in words. */
  cause: string;
  /** What a person should do now. */
  next: string;
}


/**
 * A refused or failed action for people. `summary` and `reason` are the outcome's own words (which
 * may carry raw SDK errors); `reason` is a machine-readable code for App Service outcomes.
 */
export function describeFailure(action: FailedAction, kind: 'refused' | 'failed', summary: string, reason: string | null, where: { incidentId: string; environment: string }): Failure {
  const what = ACTIONS[action].what;
  const retry = retryOf(action, where.incidentId);
  const all = `${summary} ${reason ?? ''}`;
  if (CREDENTIALS.test(all) || reason === 'not-authorized') {
    return {
      cause: `${what} ${kind === 'failed' ? 'failed' : 'was refused'}: the function app's Azure credentials were not accepted (managed identity or its role assignment).`,
      next: `Check the function app's managed identity and its role on the target, then ${retry}; or do it by hand in the Azure portal.`,
    };
  }
  const said = clip(firstLine(summary, 1000).replace(RAW, ''), 220);
  const cause = `${what} ${kind === 'failed' ? 'failed after its retries' : 'was refused'}: ${said || (reason ?? 'no reason given')}`;
  return { cause: clip(cause, 300), next: nextStep(action, kind, reason, retry, where.environment) };
}

function retryOf(action: FailedAction, incidentId: string): string {
  return ACTIONS[action].retry === 'rollback' ? `request the rollback again (POST /api/incidents/${incidentId}/rollback)` : `decide again (POST /api/incidents/${incidentId}/decision)`;
}

function nextStep(action: FailedAction, kind: 'refused' | 'failed', reason: string | null, retry: string, environment: string): string {
  if (ACTIONS[action].rollback) {
    switch (reason) {
      case 'no-lkg':
        return `Record the last known good release (POST /api/lkg), then ${retry}; or decide another containment.`;
      case 'lkg-not-in-staging':
        return `Redeploy the last known good release to the staging slot, then ${retry}; or roll back by hand.`;
      case 'build-unknown':
        return `Check that both slots report their build (the build setting or /version), then ${retry}; or swap by hand.`;
      case 'swap-failed':
      case 'swap-in-progress':
        return 'Look at the swap in the Azure portal (App Service > Deployment slots) and finish or undo it by hand.';
      case 'not-configured':
        return 'This service has no usable rollback target in the settings: roll back by hand.';
      default:
        return kind === 'failed' ? `Once the target answers again, ${retry}; or roll back by hand.` : ACTIONS[action].byHand;
    }
  }
  return ACTIONS[action].byHand.replace('<environment>', environment);
}
