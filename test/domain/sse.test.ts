/** The SSE parser against the WHATWG interpretation rules, and chunking invariance by property. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gapStats, median, parseSse, SseByteParser, SseParser, type SseItem } from '../../src/domain/sse.js';

const events = (items: SseItem[]) => items.filter((i) => i.type === 'event');

describe('SseParser: the specification examples', () => {
  it('joins multi-line data with LF and types it "message"', () => {
    expect(parseSse('data: YHOO\ndata: +2\ndata: 10\n\n')).toEqual([{ type: 'event', event: 'message', data: 'YHOO\n+2\n10', lastEventId: '' }]);
  });

  it('keeps the last event id across events, resets it with an empty id, removes only one leading space', () => {
    const items = parseSse(': test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n');
    expect(items[0]).toEqual({ type: 'comment', text: ' test stream' });
    expect(events(items)).toEqual([
      { type: 'event', event: 'message', data: 'first event', lastEventId: '1' },
      { type: 'event', event: 'message', data: 'second event', lastEventId: '' },
      { type: 'event', event: 'message', data: ' third event', lastEventId: '' },
    ]);
  });

  it('dispatches empty data, "data" without a colon, and discards an unterminated event at the end', () => {
    expect(events(parseSse('data\n\ndata\ndata\n\ndata:'))).toEqual([
      { type: 'event', event: 'message', data: '', lastEventId: '' },
      { type: 'event', event: 'message', data: '\n', lastEventId: '' },
    ]);
  });

  it('treats "data:test" and "data: test" alike', () => {
    expect(events(parseSse('data:test\n\ndata: test\n\n')).map((e) => e.type === 'event' && e.data)).toEqual(['test', 'test']);
  });

  it('does not dispatch a block without data, but an id in it still counts', () => {
    expect(events(parseSse('id: 7\nevent: ping\n\ndata: x\n\n'))).toEqual([{ type: 'event', event: 'message', data: 'x', lastEventId: '7' }]);
  });

  it('uses the event field for the type and resets it after dispatch', () => {
    expect(events(parseSse('event: heartbeat\ndata: 1\n\ndata: 2\n\n')).map((e) => e.type === 'event' && e.event)).toEqual(['heartbeat', 'message']);
  });

  it('ignores an id containing NUL and unknown fields', () => {
    expect(events(parseSse('id: 1\n\nid: a\u0000b\nfoo: bar\ndata: x\n\n'))).toEqual([{ type: 'event', event: 'message', data: 'x', lastEventId: '1' }]);
  });

  it('accepts retry with ASCII digits only', () => {
    expect(parseSse('retry: 3000\nretry: 10s\nretry: -1\nretry:\n\n')).toEqual([{ type: 'retry', ms: 3000 }]);
  });

  it('understands CRLF, CR and LF line endings, mixed', () => {
    expect(events(parseSse('data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r'))).toEqual([
      { type: 'event', event: 'message', data: 'a\nb\nc', lastEventId: '' },
      { type: 'event', event: 'message', data: 'd', lastEventId: '' },
    ]);
  });

  it('strips one leading BOM only', () => {
    expect(events(parseSse('\uFEFFdata: a\n\n'))).toEqual([{ type: 'event', event: 'message', data: 'a', lastEventId: '' }]);
    // A second BOM is part of the first line's field name, which makes it an unknown field.
    expect(events(parseSse('\uFEFF\uFEFFdata: a\n\n'))).toEqual([]);
  });

  it('treats a CR at the end of one chunk and an LF at the start of the next as one line break', () => {
    const p = new SseParser();
    const out = [...p.push('data: a\r'), ...p.push('\ndata: b\r'), ...p.push('\n\r'), ...p.push('\n')];
    expect(events(out)).toEqual([{ type: 'event', event: 'message', data: 'a\nb', lastEventId: '' }]);
  });

  it('decodes UTF-8 split across byte chunks, with the BOM as bytes', () => {
    const bytes = new TextEncoder().encode('\uFEFFdata: h\u00e9llo \u{1F600}\n\n');
    const p = new SseByteParser();
    const out: SseItem[] = [];
    for (const b of bytes) out.push(...p.push(Uint8Array.of(b)));
    out.push(...p.end());
    expect(out).toEqual([{ type: 'event', event: 'message', data: 'h\u00e9llo \u{1F600}', lastEventId: '' }]);
    // As with text, only one BOM is removed.
    const twice = new SseByteParser();
    expect([...twice.push(new TextEncoder().encode('\uFEFF\uFEFFdata: a\n\n')), ...twice.end()]).toEqual([]);
  });

  it('refuses input after end()', () => {
    const p = new SseParser();
    p.end();
    expect(() => p.push('data: x\n\n')).toThrow(/after end/);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

/** Text built from the pieces that matter to the parser: line breaks, colons, spaces, BOM, NUL, non-ASCII. */
const streamText = fc
  .array(
    fc.constantFrom(
      'data',
      'data:',
      'data: ',
      'event:',
      'id:',
      'id',
      'retry:',
      '100',
      'x',
      ' ',
      ':',
      '\n',
      '\r',
      '\r\n',
      '\n\n',
      '\uFEFF',
      '\u0000',
      '\u00e9',
      '\u{1F600}',
      'heartbeat',
    ),
    { maxLength: 80 },
  )
  .map((parts) => parts.join(''));

