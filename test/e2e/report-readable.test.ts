/**
 * End to end, what a person opens after an incident: the real `incident` orchestration (dist/; run
 * `npm run build`) runs three incidents on the dev host against the wire-level fakes, the built
 * `evidence export` tool copies each sealed pack to a folder (reading its storage settings from
 * local.settings.json, as the app does), and headless Chromium (Debian's package) renders the
 * exported report.html:
 *
 *   - the README's quick start: an alert whose firedDateTime is days before it reached us;
 *   - an alert that says it fired in 2019;
 *   - a full rollback: acknowledged, a person approves the rollback by link, slot swap, 30 minutes
 *     of monitoring, resolved, freeze lifted.
 *
 * For each: no chart labels overlap or leave the chart, no text overflows its box, no character is
 * drawn as the missing-glyph box (with the folded sections closed and opened), every character is
 * one that Liberation Sans and DejaVu Sans both have (what a bare Debian Chromium has), the page
 * stays within PAGE_HEIGHT_BOUND, and the time axis has at most a dozen labels, all different.
 * Without Chromium the rendering is skipped (said in the test's name) except under CI.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, PAGE_HEIGHT_BOUND, renderReportPng } from '../../src/cli/report-png.js';
import { MAX_TICKS } from '../../src/domain/report-axis.js';
import { alertFixture, withAlertId } from '../harness/alerts.js';
import { repoRoot } from '../harness/devhost.js';
import { APPROVER, MINUTE, ProductWorld, principal } from '../harness/product.js';

const chromium = existsSync(chromiumPath());
// CI installs Chromium (.ci/run), so there a missing browser is a failure, not a reason to skip.
const required = process.env.CI === 'true';
const DAY = 24 * 60 * MINUTE;

let w: ProductWorld;
let dir: string;
const exported = new Map<string, string>();

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'report-readable-'));
  // The export tool runs where a person would run it: a folder with a local.settings.json.
  w = await ProductWorld.start();
  writeFileSync(path.join(dir, 'local.settings.json'), JSON.stringify({ IsEncrypted: false, Values: { AzureWebJobsStorage: w.azurite.connectionString } }));
  expect((await w.recordLkg()).status).toBe(201);
});
afterAll(async () => {
  await w?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The built tool, with no storage setting in its environment: it must find local.settings.json. */
function exportPack(incidentId: string, name: string): { code: number | null; out: string; err: string; folder: string } {
  const folder = path.join(dir, name);
  const res = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'src', 'cli', 'evidence.js'), 'export', incidentId, folder], {
    cwd: dir,
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: res.status, out: res.stdout, err: res.stderr, folder };
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Exports the pack and checks every file against manifest.json independently of the tool. */
function exportAndCheck(incidentId: string, name: string): string {
  const r = exportPack(incidentId, name);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(r.out).toContain('Each file is checked against the SHA-256 in manifest.json as it is read, and again after it is written.');
  const manifest = JSON.parse(readFileSync(path.join(r.folder, 'manifest.json'), 'utf8')) as { artifacts: { name: string; sha256: string }[] };
  const names = manifest.artifacts.map((a) => a.name);
  expect(names).toEqual(expect.arrayContaining(['report.html', 'postmortem.md', 'timeline.json', 'incident.json', 'metrics.json']));
  expect(names.some((n) => n.startsWith('messages/'))).toBe(true);
  for (const a of manifest.artifacts) expect(sha256(path.join(r.folder, ...a.name.split('/'))), a.name).toBe(a.sha256);
  expect(r.out).toContain(`OK: ${manifest.artifacts.length + 1} file(s) in ${r.folder}, every one matching manifest.json.`);
  exported.set(name, path.join(r.folder, 'report.html'));
  return r.folder;
}

