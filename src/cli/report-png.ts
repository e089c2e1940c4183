#!/usr/bin/env node
/**
 * `npm run report:png -- <report.html> <out.png>`: renders an incident report in headless
 * Chromium (Debian's package, /usr/bin/chromium, or CHROMIUM_PATH) and saves a full-page PNG, so
 * the report's look is checked rather than assumed. Also reports layout problems a reader would
 * trip over: chart labels that overlap, text that runs outside the chart, a page wider than the
 * window. A development tool: playwright-core is a dev dependency.
 *
 * Exit codes: 0 rendered (layout problems are printed as warnings), 2 usage error or Chromium
 * missing, 1 rendering failed.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isPortable } from '../domain/report-text.js';
import { errorText } from '../domain/errors.js';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** Chromium flags for a sandbox-less, offline, quiet headless run (CI containers, this dev box). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CHROMIUM_PATH?.trim() || DEFAULT_CHROMIUM;
}

export class ChromiumMissingError extends Error {
  override name = 'ChromiumMissingError';
}

/** What a reader would trip over, found in the rendered page. */
export interface LayoutProblems {
  /** Pairs of SVG text labels whose boxes intersect. */
  overlaps: string[];
  /** SVG text that extends outside the chart's drawing area. */
  clipped: string[];
  /** HTML text wider (or taller) than its box: cut off, or spilling onto what is next to it. */
  overflow: string[];
  /**
   * Characters drawn as the font's "missing glyph" box (tofu): each is drawn on a canvas in its
   * element's font and compared, pixel for pixel, with a character no font has (U+10FFFD).
   */
  tofu: string[];
  /** True when the page is wider than the window (a horizontal scroll bar). */
  horizontalOverflow: boolean;
}

export interface LayoutReport extends LayoutProblems {
  width: number;
  /** Height of the page as it opens (folded sections closed), CSS px. */
  height: number;
  /** Every distinct character of the page's text (folded parts included). */
  characters: string[];
  /** Characters outside what Liberation Sans and DejaVu Sans both cover, other than letters and digits (see report-text.ts). */
  nonPortable: string[];
  /** The same checks with every folded section (<details>) opened. */
  unfolded: LayoutProblems;
}

/** The report is meant to stay within this height (CSS px, 1280 px wide, folded sections closed). */
export const PAGE_HEIGHT_BOUND = 5_500;

export interface RenderOptions {
  executablePath?: string;
  width?: number;
  /** Device scale factor (2 gives a crisp PNG for reading). */
  scale?: number;
  timeoutMs?: number;
}

/**
 * Runs in the page (a string: this project compiles without the DOM library). Measures every SVG
 * text box (overlapping pairs, boxes outside their SVG), every HTML box whose content does not fit
 * it, every character's glyph (tofu), and whether the page scrolls sideways.
 */
const LAYOUT_CHECK = `(() => {
  // What a closed <details> holds is not on the page (asking the browser for its boxes is slow).
  const folded = new Set();
  for (const d of document.querySelectorAll('details:not([open])')) for (const c of d.children) if (c.tagName !== 'SUMMARY') folded.add(c);
  const shown = (el) => { for (let e = el; e; e = e.parentElement) if (folded.has(e)) return false; return true; };
  const boxes = [...document.querySelectorAll('svg text')].filter(shown).map((el) => ({ text: (el.textContent || '').trim(), r: el.getBoundingClientRect(), svg: el.closest('svg').getBoundingClientRect() }));
  const overlaps = [];
  const clipped = [];
  for (let i = 0; i < boxes.length; i++) {
    const a = boxes[i];
    if (a.r.left < a.svg.left - 0.5 || a.r.right > a.svg.right + 0.5 || a.r.top < a.svg.top - 0.5 || a.r.bottom > a.svg.bottom + 0.5) clipped.push(a.text);
    for (let j = i + 1; j < boxes.length; j++) {
      const b = boxes[j];
      const ix = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
      const iy = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
      if (ix > -2 && iy > 1) overlaps.push('"' + a.text + '" / "' + b.text + '"');
    }
  }
  const describe = (el) => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' "' + (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60) + '"';
  const overflow = [];
  for (const el of document.querySelectorAll('body *:not(svg, svg *)')) {
    if (!shown(el)) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'inline' || cs.display === 'contents') continue;
    const wide = el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0;
    const tall = cs.overflowY !== 'visible' && el.scrollHeight > el.clientHeight + 1;
    if (wide || tall || (cs.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth)) overflow.push(describe(el) + (wide ? ' is ' + el.scrollWidth + ' px wide in ' + el.clientWidth : ' is cut off'));
  }
  // Tofu: a character whose drawing in its element's font equals the drawing of U+10FFFD, which no
  // font has, is drawn as the missing-glyph box. Folded text counts too (a reader may open it).
  const canvas = document.createElement('canvas');
  canvas.width = 72; canvas.height = 72;
  const g = canvas.getContext('2d', { willReadFrequently: true });
  const draw = (ch, font) => { g.clearRect(0, 0, 72, 72); g.font = font; g.textBaseline = 'middle'; g.fillStyle = '#000'; g.fillText(ch, 6, 36); const d = g.getImageData(0, 0, 72, 72).data; let s = ''; for (let i = 3; i < d.length; i += 4) s += String.fromCharCode(d[i]); return s; };
  const missing = new Map();
  const tofu = [];
  const characters = new Set();
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest('title, style, script')) continue;
    const cs = getComputedStyle(el);
    const font = cs.fontStyle + ' ' + cs.fontWeight + ' 48px ' + cs.fontFamily;
    for (const ch of node.data) {
      if (/\\s/.test(ch) || /[\u200b-\u200d\u2060\ufe00-\ufe0f]/.test(ch)) continue;
      characters.add(ch);
      const key = font + '|' + ch;
      if (seen.has(key)) continue;
      seen.add(key);
      if (!missing.has(font)) missing.set(font, draw('\u{10FFFD}', font));
      if (draw(ch, font) === missing.get(font)) tofu.push('U+' + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, '0') + ' ' + JSON.stringify(ch) + ' in ' + describe(el) + ' (' + cs.fontFamily + ')');
    }
  }
  const width = document.documentElement.scrollWidth;
  return { width, height: document.documentElement.scrollHeight, overlaps, clipped, overflow, tofu, characters: [...characters], horizontalOverflow: width > window.innerWidth };
})()`;

