/**
 * Runs the demo's core (src/devhost/demo.ts) in this process and reads back what it wrote, for the
 * demo tests. One demo per test file: the app keeps its Teams, ARM and SQL clients for the life of
 * the process, and each demo starts a lab on new ports.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { runDemo, type DemoResult } from '../../src/devhost/demo.js';
import type { IncidentSummaryFile } from '../../src/devhost/incident-export.js';
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

/** "Time to mitigate: 13 min" in the RESOLVED message of teams-messages.md -> 13. */
export function messageMinutes(markdown: string, label: string): number | undefined {
  const resolved = markdown.slice(markdown.lastIndexOf('✅ RESOLVED'));
  const m = new RegExp(`${label}: (\\d+) min`).exec(resolved);
  return m ? Number(m[1]) : undefined;
}

/** The report, the Teams channel and summary.json tell the same figures (the message in whole minutes). */
export function expectFiguresAgree(run: DemoRun): void {
  const teams = run.file('teams-messages.md');
  const report = run.file('report.html');
  const figures: [string, keyof NonNullable<IncidentSummaryFile['mttx']>][] = [
    ['Time to acknowledge', 'timeToAcknowledge'],
    ['Time to mitigate', 'timeToMitigate'],
    ['Time to recover', 'timeToRecover'],
  ];
  for (const [label, key] of figures) {
    const seconds = run.summary.mttx?.[key]?.seconds;
    expect(seconds, key).toBeTypeOf('number');
    // The report shows the pack's figure...
    expect(report, `${label} in report.html`).toContain(humanDuration(seconds));
    // ...and the RESOLVED message the same, rounded to the minute.
    const minutes = messageMinutes(teams, label);
    expect(minutes, `${label} in the RESOLVED message`).toBeTypeOf('number');
    expect(Math.abs((minutes ?? 0) * 60 - (seconds ?? 0)), `${label}: message ${minutes} min, report ${humanDuration(seconds)}`).toBeLessThanOrEqual(30);
  }
}
