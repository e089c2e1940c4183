/**
 * Text in the incident report as a browser will draw it: how wide a label is (so the chart can
 * place labels that neither overlap nor run off the page), and which characters every reader's
 * fonts have (so nothing renders as an empty box). Pure.
 *
 * Fonts. The chart's labels are set in Arial, whose metrics Liberation Sans (Linux) and Helvetica
 * (macOS) share, so `textWidth` is exact wherever one of them is installed. A fresh Debian machine
 * with only the `chromium` package has Liberation Sans (recommended by chromium-common) and DejaVu
 * Sans (fontconfig's first choice) and no emoji font: an emoji such as the Teams messages' "🚨" or
 * "✅" draws as an empty box there. So the report draws characters outside what both of those fonts
 * cover (PORTABLE below) as small inline SVG symbols when it knows them, and as their code point
 * ("U+1F44D") otherwise, never as a glyph the reader's machine may not have. Letters and digits of
 * other scripts are left alone: a person's name must stay their name.
 */

/** Advance widths (per 1000 units of the em) of Arial / Liberation Sans / Helvetica, characters 32-126. */
const ARIAL: readonly number[] = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722,
  722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556,
  556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
const ARIAL_BOLD: readonly number[] = [
  278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722,
  722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611,
  611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

/** The font stack of the chart's text: Arial's metrics on every platform that has one of these. */
export const CHART_FONT = "Arial, 'Liberation Sans', Helvetica, 'DejaVu Sans', sans-serif";

/**
 * Width in CSS pixels of `text` set at `size` px in the chart font. Characters beyond ASCII count
 * as a full em (wider than any of them really is), so an estimate errs towards more room.
 */
export function textWidth(text: string, size: number, bold = false): number {
  const table = bold ? ARIAL_BOLD : ARIAL;
  let units = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    units += c >= 32 && c <= 126 ? table[c - 32]! : 1000;
  }
  return (units / 1000) * size;
}

/**
 * Code points (beyond ASCII) that both Liberation Sans 1.07 and DejaVu Sans 2.37 cover, in their
 * regular and bold faces, and Liberation Mono and DejaVu Sans Mono too: the intersection of
 * `fc-query -f '%{charset}'` of those files (WGL4, mostly). Ranges are inclusive.
 */
const PORTABLE_RANGES =
  'a0-17f 192 1fc-1ff 218-21b 2c6-2c7 2c9 2d8-2dd 37e 384-38a 38c 38e-3a1 3a3-3ce 400-45f 490-491 1e80-1e85 1ef2-1ef3 2010-2011 2013-2015 2017-201e 2020-2022 2026 2030 ' +
  '2032-2033 2039-203a 203c 203e 207f 20a3-20a4 20a7 20ac 2105 2116 2122 2126 212e 215b-215e 2190-2195 21a8 2202 2206 220f 2211-2212 2215 2219-221a 221e-221f 2229 222b 2248 ' +
  '2260-2261 2264-2265 2302 2310 2320-2321 2500 2502 250c 2510 2514 2518 251c 2524 252c 2534 253c 2550-256c 2580 2584 2588 258c 2590-2593 25a0-25a1 25aa-25ac 25b2 25ba 25bc ' +
  '25c4 25ca-25cb 25cf 25d8-25d9 25e6 263a-263c 2640 2642 2660 2663 2665-2666 266a-266c fb01-fb02';

const PORTABLE: readonly [number, number][] = PORTABLE_RANGES.split(' ').map((r) => {
  const [a, b] = r.split('-');
  return [parseInt(a!, 16), parseInt(b ?? a!, 16)];
});

/** Printable ASCII, the tab and line breaks, or a code point in PORTABLE. */
export function isPortable(codePoint: number): boolean {
  if ((codePoint >= 0x20 && codePoint <= 0x7e) || codePoint === 0x09 || codePoint === 0x0a || codePoint === 0x0d) return true;
  for (const [a, b] of PORTABLE) {
    if (codePoint < a) return false;
    if (codePoint <= b) return true;
  }
  return false;
}

/** Variation selectors, joiners and skin-tone modifiers: parts of emoji sequences, drawn as nothing. */
function isEmojiPart(c: number): boolean {
  return (c >= 0xfe00 && c <= 0xfe0f) || c === 0x200d || c === 0x20e3 || (c >= 0x1f3fb && c <= 0x1f3ff) || (c >= 0xe0020 && c <= 0xe007f);
}

const LETTER_OR_DIGIT = /^[\p{L}\p{M}\p{N}]$/u;

export type SymbolName = 'ok' | 'fail' | 'warn' | 'alert' | 'info' | 'note' | 'freeze' | 'decide' | 'timer' | 'back' | 'dot-red' | 'dot-amber' | 'dot-green';

/** The symbols the runbook's messages use (and a few common ones), by what they mean. */
const KNOWN: Record<string, SymbolName> = {
  '✅': 'ok',
  '✔': 'ok',
  '✓': 'ok',
  '☑': 'ok',
  '❌': 'fail',
  '✗': 'fail',
  '✘': 'fail',
  '✖': 'fail',
  '❎': 'fail',
  '⚠': 'warn',
  '🚨': 'alert',
  '❗': 'alert',
  '📣': 'info',
  '📢': 'info',
  'ℹ': 'info',
  '📝': 'note',
  '🧊': 'freeze',
  '❄': 'freeze',
  '⚖': 'decide',
  '⏱': 'timer',
  '⏰': 'timer',
  '⌛': 'timer',
  '⏳': 'timer',
  '⏪': 'back',
  '↩': 'back',
  '🔙': 'back',
  '🔴': 'dot-red',
  '🟠': 'dot-amber',
  '🟡': 'dot-amber',
  '🟢': 'dot-green',
};

/** Words for the symbols where no picture can go (SVG text, plain text). */
const WORD: Record<SymbolName, string> = {
  ok: '[ok]',
  fail: '[x]',
  warn: '[!]',
  alert: '[!]',
  info: '[i]',
  note: '',
  freeze: '',
  decide: '',
  timer: '',
  back: '',
  'dot-red': '[red]',
  'dot-amber': '[amber]',
  'dot-green': '[green]',
};

export type TextPiece = { kind: 'text'; text: string } | { kind: 'symbol'; name: SymbolName; char: string } | { kind: 'codepoint'; label: string };

/**
 * Splits text into what the reader's fonts draw, known symbols and unknown ones. Letters and
 * digits of any script stay text; emoji sequence parts (variation selectors, joiners) are dropped.
 */
export function portablePieces(text: string): TextPiece[] {
  const out: TextPiece[] = [];
  let run = '';
  const flush = () => {
    if (run) out.push({ kind: 'text', text: run });
    run = '';
  };
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    // Before the letters: variation selectors are marks (\p{M}) too.
    if (isEmojiPart(c)) continue;
    if (isPortable(c) || LETTER_OR_DIGIT.test(ch)) {
      run += ch;
      continue;
    }
    flush();
    const known = KNOWN[ch];
    out.push(known ? { kind: 'symbol', name: known, char: ch } : { kind: 'codepoint', label: `U+${c.toString(16).toUpperCase().padStart(4, '0')}` });
  }
  flush();
  return out;
}

/** The text with every non-portable symbol as a word or its code point (for SVG labels). */
export function portableText(text: string): string {
  return portablePieces(text)
    .map((p) => (p.kind === 'text' ? p.text : p.kind === 'symbol' ? WORD[p.name] : `(${p.label})`))
    .join('')
    .replace(/ {2,}/g, ' ')
    .trim();
}
