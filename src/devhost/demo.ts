#!/usr/bin/env node
/**
 * `npm run demo [-- --approve] [--out <dir>] [--step <seconds>] [--no-png]`: a whole P1 in the lab,
 * offline, in about a minute. The app runs on the dev host beside the lab on a paced clock: the
 * demo moves it on by a step (30 s) as soon as the app has finished what the last step started
 * (while it works, a second per 50 ms), so the runbook's 72 minutes pass in well under a minute
 * on an idle machine, and a busy machine slows the demo down instead of changing what happens (a
 * scaled clock runs on while a loaded machine is still working: a person's approval could miss its
 * window). The app runs with its own Azurite in memory and its own task
 * hub; local.settings.json is not read, so the demo runs the same on every machine.
 *
 * The story: release r42 goes to production and breaks it (readiness red, jobs API 500), then a
 * person turns a flag on that breaks the SSE stream. Azure Monitor's alert declares a P1; the
 * snapshot finds the red checks, the flag change and what runs in each slot, and proposes to revert
 * the flag. The IC acknowledges but nobody decides, so at the 10-minute deadline the automation
 * reverts the flag through the stored procedure and swaps the last known good release back into
 * production; the checks turn green, the 60-minute monitoring window passes, the incident resolves
 * and its evidence is sealed. With --approve, a person approves the proposal through its signed
 * link instead: the flag revert alone does not stabilise production, so the containment timebox
 * rolls the release back.
 *
 * Writes <out>/report.html, report.png, postmortem.md, teams-messages.md and summary.json (see
 * ./incident-export.ts); exit code 0 when the incident ended resolved with a verified pack.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { labAlert } from '../lab/alerts.js';
import type { ChannelMessage } from '../lab/channel.js';
import { startAzurite } from './azurite.js';
import { ManualClock } from './clock.js';
import { exportIncident, type IncidentSummaryFile } from './incident-export.js';
import { startLabHost } from './lab-host.js';
import { LiveView, type IncidentRead } from './live-view.js';
import { Logger } from './logger.js';
import { errorText } from '../domain/errors.js';

/** How far the demo moves the clock each time the app is idle. */
export const DEMO_STEP_MS = 30_000;
/** While the app works, time still passes, a second of it per 50 ms, so steps keep their order. */
const BUSY_TICK_MS = 1000;
const BUSY_POLL_MS = 50;
const MINUTE = 60_000;
/** The demo's people: the IC who acknowledges, and the approver of --approve. */
const IC = { id: 'dana.kim@contoso.example', name: 'Dana Kim' };

export interface DemoOptions {
  appRoot: string;
  outDir: string;
  approve?: boolean;
  /** How far the clock moves at each step (default 30 s). */
  stepMs?: number;
  png?: boolean;
  out: (text: string) => void;
  tty?: boolean;
  /** Give up (wall time) if the incident has not ended by then. */
  timeoutMs?: number;
}

export interface DemoResult {
  incidentId: string;
  summary: IncidentSummaryFile;
  files: string[];
  notes: string[];
  wallMs: number;
  /** The channel as the lab holds it at the end (every message the app posted). */
  channel: ChannelMessage[];
  /** What the approver did (--approve): the link's choice and the app's answer. */
  approval: { choice: string; status: number } | null;
}

export class DemoError extends Error {
  override name = 'DemoError';
}

async function json<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

