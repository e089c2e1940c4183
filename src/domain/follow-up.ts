/**
 * Follow-through (RB-03 section 11: "action items with owners and due dates ... track actions to
 * closure"): what happens to an incident after its runbook, recorded as follow-up events and
 * derived once by `followUpOf`. The items start as the postmortem draft's (numbered as the draft
 * numbers them, owners from the incident's roles); people add items, assign, close and reopen
 * them, link the incident ticket and mark the postmortem done through the incident API
 * (`POST /api/incidents/{id}/actions`). The API, the postmortem reminder and the evidence pack
 * (the ticket and the items people added before it was sealed) all read this one view. Pure.
 */
import { z } from 'zod';
import { Actor } from './actor.js';

/** What an action item is about (RB-03 section 11's list); the evidence pack's items use the same. */
export const ActionItemCategory = z.enum(['forward-fix', 'tests', 'monitoring', 'runbook', 'adr-policy', 'other']);
export type ActionItemCategory = z.infer<typeof ActionItemCategory>;

const iso = z.iso.datetime({ offset: true });
const url = z.url({ protocol: /^https?$/ }).max(2000);
const itemId = z.string().regex(/^(pm|a)-\d{1,4}$/, 'an action item id such as "pm-1" or "a-2"');

/** An action item of the postmortem draft, as the incident recorded it when the draft was written. */
export const DraftedItem = z.object({
  title: z.string().min(1).max(500),
  owner: z.string().max(256).nullable(),
  due: z.string().max(40),
  category: ActionItemCategory,
});
export type DraftedItem = z.infer<typeof DraftedItem>;

/** What a person asks for (the body of POST /api/incidents/{id}/actions, without who and when). */
export const FollowUpRequest = z.discriminatedUnion('op', [
  z.object({ op: z.literal('add'), title: z.string().trim().min(1).max(500), owner: z.string().trim().min(1).max(256).optional(), due: z.iso.date().optional(), category: ActionItemCategory.optional(), link: url.optional() }).strict(),
  z.object({ op: z.literal('assign'), item: itemId, owner: z.string().trim().min(1).max(256) }).strict(),
  z.object({ op: z.literal('close'), item: itemId, note: z.string().trim().max(2000).optional(), link: url.optional() }).strict(),
  z.object({ op: z.literal('reopen'), item: itemId, note: z.string().trim().max(2000).optional() }).strict(),
  z.object({ op: z.literal('link-ticket'), url }).strict(),
  z.object({ op: z.literal('postmortem-done'), url: url.optional() }).strict(),
]);
export type FollowUpRequest = z.infer<typeof FollowUpRequest>;

/** One recorded follow-up: the request, who made it and when, numbered within the incident. */
export const FollowUpEvent = z.object({ seq: z.number().int().nonnegative(), at: iso, by: Actor, request: FollowUpRequest });
export type FollowUpEvent = z.infer<typeof FollowUpEvent>;

export interface FollowUpItem {
  id: string;
  title: string;
  owner: string | null;
  due: string | null;
  category: string;
  /** Where it came from: the postmortem draft, or a person. */
  source: 'postmortem' | 'person';
  status: 'open' | 'done';
  links: string[];
  closedAt: string | null;
  closedBy: string | null;
  notes: { at: string; by: string; text: string }[];
}

export interface FollowUpView {
  items: FollowUpItem[];
  open: number;
  done: number;
  ticketUrl: string | null;
  postmortem: { done: boolean; at: string | null; by: string | null; url: string | null };
  /** Follow-ups recorded so far (the next one's seq). */
  length: number;
}

const who = (a: Actor): string => a.name ?? a.id;

/** The view from the draft's items and the recorded follow-ups. */
export function followUpOf(drafted: readonly DraftedItem[], events: readonly FollowUpEvent[]): FollowUpView {
  const items: FollowUpItem[] = drafted.map((d, i) => ({ id: `pm-${i + 1}`, title: d.title, owner: d.owner, due: d.due, category: d.category, source: 'postmortem', status: 'open', links: [], closedAt: null, closedBy: null, notes: [] }));
  const view: FollowUpView = { items, open: 0, done: 0, ticketUrl: null, postmortem: { done: false, at: null, by: null, url: null }, length: 0 };
  let added = 0;
  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    view.length = Math.max(view.length, e.seq + 1);
    const r = e.request;
    const item = 'item' in r ? items.find((x) => x.id === r.item) : undefined;
    switch (r.op) {
      case 'add':
        items.push({ id: `a-${++added}`, title: r.title, owner: r.owner ?? null, due: r.due ?? null, category: r.category ?? 'other', source: 'person', status: 'open', links: r.link ? [r.link] : [], closedAt: null, closedBy: null, notes: [] });
        break;
      case 'assign':
        if (item) item.owner = r.owner;
        break;
      case 'close':
        if (!item) break;
        item.status = 'done';
        item.closedAt = e.at;
        item.closedBy = who(e.by);
        if (r.link) item.links.push(r.link);
        if (r.note) item.notes.push({ at: e.at, by: who(e.by), text: r.note });
        break;
      case 'reopen':
        if (!item) break;
        item.status = 'open';
        item.closedAt = null;
        item.closedBy = null;
        if (r.note) item.notes.push({ at: e.at, by: who(e.by), text: r.note });
        break;
      case 'link-ticket':
        view.ticketUrl = r.url;
        break;
      case 'postmortem-done':
        view.postmortem = { done: true, at: e.at, by: who(e.by), url: r.url ?? null };
        break;
    }
  }
  view.open = items.filter((x) => x.status === 'open').length;
  view.done = items.length - view.open;
  return view;
}

/** Why a request cannot apply to the view (an unknown item, closing a closed one...), or null when it can. */
export function refusalOf(view: FollowUpView, r: FollowUpRequest): { status: 404 | 409; message: string } | null {
  if (!('item' in r)) return r.op === 'postmortem-done' && view.postmortem.done ? { status: 409, message: `The postmortem was already marked done by ${view.postmortem.by ?? 'someone'} at ${view.postmortem.at ?? '?'}.` } : null;
  const item = view.items.find((x) => x.id === r.item);
  if (!item) return { status: 404, message: `No action item ${r.item}; this incident has ${view.items.map((x) => x.id).join(', ') || 'none yet (the postmortem draft is written when the incident closes)'}.` };
  if (r.op === 'close' && item.status === 'done') return { status: 409, message: `Action item ${r.item} is already done (closed by ${item.closedBy ?? '?'} at ${item.closedAt ?? '?'}).` };
  if (r.op === 'reopen' && item.status === 'open') return { status: 409, message: `Action item ${r.item} is open already.` };
  return null;
}
