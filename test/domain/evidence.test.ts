/**
 * The evidence model and its renderings, pure: layout and tags, the manifest comparison, metrics
 * and phases, the postmortem draft (RB-03 section 11) and the HTML report, with hostile incident
 * text that must stay text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkArtifacts, MAX_EVIDENCE_INPUT_BYTES, writeArtifacts } from '../../src/activities/evidence.contracts.js';
import {
  ArtifactInput,
  artifactName,
  bundleOf,
  compareWithManifest,
  evidenceTags,
  IncidentRecord,
  kindOfName,
  MAX_TAGS,
  packPrefix,
  parsePrefix,
  sanitizeTagValue,
  type Manifest,
} from '../../src/domain/evidence.js';
import { renderIncidentReport } from '../../src/domain/incident-report.js';
import { renderPostmortem } from '../../src/domain/postmortem.js';
import { escapeMd, humanDuration, postmortemDue } from '../../src/domain/report-format.js';
import { deriveIncident } from '../../src/domain/incident-record.js';
import { incidentRecordOf } from '../../src/domain/runbook-evidence.js';
import { SAMPLE_ID, sampleArtifacts, sampleEvents, sampleRecord, sampleRef } from '../harness/evidence-sample.js';

const parsed = () => sampleArtifacts().map((a) => ArtifactInput.parse(a));
const LOCATION = `incident-evidence/Prod/2026/01/${SAMPLE_ID}/`;

function docs(overrides: Parameters<typeof sampleRecord>[0] = {}, extra: ReturnType<typeof parsed> = []) {
  const artifacts = [...parsed().filter((a) => a.kind !== 'incident'), ArtifactInput.parse({ kind: 'incident', content: sampleRecord(overrides) }), ...extra];
  const bundle = bundleOf(sampleRef(), artifacts, (n) => `https://stincidentprod.blob.core.windows.net/${LOCATION}${n}`);
  const metrics = bundle.incident!.metrics;
  const input = { bundle, metrics, generatedAt: '2026-01-16T10:20:00Z', dueBusinessDays: 3, location: LOCATION };
  return { bundle, metrics, md: renderPostmortem(input), html: renderIncidentReport(input) };
}

describe('layout, names and tags', () => {
  it('places a pack under {env}/{yyyy}/{mm}/{incidentId}/ by the declaration time in UTC', () => {
    expect(packPrefix(sampleRef())).toBe(`Prod/2026/01/${SAMPLE_ID}/`);
    // 23:30 on 31 January in UTC-5 is February in UTC.
    expect(packPrefix({ environment: 'Beta', declaredAt: '2026-01-31T23:30:00-05:00', incidentId: 'inc-x' })).toBe('Beta/2026/02/inc-x/');
    expect(parsePrefix('Prod/2026/01/inc-x/')).toEqual({ environment: 'Prod', year: 2026, month: 1, incidentId: 'inc-x' });
  });

  it('names every kind and reads the kind back from the name', () => {
    const names = parsed().map((a) => (a.kind === 'smoke' ? artifactName('smoke', a.content.runId) : 'key' in a ? artifactName(a.kind, a.key) : artifactName(a.kind)));
    expect(names).toContain('incident.json');
    expect(names).toContain('timeline.json');
    expect(names).toContain('alerts/001-prod-api-http5xx-rate-fired.json');
    expect(names).toContain('smoke/snapshot-0904.json');
    expect(names).toContain('rollback/api-to-lkg.json');
    for (const n of [...names, 'metrics.json', 'postmortem.md', 'report.html', 'manifest.json']) expect(kindOfName(n), n).toBeDefined();
    for (const n of ['notes.txt', 'smoke/../x.json', 'alerts/a b.json', 'timeline.json.bak', 'other/x.json']) expect(kindOfName(n), n).toBeUndefined();
    expect(() => ArtifactInput.parse({ kind: 'audit', key: '../escape', content: { at: '2026-01-16T09:00:00Z', actor: 'a', changes: [] } })).toThrow();
  });

  it('tags every artifact with environment, service, severity, release, incident and kind; at most 10, allowed characters only', () => {
    expect(evidenceTags(sampleRef(), 'timeline')).toEqual({ environment: 'Prod', service: 'api', severity: 'P1', release: 'r42', incident: SAMPLE_ID, kind: 'timeline' });
    expect(evidenceTags(sampleRef({ release: 'v1.2.3+build#7 «hotfix»', service: 'api' }), 'report').release).toBe('v1.2.3+build_7 _hotfix_');
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        const v = sanitizeTagValue(s);
        return v.length <= 256 && /^[A-Za-z0-9 +\-.:=_/]*$/.test(v);
      }),
    );
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), fc.option(fc.string({ maxLength: 300 }), { nil: null }), (service, release) => {
        const tags = evidenceTags(sampleRef({ service, release }), 'incident');
        return Object.keys(tags).length <= MAX_TAGS && Object.entries(tags).every(([k, v]) => k.length >= 1 && k.length <= 128 && v.length <= 256 && /^[A-Za-z0-9 +\-.:=_/]*$/.test(k + v));
      }),
    );
  });
});

describe('manifest comparison', () => {
  const manifest = (artifacts: { name: string; sha256: string; size: number }[]): Manifest => ({
    schema: 'incident-autopilot/evidence-manifest/v1',
    incidentId: 'inc-1',
    environment: 'Prod',
    service: 'api',
    severity: 'P1',
    release: null,
    prefix: 'Prod/2026/01/inc-1/',
    container: 'incident-evidence',
    sealedAt: '2026-01-16T10:21:00Z',
    sealedBy: 'incident-bot',
    artifacts: artifacts.map((a) => ({ ...a, kind: 'timeline', contentType: 'application/json', writtenAt: null, redactions: 0 })),
    excluded: [],
  });
  const h = (c: string) => c.repeat(64);

  it('finds missing, changed and extra artifacts, and nothing else', () => {
    const m = manifest([
      { name: 'a.json', sha256: h('a'), size: 1 },
      { name: 'b.json', sha256: h('b'), size: 2 },
      { name: 'c.json', sha256: h('c'), size: 3 },
    ]);
    const r = compareWithManifest(m, [
      { name: 'a.json', sha256: h('a'), size: 1 },
      { name: 'b.json', sha256: h('d'), size: 2 },
      { name: 'x.json', sha256: h('e'), size: 9 },
      { name: 'manifest.json', sha256: h('f'), size: 100 },
    ]);
    expect(r.ok).toBe(false);
    expect(r.verified).toEqual(['a.json']);
    expect(r.problems.map((p) => [p.kind, p.name])).toEqual([
      ['changed', 'b.json'],
      ['missing', 'c.json'],
      ['extra', 'x.json'],
    ]);
    expect(compareWithManifest(m, m.artifacts).ok).toBe(true);
  });
});

describe('metrics, phases, timeboxes, due date (as the incident record derived them)', () => {
  it('the documents read the figures the record derived: time to declare, acknowledge, mitigate and recover', () => {
    const { metrics, md, html } = docs();
    expect(metrics.timeToDeclare?.seconds).toBe(55);
    expect(metrics.timeToAcknowledge?.seconds).toBe(6 * 60 + 25);
    expect(metrics.timeToMitigate?.seconds).toBe(11 * 60 + 35);
    expect(metrics.timeToRecover?.seconds).toBe(15 * 60 + 55);
    expect(metrics.impactDuration).toEqual({ from: '2026-01-16T09:02:10.000Z', to: '2026-01-16T09:19:00.000Z', seconds: 16 * 60 + 50 });
    expect(metrics.timeboxes.map((t) => [t.name, t.verdict])).toEqual([
      ['ack', 'met'],
      ['ic', 'met'],
      ['decision', 'missed'],
      ['recovery', 'met'],
      ['monitoring', 'met'],
    ]);
    expect(md).toContain('| Time to mitigate | 11 min 35 s |');
    expect(html).toContain('<div class="label">Time to mitigate</div><div class="value">11 min 35 s</div>');
    expect(humanDuration(3725)).toBe('1 h 02 min');
  });

  it('draws the phases as they happened, from detection to the resolution', () => {
    const record = IncidentRecord.parse(sampleRecord());
    expect(record.phases.map((p) => [p.name, p.start, p.end])).toEqual([
      ['Detect', '2026-01-16T09:02:10.000Z', '2026-01-16T09:03:05.000Z'],
      ['Triage', '2026-01-16T09:03:05.000Z', '2026-01-16T09:13:05.000Z'],
      ['Contain', '2026-01-16T09:13:05.000Z', '2026-01-16T09:14:40.000Z'],
      ['Recover', '2026-01-16T09:14:40.000Z', '2026-01-16T09:19:00.000Z'],
      ['Monitor', '2026-01-16T09:19:00.000Z', '2026-01-16T10:19:10.000Z'],
    ]);
  });

  it('makes the postmortem due on the date the record set at the resolution (3 business days, weekends skipped)', () => {
    const record = IncidentRecord.parse(sampleRecord());
    // Resolved on Friday 16 January -> Wednesday 21 January.
    expect(new Date(postmortemDue(record, 3).due).toISOString().slice(0, 10)).toBe('2026-01-21');
    expect(record.summary.postmortem?.dueAt).toBe('2026-01-21T10:19:10.000Z');
  });
});

describe('postmortem draft (RB-03 section 11)', () => {
  it('has every section of the template, in order', () => {
    const { md } = docs();
    const headings = md.split('\n').filter((l) => l.startsWith('## ')).map((l) => l.slice(3));
    expect(headings).toEqual(['Summary & Impact', 'Timeline (UTC)', 'Root Cause', 'Contributing Factors', 'What Worked / What Didn’t', 'Action Items', 'Evidence Links']);
    expect(md).toContain('# Postmortem (draft): P1 Prod api: Admin API 5xx above 1 % after release r42 (SSE first event slow)');
    expect(md).toContain('Due **2026-01-21 (Wed)** (3 business days after 2026-01-16 10:19:10 UTC)');
    expect(md).toContain('- **Duration:** 16 min 50 s (2026-01-16 09:02:10 UTC to 2026-01-16 09:19:00 UTC)');
    expect(md).toContain('| Time to recover | 15 min 55 s | 2026-01-16 09:03:05 UTC | 2026-01-16 09:19:00 UTC |');
    for (const placeholder of ['**Code:**', '**Config:**', '**Data:**', '**Infra:**']) expect(md).toContain(`- [ ] ${placeholder}`);
    expect(md).toContain('Failing version r42 vs last known good r41');
  });

  it('tells the timeline in UTC from detection to recovery, with decisions, actions and execution ids', () => {
    const { md } = docs();
    const section = md.slice(md.indexOf('## Timeline (UTC)'), md.indexOf('## Root Cause'));
    const times = [...section.matchAll(/^\| (2026-01-16 \d\d:\d\d:\d\d) UTC \|/gm)].map((m) => m[1]!);
    expect(times.length).toBeGreaterThan(15);
    expect([...times].sort()).toEqual(times);
    expect(times[0]).toBe('2026-01-16 09:02:10');
    expect(section).toContain('runbook: Nobody decided in time: rolling back to the last known good release.');
    expect(section).toContain('execution 7c1e9a52-3f0b-4d7e-9a41-2b6c8d0e4f13');
    expect(section).toContain('Snapshot: smoke checks red');
    expect(section).toMatch(/checks: Smoke checks \(verify\): degraded/);
  });

  it('lists action items with owners and due dates: refused actions, missed timeboxes, the standard items, people’s items', () => {
    const { md } = docs();
    const items = md.slice(md.indexOf('## Action Items'), md.indexOf('### Containment')).split('\n').filter((l) => /^\| \d+ \|/.test(l));
    expect(items.length).toBeGreaterThanOrEqual(6);
    for (const row of items) {
      const cells = row.split(' | ');
      expect(cells[3]?.trim(), row).not.toBe('');
      expect(cells[4]?.replace('|', '').trim(), row).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    expect(md).toContain('containment decision timebox was missed');
    expect(md).toContain('| Add a contract smoke check for GET /api/jobs to the release pipeline | tests | Lee Chen | 2026-01-21 |');
  });

  it('adds forward-fix items (DB migration kept, fix shipped forward) due 3 business days later', () => {
    const auto = docs({ containment: { choice: 'app-to-lkg-forward-fix', decidedBy: 'Dana Reyes', at: '2026-01-16T09:12:00Z', automatic: false } }).md;
    expect(auto).toMatch(/\| 1 \| Forward fix for the database migration that stayed in place \(no destructive DDL\).* \| forward-fix \| Sam Okafor \(sam@contoso.com\) \| 2026-01-21 \|/);
    const named = docs({ forwardFixes: [{ title: 'Migration 0042 adds JobRun.Priority NOT NULL without default', owner: 'DBA: Priya Das' }] }).md;
    expect(named).toContain('| 1 | Forward fix: Migration 0042 adds JobRun.Priority NOT NULL without default | forward-fix | DBA: Priya Das | 2026-01-21 |');
  });

  it('links the evidence (http(s) only) and tells how to verify the pack', () => {
    const { md } = docs();
    expect(md).toContain(`- [timeline.json](https://stincidentprod.blob.core.windows.net/${LOCATION}timeline.json) (timeline)`);
    expect(md).toContain('- [Incident ticket INC-2291](https://contoso.atlassian.net/browse/INC-2291)');
    expect(md).toContain(`npm run evidence -- verify ${SAMPLE_ID}`);
  });
});

describe('hostile incident text stays text', () => {
  const hostile = '<script>alert(1)</script> | [click](javascript:alert(2)) ![x](https://evil.example/p.png) *bold* `code` <img src=x onerror=alert(3)>';
  const withHostile = () =>
    docs(
      {
        summary: { ...(sampleRecord().summary as object), summary: hostile } as never,
        links: [
          { label: 'bad link', url: 'javascript:alert(4)' },
          { label: 'data link', url: 'data:text/html,<script>alert(5)</script>' },
        ],
        impact: { affected: [hostile], users: hostile, description: hostile },
      },
      [ArtifactInput.parse({ kind: 'message', key: 'zz-hostile', content: { at: '2026-01-16T09:30:00Z', template: 'update', channel: '"><svg onload=alert(6)>', text: hostile } })],
    );

  it('in the Markdown draft', () => {
    const { md } = withHostile();
    // Every "<", "[", "!", "|" and "*" of the incident text is escaped: nothing becomes a tag, a link, an image or a cell.
    expect(md).not.toMatch(/(?<!\\)<(script|img|svg)|(?<!\\)\]\((javascript|data):|(?<!\\)!(?<!\\)\[/i);
    expect(md).toContain('\\<script\\>alert(1)\\</script\\> \\| \\[click\\](javascript:alert(2))');
    expect(md).toContain('- bad link');
    expect(md).toContain('- data link');
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && l.includes('alert(1)'));
    expect(rows).toHaveLength(1); // the message, in the 5-column messages table
    expect(rows[0]!.split(/(?<!\\)\|/)).toHaveLength(7);
  });

  it('in the HTML report', () => {
    const { html } = withHostile();
    // No element or attribute comes from the incident text (it is all entity-escaped).
    expect(html).not.toMatch(/<script|<img|<svg[^>]*onload|<[^>]*\son\w+=|href="(javascript|data):/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // Self-contained: no external resource, a strict CSP, no script.
    expect(html).not.toMatch(/<[^>]*\ssrc=/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
  });

  it('escapeMd leaves nothing that Markdown would interpret', () => {
    fc.assert(fc.property(fc.string(), (s) => !/(^|[^\\])[`*_[\]<>|]/.test(escapeMd(s).replace(/\\\\/g, ''))));
  });
});

describe('the HTML report', () => {
  it('draws phases, key moments, timeboxes with deadline markers, smoke results in three colours, and actions', () => {
    const { html } = docs();
    const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>'));
    for (const phase of ['Detect', 'Triage', 'Contain', 'Recover', 'Monitor']) expect(svg).toContain(`${phase}:`);
    for (const moment of ['Detected 09:02', 'Declared 09:03', 'Acknowledged 09:09', 'Decided 09:13', 'Mitigated 09:14', 'Recovered 09:19', 'Resolved 10:19']) expect(svg).toContain(moment);
    expect(svg.match(/class="deadline"/g)).toHaveLength(5);
    expect(svg).toContain('Containment decision: started 2026-01-16 09:03:05 UTC, deadline 2026-01-16 09:13:05 UTC; missed');
    const dots = [...svg.matchAll(/<circle cx="[\d.]+" cy="[\d.]+" r="7" fill="(#[0-9a-f]{6})" stroke="#fff"/g)].map((m) => m[1]);
    expect(dots).toHaveLength(45); // 9 runs x 5 checks
    expect(new Set(dots)).toEqual(new Set(['#2e7d32', '#f2a900', '#c62828']));
    expect(svg).toContain('apiToLkg');
    expect(svg).toContain('webToLkg (skipped)');
    expect(html).toContain('<code>7c1e9a52-3f0b-4d7e-9a41-2b6c8d0e4f13</code>');
  });

  it('renders an open incident with little evidence without failing', () => {
    const declared = sampleEvents()[0]!;
    const open = incidentRecordOf(deriveIncident([declared]));
    const bundle = bundleOf(sampleRef(), [ArtifactInput.parse({ kind: 'incident', content: open })]);
    const metrics = bundle.incident!.metrics;
    const html = renderIncidentReport({ bundle, metrics, generatedAt: '2026-01-16T09:05:00Z', dueBusinessDays: 3, location: LOCATION });
    expect(html).toContain('Declared 09:03');
    expect(html).toContain('not acknowledged');
    const md = renderPostmortem({ bundle, metrics, generatedAt: '2026-01-16T09:05:00Z', dueBusinessDays: 3, location: LOCATION });
    expect(md).toContain('- **Duration:** not known yet (no recovery recorded)');
  });
});

describe('activity input bounds', () => {
  it('splits large evidence into calls under the bound, and the contract refuses an oversized or ambiguous call', () => {
    const big = Array.from({ length: 40 }, (_, i) => ({
      kind: 'message' as const,
      key: `m-${i}`,
      content: { at: '2026-01-16T09:30:00Z', template: 'update', channel: 'Teams', text: 'x'.repeat(19_000) },
    }));
    const batches = chunkArtifacts(big);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flat()).toEqual(big);
    for (const b of batches) expect(() => writeArtifacts.input.parse({ pack: sampleRef(), artifacts: b })).not.toThrow();
    expect(() => writeArtifacts.input.parse({ pack: sampleRef(), artifacts: big })).toThrow(new RegExp(`more than ${MAX_EVIDENCE_INPUT_BYTES}`));
    const twice = [sampleArtifacts()[1]!, sampleArtifacts()[1]!];
    expect(() => writeArtifacts.input.parse({ pack: sampleRef(), artifacts: twice })).toThrow(/a second artifact named timeline/);
    expect(() => writeArtifacts.input.parse({ pack: sampleRef(), artifacts: sampleArtifacts() })).not.toThrow();
  });
});
