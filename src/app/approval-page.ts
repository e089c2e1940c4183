/**
 * The small HTML pages of the approval links: confirmation (GET), result (POST) and refusals.
 * Everything dynamic is escaped; the pages load nothing, cannot be framed, and never leak the
 * token through the Referer header.
 */
import { choiceLabel } from '../domain/messages/render.js';
import type { ContainmentChoice } from '../domain/incident-events.js';

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

const STYLE =
  'body{font-family:Segoe UI,system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#242424}' +
  'h1{font-size:1.4rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{font-weight:600}' +
  'button{font-size:1rem;padding:.6rem 1.2rem;margin:.3rem .3rem .3rem 0;cursor:pointer}.note{color:#616161;font-size:.9rem}' +
  '.bad{border-left:4px solid #c4314b;padding-left:1rem}.good{border-left:4px solid #237b4b;padding-left:1rem}';

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

function facts(rows: [string, string][]): string {
  return `<dl>${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
}

export interface ProposalView {
  incidentId: string;
  proposalId: string;
  title: string;
  environment: string;
  severity: string;
  expiresAt: string;
  choices: ContainmentChoice[];
  /** Who will be recorded as deciding. */
  actor: string;
}

export function confirmPage(v: ProposalView): string {
  const buttons = v.choices
    .map((c) => `<button type="submit" name="choice" value="${escapeHtml(c)}">Confirm: ${escapeHtml(choiceLabel(c))}</button>`)
    .join('');
  return page(
    'Confirm containment decision',
    `<h1>Confirm containment decision</h1>` +
      facts([
        ['Incident', v.incidentId],
        ['Environment', `${v.environment} (${v.severity})`],
        ['Proposal', `${v.title} [${v.proposalId}]`],
        ['Link valid until', v.expiresAt],
        ['Recorded as', v.actor],
      ]) +
      `<form method="post">${buttons}</form>` +
      `<p class="note">Opening this page records nothing. Only the button records the decision, once: the first decision for this proposal wins, and the incident automation acts on it.</p>`,
  );
}

export function resultPage(v: { incidentId: string; proposalId: string; choice: ContainmentChoice; actor: string; at: string }): string {
  return page(
    'Decision recorded',
    `<div class="good"><h1>Decision recorded</h1>` +
      facts([
        ['Incident', v.incidentId],
        ['Proposal', v.proposalId],
        ['Decision', choiceLabel(v.choice)],
        ['By', v.actor],
        ['At', v.at],
      ]) +
      `<p>The incident automation has the decision and continues; follow it in the Teams thread.</p></div>`,
  );
}

export function refusalPage(title: string, message: string, rows: [string, string][] = []): string {
  return page(title, `<div class="bad"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>${rows.length ? facts(rows) : ''}</div><p class="note">Nothing was recorded by this request.</p>`);
}
