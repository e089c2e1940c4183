/**
 * The report chart's time axis for any span from a second to decades: at most a dozen labels that
 * fit the axis, all different, in a format that fits the step; one break when a lone moment lies
 * far from the rest (a stale or future alert time), so the incident's minutes keep their room.
 * And the report's text: label widths from Arial's metrics, symbols a bare Debian machine lacks
 * drawn as pictures or code points.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseStep, contextLabel, gapLabel, MAX_TICKS, momentLabel, tickLabel, ticksOf, timeScale, type TickStep } from '../../src/domain/report-axis.js';
import { isPortable, portablePieces, portableText, textWidth } from '../../src/domain/report-text.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const at = (iso: string) => Date.parse(iso);

/** What a label of each step looks like. */
const FORMAT: Record<TickStep['unit'], RegExp> = {
  second: /^(\d{2}:\d{2}:\d{2}|\d{1,2} [A-Z][a-z]{2})$/,
  minute: /^(\d{2}:\d{2}|\d{1,2} [A-Z][a-z]{2})$/,
  hour: /^(\d{2}:\d{2}|\d{1,2} [A-Z][a-z]{2})$/,
  day: /^\d{1,2} [A-Z][a-z]{2}$/,
  week: /^\d{1,2} [A-Z][a-z]{2}$/,
  month: /^([A-Z][a-z]{2}( \d{4})?|\d{4})$/,
  year: /^\d{4}$/,
};

describe('the time axis', () => {
  it('for any span from a second to 80 years and any axis width: at most a dozen ticks that fit, labels in the step\'s format that never repeat within a day, a date at midnight', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: at('1990-01-01T00:00:00Z'), max: at('2060-01-01T00:00:00Z') }),
        fc.double({ min: 0, max: Math.log10(80 * 365 * DAY / 1000), noNaN: true }),
        fc.integer({ min: 120, max: 900 }),
        (t0, logSpan, width) => {
          const t1 = t0 + Math.round(10 ** logSpan * 1000);
          const step = chooseStep(t0, t1, width);
          const ticks = ticksOf(t0, t1, step);
          expect(ticks.length).toBeLessThanOrEqual(MAX_TICKS);
          const labels = ticks.map((t) => tickLabel(t, step));
          // Distinct: under a day, a time of day comes round again only after a tick that shows the
          // new date (midnight), so each label is distinct within its day; coarser labels always.
          const keys = labels.map((l, i) => (step.ms < DAY ? `${Math.floor(ticks[i]! / DAY)} ${l}` : l));
          expect(new Set(keys).size).toBe(labels.length);
          ticks.forEach((t, i) => {
            if (step.ms < DAY && t % DAY === 0) expect(labels[i]).toMatch(/^\d{1,2} [A-Z][a-z]{2}$/);
          });
          for (const l of labels) expect(l).toMatch(FORMAT[step.unit]);
          // Labels never collide: spacing between ticks is at least the widest label.
          const px = (t: number) => ((t - t0) / Math.max(t1 - t0, 1)) * width;
          for (let i = 1; i < ticks.length; i++) expect(px(ticks[i]!) - px(ticks[i - 1]!)).toBeGreaterThanOrEqual(Math.max(textWidth(labels[i]!, 12), textWidth(labels[i - 1]!, 12)));
          // Ticks fall on their unit's boundaries.
          for (const t of ticks) expect(t % (step.unit === 'second' ? 1000 : MIN)).toBe(0);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('picks times for minutes and hours, dates for days, months and years beyond; a midnight tick shows the date, not "00:00"', () => {
    const w = 900;
    const cases: [string, string, string, string[]][] = [
      ['2026-11-20T10:16:00Z', '2026-11-20T10:16:40Z', 'second', ['10:16:05', '10:16:10']],
      ['2026-11-20T10:16:00Z', '2026-11-20T10:46:00Z', 'minute', ['10:20', '10:25']],
      ['2026-11-20T18:00:00Z', '2026-11-21T06:00:00Z', 'hour', ['20:00', '22:00', '21 Nov', '02:00']],
      ['2026-11-04T10:03:00Z', '2026-11-20T10:31:00Z', 'day', ['5 Nov', '7 Nov']],
      ['2026-01-10T00:00:00Z', '2026-09-01T00:00:00Z', 'month', ['Feb', 'Mar']],
      ['2025-06-01T00:00:00Z', '2027-03-01T00:00:00Z', 'month', ['Jan 2026', 'Mar 2026']],
      ['2019-03-14T08:00:00Z', '2026-11-20T10:31:00Z', 'year', ['2020', '2021']],
    ];
    for (const [a, b, unit, expected] of cases) {
      const step = chooseStep(at(a), at(b), w);
      expect(step.unit, `${a} to ${b}`).toBe(unit);
      const labels = ticksOf(at(a), at(b), step).map((t) => tickLabel(t, step));
      expect(labels, `${a} to ${b}`).toEqual(expect.arrayContaining(expected));
      expect(labels).not.toContain('00:00');
    }
    // What the quick start's alert gave before: a 16-day span drawn as 17 ticks all reading "00:00".
    const step = chooseStep(at('2026-11-04T10:03:00Z'), at('2026-11-20T10:31:00Z'), 932);
    expect(ticksOf(at('2026-11-04T10:03:00Z'), at('2026-11-20T10:31:00Z'), step).length).toBeLessThanOrEqual(MAX_TICKS);
    expect(contextLabel(at('2026-11-20T10:16:00Z'), chooseStep(at('2026-11-20T10:16:00Z'), at('2026-11-20T10:46:00Z'), w))).toBe('Fri 20 Nov 2026');
  });

  it('breaks the axis once when a lone moment lies far from the rest: days before (a stale alert), years before, or after (a future one)', () => {
    const incident = [at('2026-11-20T10:16:00Z'), at('2026-11-20T10:21:00Z'), at('2026-11-20T10:46:00Z')];
    for (const lone of [at('2026-11-04T10:03:00Z'), at('2019-03-14T08:00:00Z'), at('2031-01-01T00:00:00Z')]) {
      const sc = timeScale([lone, ...incident], 236, 1136);
      expect(sc.segments).toHaveLength(2);
      expect(sc.breaks).toHaveLength(1);
      const [a, b] = [sc.segments[0]!, sc.segments[1]!];
      // The incident's half hour gets most of the width; the lone moment its own stretch.
      const wide = lone < incident[0]! ? b : a;
      expect(wide.x1 - wide.x0).toBeGreaterThan(600);
      // Order is kept and every moment is drawn inside the axis.
      const xs = [lone, ...incident].sort((p, q) => p - q).map(sc.x);
      for (let i = 1; i < xs.length; i++) expect(xs[i]!).toBeGreaterThan(xs[i - 1]!);
      for (const x of xs) expect(x >= 236 && x <= 1136).toBe(true);
      // The incident's minutes are minutes apart on the page, not squeezed together.
      expect(sc.x(incident[1]!) - sc.x(incident[0]!)).toBeGreaterThan(100);
    }
    // An ordinary incident (detected a minute before it was declared) is not broken.
    expect(timeScale([at('2026-11-20T10:15:00Z'), ...incident], 236, 1136).breaks).toEqual([]);
    // A single moment still gets an axis a minute wide.
    const one = timeScale([at('2026-11-20T10:16:00Z')], 236, 1136);
    expect(one.segments[0]!.t1 - one.segments[0]!.t0).toBeGreaterThanOrEqual(MIN);
    expect(gapLabel(16 * DAY)).toBe('16 days');
    expect(gapLabel(7.7 * 365 * DAY)).toBe('8 years');
  });

  it('says a moment\'s time as short as it can without being ambiguous', () => {
    const ref = at('2026-11-20T10:16:00Z');
    expect(momentLabel(at('2026-11-20T10:21:30Z'), ref)).toBe('10:21');
    expect(momentLabel(at('2026-11-20T10:21:30Z'), ref, true)).toBe('10:21:30');
    expect(momentLabel(at('2026-11-21T00:12:00Z'), ref)).toBe('21 Nov 00:12');
    expect(momentLabel(at('2019-03-14T08:00:00Z'), ref)).toBe('14 Mar 2019 08:00');
  });
});