const post = (url: string, body: unknown) => json<Record<string, unknown>>(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const wall0 = Date.now();
  const step = o.stepMs ?? DEMO_STEP_MS;
  const scratch = mkdtempSync(path.join(tmpdir(), 'incident-autopilot-demo-'));
  const logLines: string[] = [];
  // The app's own log goes to a file: the terminal shows the live view.
  const logger = new Logger('information', (r) => logLines.push(`${new Date().toISOString()} ${r.level} ${r.category}: ${r.message}`));
  const azurite = await startAzurite({ mode: 'memory' });
  const env = process.env;
  env.AzureWebJobsStorage = azurite.connectionString;
  env.TaskHubName = 'Demo';
  env.POLICY_PATH = 'policy.sample.json';
  delete env.POLICY_JSON;
  const clock = new ManualClock(Date.now(), 'stored');
  let labHost: Awaited<ReturnType<typeof startLabHost>> | undefined;
  try {
    labHost = await startLabHost({
      appRoot: o.appRoot,
      port: 0,
      clock,
      azurite: 'off',
      loadLocalSettings: false,
      logger,
      labPorts: 'free',
      labDir: scratch,
      // Production breaks: the bad release, then a person's flag change.
      faults: ['bad-release', 'breaking-flag'],
      say: (line) => logLines.push(line),
    });
    const { host, lab, page } = labHost;
    const app = host.baseUrl;
    o.out(
      `incident-autopilot demo: a P1 in the lab on a clock moved ${step / 1000} s at a time, whenever the app is idle` +
        `${o.approve ? ' (a person approves the proposal by its signed link)' : ' (nobody decides: the automation rolls back at the deadline)'}.\n` +
        `The lab's page (slots, flags, Teams channel): ${page.url}\n\n`,
    );

    // Azure Monitor fires a few seconds after the window it measured, and delivers at once.
    const fired = await post(`${app}/api/alerts`, labAlert({ alertId: `demo-${Date.now().toString(36)}`, firedAt: new Date(clock.now() - 5_000).toISOString() }));
    const incidentId = typeof fired.body.incidentId === 'string' ? fired.body.incidentId : undefined;
    if (fired.status !== 202 || fired.body.kind !== 'declared' || !incidentId) throw new DemoError(`The alert was not declared: ${fired.status} ${JSON.stringify(fired.body)}`);
    const base = `${app}/api/incidents/${incidentId}`;
    const view = new LiveView(o.out, o.tty ?? false);
    const declaredAt = clock.now();
    let acked = false;
    let approval: DemoResult['approval'] = null;
    const deadline = Date.now() + (o.timeoutMs ?? 150_000);
    // Waits until the app has done what the clock's last move started; meanwhile time goes on slowly.
    const settle = async (): Promise<void> => {
      for (;;) {
        const idle = host.idle().then(() => true);
        const busy = new Promise<boolean>((r) => setTimeout(() => r(false), BUSY_POLL_MS));
        if (await Promise.race([idle, busy])) return;
        clock.advance(BUSY_TICK_MS);
      }
    };
    for (;;) {
      // Everything the last step started is done before anything is read or time moves on.
      await settle();
      const read = (await json<IncidentRead>(base)).body;
      const channel = lab.channel().filter((m) => m.text.includes(incidentId));
      view.update({ incident: read, messages: channel.map((m) => `${m.at.slice(11, 19)} ${m.threadId ? '↳ ' : ''}${m.title}`), now: clock.now(), title: 'demo' });
      const phase = read.runtime?.customStatus?.phase;
      if (read.summary?.status === 'resolved' && read.runtime?.runtimeStatus === 'Completed') break;
      if (read.runtime && ['Failed', 'Terminated'].includes(read.runtime.runtimeStatus)) throw new DemoError(`The incident orchestration ended ${read.runtime.runtimeStatus}.`);
      // The IC acknowledges a minute in.
      if (!acked && phase === 'deciding' && clock.now() >= declaredAt + MINUTE) {
        acked = (await post(`${base}/ack`, { role: 'ic', actor: IC })).status === 202;
      }
      // --approve: two minutes in, the approver opens the proposal's first button (the proposed path) and confirms.
      if (o.approve && !approval && phase === 'deciding' && clock.now() >= declaredAt + 2 * MINUTE) {
        const card = channel.find((m) => m.buttons.some((b) => b.url.includes('/api/approvals/')));
        const link = card?.buttons[0]?.url;
        if (link) {
          const shown = await json<{ proposal?: { choices: string[] } }>(link, { headers: { accept: 'application/json' } });
          const choice = shown.body.proposal?.choices[0];
          if (shown.status !== 200 || !choice) throw new DemoError(`The approval link answered ${shown.status}: ${JSON.stringify(shown.body)}`);
          const confirmed = await json(link, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify({ choice }) });
          approval = { choice, status: confirmed.status };
          if (confirmed.status !== 200) throw new DemoError(`Confirming the approval answered ${confirmed.status}: ${JSON.stringify(confirmed.body)}`);
        }
      }
      if (Date.now() > deadline) throw new DemoError(`The incident had not ended after ${Math.round((o.timeoutMs ?? 150_000) / 1000)} s (phase ${phase ?? '?'}); see ${path.join(o.outDir, 'host.log')}.`);
      await settle();
      clock.advance(step);
      // The timers the step made due start their work on the next turn.
      await new Promise((r) => setTimeout(r, 10));
    }
    await host.idle();
    const channel = lab.channel();
    const exported = await exportIncident({ appUrl: app, incidentId, outDir: o.outDir, channel, png: o.png ?? true });
    return { incidentId, summary: exported.summary, files: [...exported.files, 'host.log'], notes: exported.notes, wallMs: Date.now() - wall0, channel, approval };
  } finally {
    await labHost?.stop();
    await azurite.stop();
    rmSync(scratch, { recursive: true, force: true });
    try {
      writeFileSync(path.join(o.outDir, 'host.log'), `${logLines.join('\n')}\n`);
    } catch {
      // the folder may not exist when the demo failed early
    }
  }
}