/** Tick labels of the chart's time axis, from the report's SVG. */
function tickLabels(html: string): string[] {
  return [...html.matchAll(/<text [^>]*class="tick(?: day)?"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!).filter((t) => t !== 'UTC');
}

describe('three incidents end to end, exported and read', () => {
  it("the README's quick start: an alert that fired 16 days before it reached us", async () => {
    w.reset();
    w.breakProduction();
    const doc = withAlertId(alertFixture('metric-5xx-fired.json'), 'readme', { firedDateTime: new Date(w.now() - 16 * DAY - 13 * MINUTE).toISOString() });
    const alert = await w.post('/api/alerts', doc);
    expect(alert.status).toBe(202);
    const id = alert.body.incidentId as string;
    expect((await w.post(`/api/incidents/${id}/ack`, { role: 'ic', actor: { id: 'you@contoso.example' } })).status).toBe(202);
    await w.until(id, (r) => r.runtime.customStatus?.phase === 'deciding', 'the decision');
    await w.advance(5 * MINUTE, MINUTE);
    expect((await w.post(`/api/incidents/${id}/resolve`, {})).status).toBe(202);
    await w.resolved(id);
    exportAndCheck(id, 'readme');
  });

  it('an alert that says it fired in 2019', async () => {
    w.reset();
    w.breakProduction();
    const alert = await w.post('/api/alerts', withAlertId(alertFixture('metric-5xx-fired.json'), 'y2019', { firedDateTime: '2019-03-14T08:00:00Z' }));
    expect(alert.status).toBe(202);
    const id = alert.body.incidentId as string;
    await w.until(id, (r) => r.runtime.customStatus?.phase === 'deciding', 'the decision');
    // Nobody decides: the automatic rollback, then a person resolves.
    await w.advance(12 * MINUTE, MINUTE);
    expect((await w.post(`/api/incidents/${id}/resolve`, {})).status).toBe(202);
    await w.resolved(id);
    exportAndCheck(id, 'y2019');
  });

  it('a full rollback a person approves', async () => {
    w.reset();
    w.breakProduction();
    const alert = await w.fireAlert();
    const id = alert.body.incidentId as string;
    expect((await w.post(`/api/incidents/${id}/ack`, { role: 'ic' }, principal('sam.lee@contoso.example', 'bbbbbbbb-0000-4000-8000-000000000002'))).status).toBe(202);
    await w.until(id, (r) => r.runtime.customStatus?.phase === 'deciding', 'the decision');
    const link = await w.approvalPath(id, 'Roll back API to last known good');
    const confirm = await w.host.fetch(link, {
      method: 'POST',
      headers: { accept: 'text/html', ...principal(APPROVER.upn, APPROVER.oid), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'choice=api-to-lkg',
    });
    expect(confirm.status).toBe(200);
    await w.until(id, (r) => r.runtime.customStatus?.phase === 'monitoring', 'monitoring');
    await w.advance(30 * MINUTE);
    await w.resolved(id);
    expect(w.swaps()).toBe(1);
    exportAndCheck(id, 'rollback');
  });

  it.skipIf(!chromium && !required).each(['readme', 'y2019', 'rollback'])(
    `renders %s in Chromium: no overlapping or clipped labels, no overflow, no missing glyphs, at most ${PAGE_HEIGHT_BOUND} px tall (skipped when chromium is not installed, outside CI)`,
    async (name) => {
      const html = exported.get(name);
      expect(html, `the ${name} scenario exported its pack`).toBeDefined();
      const text = readFileSync(html!, 'utf8');
      const ticks = tickLabels(text);
      expect(ticks.length).toBeGreaterThanOrEqual(2);
      expect(ticks.length).toBeLessThanOrEqual(MAX_TICKS);
      expect(new Set(ticks).size).toBe(ticks.length);
      const layout = await renderReportPng(html!, path.join(dir, `${name}.png`));
      expect(layout.overlaps).toEqual([]);
      expect(layout.clipped).toEqual([]);
      expect(layout.overflow).toEqual([]);
      expect(layout.tofu).toEqual([]);
      expect(layout.horizontalOverflow).toBe(false);
      expect(layout.unfolded).toEqual({ overlaps: [], clipped: [], overflow: [], tofu: [], horizontalOverflow: false });
      expect(layout.nonPortable).toEqual([]);
      expect(layout.height).toBeLessThanOrEqual(PAGE_HEIGHT_BOUND);
    },
  );
});
