/**
 * Runs the demo's core (src/devhost/demo.ts) in this process and reads back what it wrote, for the
 * demo tests. One demo per test file: the app keeps its Teams, ARM and SQL clients for the life of
 * the process, and each demo starts a lab on new ports.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { runDemo, type DemoResult, type IncidentSummaryFile } from '../../src/devhost/index.js';
import { humanDuration } from '../../src/domain/report-format.js';
import { repoRoot } from './devhost.js';

export const chromiumInstalled = existsSync(process.env.CHROMIUM_PATH?.trim() || '/usr/bin/chromium');

export interface DemoRun {
  result: DemoResult;
  out: string;
  summary: IncidentSummaryFile;
  file: (name: string) => string;
  output: string;
}

export async function demo(approve: boolean): Promise<DemoRun> {
  const out = mkdtempSync(path.join(tmpdir(), 'demo-out-'));
  let output = '';
  const result = await runDemo({ appRoot: repoRoot, outDir: out, approve, png: chromiumInstalled, out: (t) => (output += t), tty: false, timeoutMs: 240_000 });
  const file = (name: string): string => readFileSync(path.join(out, name), 'utf8');
  return { result, out, summary: JSON.parse(file('summary.json')) as IncidentSummaryFile, file, output };
}

/** "Time to mitigate: 10 min 25 s" in the RESOLVED message of teams-messages.md -> "10 min 25 s". */
export function messageFigure(markdown: string, label: string): string | undefined {
  const resolved = markdown.slice(markdown.lastIndexOf('✅ RESOLVED'));
  return new RegExp(`^${label}: (.+)$`, 'm').exec(resolved)?.[1];
}

/**
 * The report, the RESOLVED message in the Teams channel and summary.json tell the same figures,
 * each as the product formats it (all read the incident record's one derivation).
 */
export function expectFiguresAgree(run: DemoRun): void {
  const teams = run.file('teams-messages.md');
  const report = run.file('report.html');
  const figures: [string, keyof NonNullable<IncidentSummaryFile['mttx']>][] = [
    ['Time to declare', 'timeToDeclare'],
    ['Time to acknowledge', 'timeToAcknowledge'],
    ['Time to mitigate', 'timeToMitigate'],
    ['Time to recover', 'timeToRecover'],
    ['Impact', 'impactDuration'],
  ];
  for (const [label, key] of figures) {
    const seconds = run.summary.mttx?.[key]?.seconds;
    expect(seconds, key).toBeTypeOf('number');
    const shown = humanDuration(seconds);
    expect(report, `${label} in report.html`).toContain(shown);
    expect(messageFigure(teams, label), `${label} in the RESOLVED message`).toBe(shown);
  }
}

/** teams-messages.md says how many of its messages the evidence pack records, and they are the report's "Messages sent". */
export function expectMessagesAccounted(run: DemoRun): void {
  const teams = run.file('teams-messages.md');
  const head = /^(\d+) message\(s\), oldest first\..*?(?:All (\d+) are in|(\d+) of them are the incident's own messages)/m.exec(teams);
  expect(head, 'the count line of teams-messages.md').not.toBeNull();
  const total = Number(head?.[1]);
  const own = Number(head?.[2] ?? head?.[3]);
  expect(total).toBe(run.summary.teamsMessages);
  const pack = /messages\/ \((\d+)\)/.exec(run.file('report.html'));
  expect(Number(pack?.[1]), 'messages/ in the report').toBe(own);
}