function minutes(d: { seconds: number } | null | undefined): string {
  if (!d) return 'n/a';
  const m = Math.floor(d.seconds / 60);
  const s = Math.round(d.seconds % 60);
  return m ? `${m} min ${s} s` : `${s} s`;
}

/** The closing lines: what the summary file says, in words. */
export function describeResult(r: DemoResult, outDir: string): string {
  const s = r.summary;
  const lines = [
    '',
    `Incident ${r.incidentId}: ${s.status} (${s.severity}, ${s.service}@${s.environment}) in ${(r.wallMs / 1000).toFixed(1)} s of wall time.`,
    'Actions:',
    ...s.actions.map((a) => `  ${a.outcome === 'done' ? '✓' : a.outcome === 'planned' ? '·' : '✗'} ${a.name} (${a.step}): ${a.outcome}`),
    `Time to acknowledge ${minutes(s.mttx?.timeToAcknowledge)}, mitigate ${minutes(s.mttx?.timeToMitigate)}, recover ${minutes(s.mttx?.timeToRecover)}; impact ${minutes(s.mttx?.impactDuration)}.`,
    `Evidence: ${s.evidence.location} ${s.evidence.sealed ? 'sealed' : 'NOT sealed'}, ${s.evidence.verified ? 'verified against its manifest' : `NOT verified (${s.evidence.problems.join('; ')})`}.`,
    `Teams: ${s.teamsMessages} message(s) in the lab's channel.`,
    `Wrote ${r.files.map((f) => path.join(outDir, f)).join(', ')}.`,
    ...r.notes.map((n) => `Note: ${n}`),
  ];
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      approve: { type: 'boolean' },
      out: { type: 'string' },
      step: { type: 'string' },
      'no-png': { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('Usage: npm run demo -- [--approve] [--out <dir>] [--step <seconds of incident time per step, default 30>] [--no-png]\n');
    return 0;
  }
  const stepS = values.step === undefined ? DEMO_STEP_MS / 1000 : Number(values.step);
  if (!(stepS >= 1 && stepS <= 600)) throw new DemoError(`--step must be a number of seconds from 1 to 600, got ${values.step}`);
  const appRoot = path.resolve(__dirname, '..', '..', '..');
  const outDir = path.resolve(values.out ?? 'demo-out');
  const result = await runDemo({ appRoot, outDir, approve: values.approve ?? false, stepMs: stepS * 1000, png: !values['no-png'], out: (t) => process.stdout.write(t), tty: process.stdout.isTTY });
  process.stdout.write(describeResult(result, path.relative(process.cwd(), outDir) || '.'));
  return result.summary.status === 'resolved' && result.summary.evidence.verified ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`demo: ${errorText(err)}\n`);
      process.exit(1);
    },
  );
}
