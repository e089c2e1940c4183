/**
 * An incremental parser for text/event-stream, following the WHATWG HTML "server-sent events"
 * interpretation rules: one optional leading BOM, CRLF / LF / CR line endings (a CR at the end of
 * one chunk and an LF at the start of the next are one line break), comments, multi-line data,
 * `id` (ignored when it contains NUL, and kept across events), `event`, `retry` (digits only),
 * dispatch on an empty line, and an unterminated event discarded at the end of the stream.
 *
 * Pure: it holds only parse state. The smoke probe timestamps the chunks it feeds in, so every
 * item produced by a chunk is attributed to that chunk's arrival time. Comments are reported too,
 * because many servers send their heartbeat as a comment line (": ping"), which the browser
 * never dispatches but which still proves the stream is alive.
 */

export interface SseEvent {
  type: 'event';
  /** The event type: the last `event` field, or "message". */
  event: string;
  data: string;
  /** The last event id in force when this event was dispatched (possibly from an earlier event). */
  lastEventId: string;
}

export interface SseComment {
  type: 'comment';
  /** The text after the colon (a leading space is kept: comments are not fields). */
  text: string;
}

export interface SseRetry {
  type: 'retry';
  ms: number;
}

export type SseItem = SseEvent | SseComment | SseRetry;

const LF = 10;
const CR = 13;

export class SseParser {
  private line = '';
  private sawFirstChar = false;
  /** The previous chunk ended with CR: a leading LF in the next chunk belongs to that line break. */
  private skipLeadingLf = false;
  private data = '';
  private eventType = '';
  private lastEventIdBuffer = '';
  private lastEventId = '';
  private ended = false;

  /** Feeds decoded text; returns the items completed by it, in stream order. */
  push(text: string): SseItem[] {
    if (this.ended) throw new Error('SseParser: push() after end()');
    const out: SseItem[] = [];
    let start = 0;
    if (!this.sawFirstChar && text.length > 0) {
      this.sawFirstChar = true;
      if (text.charCodeAt(0) === 0xfeff) start = 1;
    }
    if (this.skipLeadingLf && start < text.length) {
      if (text.charCodeAt(start) === LF) start++;
      this.skipLeadingLf = false;
    }
    let i = start;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === LF || c === CR) {
        this.line += text.slice(start, i);
        this.processLine(this.line, out);
        this.line = '';
        if (c === CR) {
          if (i + 1 < text.length) {
            if (text.charCodeAt(i + 1) === LF) i++;
          } else {
            this.skipLeadingLf = true;
          }
        }
        start = i + 1;
      }
      i++;
    }
    this.line += text.slice(start);
    return out;
  }

  /** The stream ended: an event without its terminating empty line is discarded (per spec). */
  end(): SseItem[] {
    this.ended = true;
    this.line = '';
    this.data = '';
    this.eventType = '';
    return [];
  }

  private processLine(line: string, out: SseItem[]): void {
    if (line === '') {
      this.dispatch(out);
      return;
    }
    if (line.charCodeAt(0) === 0x3a /* : */) {
      out.push({ type: 'comment', text: line.slice(1) });
      return;
    }
    const colon = line.indexOf(':');
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    }
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data += value + '\n';
        break;
      case 'id':
        if (!value.includes('\u0000')) this.lastEventIdBuffer = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) out.push({ type: 'retry', ms: Number(value) });
        break;
      default:
        // Unknown fields are ignored.
        break;
    }
  }

  private dispatch(out: SseItem[]): void {
    this.lastEventId = this.lastEventIdBuffer;
    if (this.data === '') {
      this.eventType = '';
      return;
    }
    const data = this.data.endsWith('\n') ? this.data.slice(0, -1) : this.data;
    out.push({ type: 'event', event: this.eventType === '' ? 'message' : this.eventType, data, lastEventId: this.lastEventId });
    this.data = '';
    this.eventType = '';
  }
}

/**
 * Bytes in, items out: UTF-8 decoding in streaming mode (a code point split across chunks is
 * joined; invalid sequences become U+FFFD, as the spec's "UTF-8 decode" does). The BOM is left to
 * the text parser so both entry points treat it the same way.
 */
export class SseByteParser {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  private readonly parser = new SseParser();

  push(bytes: Uint8Array): SseItem[] {
    return this.parser.push(this.decoder.decode(bytes, { stream: true }));
  }

  end(): SseItem[] {
    const rest = this.decoder.decode();
    const items = rest ? this.parser.push(rest) : [];
    return [...items, ...this.parser.end()];
  }
}

/** Parses a whole stream at once (tests, fixtures). */
export function parseSse(text: string): SseItem[] {
  const p = new SseParser();
  return [...p.push(text), ...p.end()];
}

export interface GapStats {
  count: number;
  medianMs: number | null;
  p95Ms: number | null;
  maxMs: number | null;
}

/** Median / p95 / max of the gaps between consecutive times (ms, ascending). */
export function gapStats(gaps: readonly number[]): GapStats {
  if (gaps.length === 0) return { count: 0, medianMs: null, p95Ms: null, maxMs: null };
  const sorted = [...gaps].sort((a, b) => a - b);
  return { count: gaps.length, medianMs: median(sorted), p95Ms: rank(sorted, 0.95), maxMs: sorted[sorted.length - 1] ?? null };
}

/** The median of a list of numbers (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[mid] ?? null;
  return ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function rank(sorted: readonly number[], p: number): number | null {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i] ?? null;
}