interface PageCheck extends LayoutProblems {
  width: number;
  height: number;
  characters: string[];
}

const LETTER_OR_DIGIT = /^[\p{L}\p{M}\p{N}]$/u;

/** Renders `htmlFile` to `pngFile` (full page) and returns what the layout check found. */
export async function renderReportPng(htmlFile: string, pngFile: string, options: RenderOptions = {}): Promise<LayoutReport> {
  const executablePath = options.executablePath ?? chromiumPath();
  if (!existsSync(executablePath)) {
    throw new ChromiumMissingError(
      `Chromium is not installed at ${executablePath}. Install it (Debian/Ubuntu: apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary.`,
    );
  }
  // Loaded here: playwright-core is a dev dependency and this is a dev tool.
  const { chromium } = await import('playwright-core');
  const timeout = options.timeoutMs ?? 30_000;
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true, timeout });
  try {
    const page = await browser.newPage({ viewport: { width: options.width ?? 1280, height: 900 }, deviceScaleFactor: options.scale ?? 1 });
    page.setDefaultTimeout(timeout);
    // Nothing but the file itself: the report must be self-contained.
    await page.route(/^(?!file:)/, (route) => route.abort());
    await page.goto(pathToFileURL(path.resolve(htmlFile)).toString(), { waitUntil: 'load' });
    const folded = await page.evaluate<PageCheck>(LAYOUT_CHECK);
    await page.screenshot({ path: pngFile, fullPage: true });
    await page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })");
    const open = await page.evaluate<PageCheck>(LAYOUT_CHECK);
    const characters = [...new Set([...folded.characters, ...open.characters])].sort();
    return {
      ...folded,
      characters,
      nonPortable: characters.filter((c) => !isPortable(c.codePointAt(0)!) && !LETTER_OR_DIGIT.test(c)),
      unfolded: { overlaps: open.overlaps, clipped: open.clipped, overflow: open.overflow, tofu: open.tofu, horizontalOverflow: open.horizontalOverflow },
    };
  } finally {
    await browser.close();
  }
}

/** At most this many lines of one kind of problem are printed (a broken chart can have thousands). */
const MAX_LINES = 12;

/** One line per problem, at most MAX_LINES of each kind and a count of the rest. */
export function describeProblems(layout: LayoutReport): string[] {
  const out: string[] = [];
  const kind = (what: string, items: readonly string[]) => {
    for (const item of items.slice(0, MAX_LINES)) out.push(`${what}: ${item}`);
    if (items.length > MAX_LINES) out.push(`${what}: and ${items.length - MAX_LINES} more`);
  };
  for (const [prefix, p] of [
    ['', layout],
    ['(folded sections open) ', layout.unfolded],
  ] as const) {
    kind(`${prefix}overlapping chart labels`, p.overlaps);
    kind(`${prefix}chart label outside the chart`, p.clipped);
    kind(`${prefix}text that does not fit its box`, p.overflow);
    kind(`${prefix}missing glyph (drawn as an empty box)`, p.tofu);
    if (p.horizontalOverflow) out.push(`${prefix}the page is wider than the window`);
  }
  kind('character other fonts may lack (outside Liberation Sans and DejaVu Sans)', layout.nonPortable);
  return out;
}

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

export async function reportPngMain(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  // npm runs scripts in the package's folder; relative paths mean the folder the command was typed in.
  const base = env.INIT_CWD ?? process.cwd();
  const [htmlArg, pngArg] = argv.filter((a) => !a.startsWith('--'));
  if (!htmlArg || !pngArg) {
    io.err('Usage: npm run report:png -- <report.html> <out.png> [--hidpi]\n');
    return 2;
  }
  const [html, png] = [path.resolve(base, htmlArg), path.resolve(base, pngArg)];
  if (!existsSync(html)) {
    io.err(`No such file: ${html}\n`);
    return 2;
  }
  try {
    const layout = await renderReportPng(html, png, { scale: argv.includes('--hidpi') ? 2 : 1, executablePath: chromiumPath(env) });
    io.out(`Rendered ${html} -> ${png} (${layout.width}x${layout.height} CSS px${layout.height > PAGE_HEIGHT_BOUND ? `, taller than the ${PAGE_HEIGHT_BOUND} px a report should be` : ''})\n`);
    const problems = describeProblems(layout);
    for (const line of problems) io.out(`  ! ${line}\n`);
    if (problems.length === 0) io.out('  No overlapping or clipped labels, no text outside its box, no missing glyphs (folded sections open or closed).\n');
    return 0;
  } catch (err) {
    if (err instanceof ChromiumMissingError) {
      io.err(`${err.message}\n`);
      return 2;
    }
    io.err(`Rendering failed: ${errorText(err)}\n`);
    return 1;
  }
}

if (require.main === module) {
  void reportPngMain(process.argv.slice(2), process.env, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }).then((code) => (process.exitCode = code));
}
