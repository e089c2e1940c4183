/**
 * The notice that the delegated Teams sign-in (the identity that posts every incident thread)
 * stops working soon: posted in the app's channel by the canary, once a day while it has
 * TEAMS_SIGNIN_WARN_DAYS or fewer left, so someone signs in again before an incident goes silent.
 * Pure.
 */
import { sentences, utcDateTime } from './format.js';
import { renderModel, type RenderedMessage } from './render.js';

export interface SignInExpiryMessage {
  /** The signed-in account (a UPN), when the sign-in recorded one. */
  account: string | null;
  expiresAt: string;
  daysLeft: number;
  basis: 'inactivity' | 'max-age';
}

export type RenderedSignInMessage = Omit<RenderedMessage, 'kind'> & { kind: 'teams-signin-expiring' };

export function renderSignInExpiry(m: SignInExpiryMessage, ctx: { reference: string }): RenderedSignInMessage {
  const who = m.account ?? 'the service account';
  const when = m.daysLeft === 0 ? 'today' : m.daysLeft === 1 ? 'within a day' : `in ${m.daysLeft} days`;
  const why =
    m.basis === 'max-age'
      ? 'Why: the tenant ends every sign-in after TEAMS_SIGNIN_MAX_AGE_DAYS days (a Conditional Access sign-in frequency).'
      : 'Why: Entra ends a sign-in whose refresh token is not renewed for 90 days, and the renewed token could not be saved (the app\'s identity needs "Key Vault Secrets Officer" on the vault).';
  return {
    kind: 'teams-signin-expiring',
    ...renderModel(
      {
        style: 'warning',
        shortTitle: 'Teams sign-in expiring',
        importance: 'high',
        sentence: sentences(`⚠️ TEAMS SIGN-IN EXPIRES ${when.toUpperCase()}: incident messages stop after ${utcDateTime(m.expiresAt)}`, `Sign in again as ${who} with npm run teams:signin`),
        facts: [
          ['Account', who],
          ['Expires', utcDateTime(m.expiresAt)],
          ['Days left', String(m.daysLeft)],
        ],
        sections: [{ lines: [why, 'Until then incidents post here as usual; after it, incidents still run, but nothing is posted in Teams.'] }],
        actions: [],
      },
      `Teams sign-in · ref ${ctx.reference}`,
    ),
  };
}
