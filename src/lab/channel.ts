/**
 * The lab's Teams channel as a person would read it: every message the product posted to the lab's
 * Graph (root messages and the replies of their threads), with the text the card carries as its
 * plain-text fallback (the same text the product renders, so nothing is re-derived here) and its
 * buttons. Rendered for a terminal, for Markdown (demo-out/teams-messages.md) and for the lab page.
 */
import type { StoredMessage } from './graph-server.js';

export interface ChannelMessage {
  teamId: string;
  channelId: string;
  id: string;
  /** The root message of the thread this one replies to; null for a root message. */
  threadId: string | null;
  at: string;
  /** The first line of the text: the message's headline. */
  title: string;
  text: string;
  buttons: { title: string; url: string }[];
}

interface Card {
  fallbackText?: unknown;
  actions?: { title?: unknown; url?: unknown }[];
}

function cardOf(m: StoredMessage): Card | undefined {
  const attachments = Array.isArray(m.attachments) ? (m.attachments as { contentType?: unknown; content?: unknown }[]) : [];
  const card = attachments.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive');
  if (typeof card?.content !== 'string') return undefined;
  try {
    return JSON.parse(card.content) as Card;
  } catch {
    return undefined;
  }
}

/** A message without a card: its HTML body as text. */
function bodyText(m: StoredMessage): string {
  const b = m.body as { content?: unknown } | undefined;
  const html = typeof b?.content === 'string' ? b.content : '';
  return html
    .replace(/<attachment[^>]*><\/attachment>/g, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .trim();
}

function toMessage(teamId: string, channelId: string, m: StoredMessage): ChannelMessage {
  const card = cardOf(m);
  const text = typeof card?.fallbackText === 'string' ? card.fallbackText : bodyText(m);
  const buttons = (card?.actions ?? []).flatMap((a) => (typeof a.title === 'string' && typeof a.url === 'string' ? [{ title: a.title, url: a.url }] : []));
  return { teamId, channelId, id: m.id, threadId: m.replyToId, at: m.createdDateTime, title: text.split('\n')[0] ?? '', text, buttons };
}

/** Every message of the given channels, in the order they were posted (ids increase). */
export function channelMessages(channels: { teamId: string; channelId: string; messages: StoredMessage[] }[]): ChannelMessage[] {
  const out: ChannelMessage[] = [];
  for (const c of channels) {
    for (const root of c.messages) {
      out.push(toMessage(c.teamId, c.channelId, root));
      for (const reply of root.replies) out.push(toMessage(c.teamId, c.channelId, reply));
    }
  }
  return out.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0));
}

const hhmmss = (iso: string): string => iso.slice(11, 19);

/** One line per message, for a terminal: time, thread marker, headline. */
export function channelLines(messages: readonly ChannelMessage[], width = 110): string[] {
  return messages.map((m) => {
    const line = `${hhmmss(m.at)} ${m.threadId ? '  ↳ ' : ''}${m.title}`;
    return line.length > width ? `${line.slice(0, width - 1)}…` : line;
  });
}

/** The channel as Markdown: one section per message, its text as posted. */
export function channelMarkdown(messages: readonly ChannelMessage[], heading: string, note?: string): string {
  const out = [`# ${heading}`, '', `${messages.length} message(s), oldest first. Each is the text the product posted (the card's plain-text form).${note ? ` ${note}` : ''}`, ''];
  for (const m of messages) {
    out.push(`## ${m.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} ${m.threadId ? '(reply)' : '(new thread)'}`, '');
    out.push('```text', m.text.replace(/```/g, "'''"), '```', '');
  }
  return out.join('\n');
}