describe('report text', () => {
  it('measures labels with Arial\'s metrics (what Liberation Sans and Helvetica share)', () => {
    expect(textWidth('Ab 10:16', 12, true)).toBeCloseTo((12 * (722 + 611 + 278 + 556 * 4 + 333)) / 1000, 6);
    expect(textWidth('il', 10)).toBeCloseTo(4.44, 6);
    // Beyond ASCII: a full em, more than any such character needs.
    expect(textWidth('→', 10)).toBe(10);
  });

  it('draws symbols a bare Debian machine has no glyph for as named pictures, unknown ones as their code point, and keeps letters of every script', () => {
    expect(portablePieces('🚨 P1 INCIDENT — Prod. Health/Ready ✅, SSE ❌ ⚠️ 👍🏽 李 Zoë')).toEqual([
      { kind: 'symbol', name: 'alert', char: '🚨' },
      { kind: 'text', text: ' P1 INCIDENT — Prod. Health/Ready ' },
      { kind: 'symbol', name: 'ok', char: '✅' },
      { kind: 'text', text: ', SSE ' },
      { kind: 'symbol', name: 'fail', char: '❌' },
      { kind: 'text', text: ' ' },
      { kind: 'symbol', name: 'warn', char: '⚠' },
      { kind: 'text', text: ' ' },
      { kind: 'codepoint', label: 'U+1F44D' },
      { kind: 'text', text: ' 李 Zoë' },
    ]);
    expect(portableText('✅ RESOLVED 👩‍💻')).toBe('[ok] RESOLVED (U+1F469)(U+1F4BB)');
    // What the report itself writes beyond ASCII is in both fonts.
    for (const ch of '→·—…–’“”«»é') expect(isPortable(ch.codePointAt(0)!), ch).toBe(true);
    for (const ch of '✅❌🚨⏱⏪↩⚖✓') expect(isPortable(ch.codePointAt(0)!), ch).toBe(false);
  });
});
