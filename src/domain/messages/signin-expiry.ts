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
      ? 'The tenant allows a sign-in this long (TEAMS_SIGNIN_MAX_AGE_DAYS).'
      : 'The refresh token has not been renewed for almost 90 days: the app could not save the renewed token (it needs "Key Vault Secrets Officer" on the vault to write it back).';
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
        sections: [{ lines: [why, 'Until then every incident still posts here; after it, incidents are declared and run, but nobody is told in Teams.'] }],
        actions: [],
      },
      `Teams sign-in · ref ${ctx.reference}`,
    ),
  };
}