function splitAt<T extends { length: number; slice(a: number, b?: number): T }>(whole: T, cuts: number[]): T[] {
  const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
  const out: T[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(whole.slice(prev, p));
    prev = p;
  }
  out.push(whole.slice(prev));
  return out;
}

describe('SseParser: properties', () => {
  it('chunking the text arbitrarily never changes the items', () => {
    fc.assert(
      fc.property(streamText, fc.array(fc.nat(), { maxLength: 20 }), (text, cuts) => {
        const whole = parseSse(text);
        const p = new SseParser();
        const chunked: SseItem[] = [];
        for (const piece of splitAt(text, cuts)) chunked.push(...p.push(piece));
        chunked.push(...p.end());
        expect(chunked).toEqual(whole);
      }),
      { numRuns: 500 },
    );
  });

  it('chunking the bytes arbitrarily (through multi-byte characters) never changes the items', () => {
    fc.assert(
      fc.property(streamText, fc.array(fc.nat(), { maxLength: 20 }), (text, cuts) => {
        const bytes = new TextEncoder().encode(text);
        // The byte parser sees the stream as UTF-8 decoding does: one leading BOM is removed.
        const whole = parseSse(text);
        const p = new SseByteParser();
        const chunked: SseItem[] = [];
        for (const piece of splitAt(bytes, cuts)) chunked.push(...p.push(piece));
        chunked.push(...p.end());
        expect(chunked).toEqual(whole);
      }),
      { numRuns: 500 },
    );
  });

  const fieldText = fc.string({ maxLength: 12 }).filter((s) => !/[\r\n]/.test(s) && !s.includes('\u0000'));
  const modelEvent = fc.record({
    event: fc.option(fieldText.filter((s) => s !== ''), { nil: undefined }),
    data: fc.array(fieldText, { minLength: 1, maxLength: 4 }),
    id: fc.option(fieldText, { nil: undefined }),
    comment: fc.option(fieldText, { nil: undefined }),
  });
  const eol = fc.constantFrom('\n', '\r', '\r\n');

  it('parses back what a server serialised, whatever the line endings', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(modelEvent, eol), { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 10 }), (list, cuts) => {
        let text = '';
        let lastId = '';
        const expected: SseItem[] = [];
        for (const [e, nl] of list) {
          if (e.comment !== undefined) text += `:${e.comment}${nl}`;
          if (e.event !== undefined) text += `event: ${e.event}${nl}`;
          for (const line of e.data) text += `data: ${line}${nl}`;
          if (e.id !== undefined) {
            text += `id: ${e.id}${nl}`;
            lastId = e.id;
          }
          text += nl;
          if (e.comment !== undefined) expected.push({ type: 'comment', text: e.comment });
          expected.push({ type: 'event', event: e.event ?? 'message', data: e.data.join('\n'), lastEventId: lastId });
        }
        const p = new SseParser();
        const got: SseItem[] = [];
        for (const piece of splitAt(text, cuts)) got.push(...p.push(piece));
        got.push(...p.end());
        expect(got).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('gap statistics', () => {
  it('reports median, p95 and max', () => {
    expect(gapStats([])).toEqual({ count: 0, medianMs: null, p95Ms: null, maxMs: null });
    expect(gapStats([100, 100, 1500, 100])).toEqual({ count: 4, medianMs: 100, p95Ms: 1500, maxMs: 1500 });
    expect(median([3, 1, 2, 10])).toBe(2.5);
    expect(median([5])).toBe(5);
  });
});
