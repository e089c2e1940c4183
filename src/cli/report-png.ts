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

export interface LayoutReport {
  width: number;
  height: number;
  /** Pairs of SVG text labels whose boxes intersect. */
  overlaps: string[];
  /** SVG text that extends outside the chart's drawing area. */
  clipped: string[];
  /** True when the page is wider than the window (a horizontal scroll bar). */
  horizontalOverflow: boolean;
}

export interface RenderOptions {
  executablePath?: string;
  width?: number;
  /** Device scale factor (2 gives a crisp PNG for reading). */
  scale?: number;
  timeoutMs?: number;
}

/**
 * Runs in the page (a string: this project compiles without the DOM library). Measures every SVG
 * text box: overlapping pairs and boxes outside their SVG; and whether the page scrolls sideways.
 */
const LAYOUT_CHECK = `(() => {
  const boxes = [...document.querySelectorAll('svg text')].map((el) => ({ text: (el.textContent || '').trim(), r: el.getBoundingClientRect(), svg: el.closest('svg').getBoundingClientRect() }));
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
  const width = document.documentElement.scrollWidth;
  return { width, height: document.documentElement.scrollHeight, overlaps, clipped, horizontalOverflow: width > window.innerWidth };
})()`;

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
    const layout = await page.evaluate<LayoutReport>(LAYOUT_CHECK);
    await page.screenshot({ path: pngFile, fullPage: true });
    return layout;
  } finally {
    await browser.close();
  }
}

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

export async function reportPngMain(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const [html, png] = argv.filter((a) => !a.startsWith('--'));
  if (!html || !png) {
    io.err('Usage: npm run report:png -- <report.html> <out.png> [--hidpi]\n');
    return 2;
  }
  if (!existsSync(html)) {
    io.err(`No such file: ${html}\n`);
    return 2;
  }
  try {
    const layout = await renderReportPng(html, png, { scale: argv.includes('--hidpi') ? 2 : 1, executablePath: chromiumPath(env) });
    io.out(`Rendered ${html} -> ${png} (${layout.width}x${layout.height} CSS px)\n`);
    for (const o of layout.overlaps) io.out(`  ! overlapping chart labels: ${o}\n`);
    for (const c of layout.clipped) io.out(`  ! chart label outside the chart: "${c}"\n`);
    if (layout.horizontalOverflow) io.out('  ! the page is wider than the window\n');
    return 0;
  } catch (err) {
    if (err instanceof ChromiumMissingError) {
      io.err(`${err.message}\n`);
      return 2;
    }
    io.err(`Rendering failed: ${(err as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  void reportPngMain(process.argv.slice(2), process.env, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }).then((code) => (process.exitCode = code));
}
