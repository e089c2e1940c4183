#!/usr/bin/env node
/**
 * `npm run drill -- <alert.json>...` replays captured Azure Monitor payloads as a drill;
 * `npm run drill -- --incident <id>` replays the raw alerts archived for a past incident (those its
 * evidence pack lists, read back from the intake's archive), in their order and at their spacing.
 *
 * The app runs on the dev host, in this process, on a scaled clock (120x: a P1 drill's ten-minute
 * decision window passes in five seconds), with the settings of local.settings.json and a task hub
 * of its own (<TaskHubName>Drills), so a running `npm start` is not disturbed. The first alert goes
 * to POST /api/alerts?drill=true (routed as a delivery would be, or to --service/--environment;
 * with --lab, to the lab's service against the lab's simulators), later ones join the drill. A drill
 * plans every action and sends nothing; it ends once it has shown its answer to the deadline, with
 * a sealed evidence pack marked DRILL, exported to drill-out/<drill id>/ like the demo's outputs.
 *
 * Exit codes: 0 the drill ended resolved with a verified pack; 1 it did not (or nothing was
 * drilled: a payload that is not the common schema, an alert no service matches, a Resolved alert
 * alone); 2 usage.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BlobAlertPayloadSource, createBlobServiceClient, storageTarget, evidencePack, ALERT_PAYLOADS_CONTAINER, describeIssues, applyLocalSettings, parseAppSettings } from '../app/devhost-seam.js';
import { MAX_ARTIFACT_BYTES } from '../domain/evidence.js';
import { LAB_FAULTS, parseFaults, type LabFault } from '../lab/faults.js';
import type { Lab } from '../lab/lab.js';
import { ScaledClock, type Clock } from './clock.js';
import { DevHost } from './host.js';
import { exportIncident, type IncidentSummaryFile } from './incident-export.js';
import { startLabHost } from './lab-host.js';
import { LiveView, type IncidentRead } from './live-view.js';
import { Logger } from './logger.js';
import { errorText } from '../domain/errors.js';

export const DRILL_TIME_SCALE = 120;

const USAGE = `Usage:
  npm run drill -- <alert.json> [<alert.json>...] [options]   replay captured payloads as one drill
  npm run drill -- --incident <id> [options]                  replay the alerts archived for a past incident
Options:
  --lab                   run against the lab (src/lab): the drill goes to the lab's service
  --fault <names>         with --lab: break the lab first (${LAB_FAULTS.join(', ')}), so the drill has work to plan
  --service <name> --environment <name>   drill as this service of the policy (default: route as a delivery)
  --time-scale <n>        the clock's speed (default ${DRILL_TIME_SCALE})
  --out <dir>             where to write the drill's files (default drill-out/<drill id>)
  --no-png                do not render report.png
`;

export class DrillUsageError extends Error {
  override name = 'DrillUsageError';
}
export class DrillError extends Error {
  override name = 'DrillError';
}

/** One payload to replay, and when (ms after the first) it arrived originally. */
export interface ReplayedAlert {
  payload: unknown;
  offsetMs: number;
  source: string;
}

export interface DrillOptions {
  appRoot: string;
  /** Payloads, or the incident whose archived alerts to replay. */
  alerts?: ReplayedAlert[];
  incident?: string;
  lab?: boolean;
  /** With `lab`: faults injected before the drill. */
  faults?: LabFault[];
  route?: { service: string; environment: string };
  timeScale?: number;
  outDir?: (drillId: string) => string;
  png?: boolean;
  out: (text: string) => void;
  tty?: boolean;
  /** Read local.settings.json (default true; the tests set the environment themselves). */
  loadLocalSettings?: boolean;
  /** An already started lab host to drill against (the tests: one lab for many drills). */
  labHost?: { host: DevHost; lab: Lab; clock: Clock };
  timeoutMs?: number;
}

export type DrillResult =
  | { kind: 'drilled'; drillId: string; summary: IncidentSummaryFile; files: string[]; outDir: string; notes: string[]; answers: unknown[]; labUnchanged: boolean | null; labChanges: string | null }
  | { kind: 'not-drilled'; answer: { status: number; body: Record<string, unknown> } };

async function json<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** The intake's answer in one line: what it did and why, or its error. */
function describeAnswer(a: { status: number; body: Record<string, unknown> }): string {
  const b = a.body as { kind?: string; incidentId?: string | null; reasons?: string[]; error?: { message?: string } };
  if (b.error) return `${a.status} ${b.error.message ?? ''}`;
  return `${a.status} ${b.kind ?? ''}${b.incidentId ? ` ${b.incidentId}` : ''}: ${(b.reasons ?? []).join('; ')}`;
}

/** Payload files as given on the command line (each replayed at once, one after the other). */
export function alertsFromFiles(files: readonly string[]): ReplayedAlert[] {
  return files.map((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new DrillUsageError(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? errorText(err)}`);
    }
    try {
      return { payload: JSON.parse(text) as unknown, offsetMs: 0, source: file };
    } catch (err) {
      throw new DrillUsageError(`${file} is not JSON: ${errorText(err)}`);
    }
  });
}

/**
 * The alerts of a past incident: its evidence pack lists them (dedupe key, arrival, archive
 * reference); each is read raw from the intake's archive (the pack's own copy is redacted).
 */
export async function alertsOfIncident(incidentId: string, env: NodeJS.ProcessEnv): Promise<ReplayedAlert[]> {
  const built = evidencePack('drill', parseAppSettings(env));
  if (!built.ok) throw new DrillError(`The evidence settings are invalid:\n${describeIssues(built.issues, '  ')}`);
  const { pack } = built.value;
  const found = await pack.locate(incidentId);
  const prefix = found.prefixes[0];
  if (!prefix) throw new DrillError(`No evidence pack for ${incidentId} in ${pack.container}${found.notes.length ? ` (${found.notes.join('; ')})` : ''}: only a resolved incident's alerts can be replayed, from the storage it was written to.`);
  const { bundle } = await pack.read(prefix);
  if (bundle.alerts.length === 0) throw new DrillError(`The pack ${pack.container}/${prefix} lists no alert: ${incidentId} was declared by hand, not by an alert.`);
  const archive = new BlobAlertPayloadSource(createBlobServiceClient(storageTarget(env)), ALERT_PAYLOADS_CONTAINER, MAX_ARTIFACT_BYTES);
  const first = Date.parse(bundle.alerts[0]?.record.receivedAt ?? '');
  const out: ReplayedAlert[] = [];
  for (const { name, record } of bundle.alerts) {
    const raw = record.ref ? await archive.read(record.ref).catch(() => undefined) : undefined;
    if (raw === undefined) throw new DrillError(`The raw payload of ${name} (${record.ref ?? 'no reference'}) is no longer in the archive.`);
    out.push({ payload: raw, offsetMs: Math.max(0, Date.parse(record.receivedAt) - first), source: `${record.ref ?? name} (received ${record.receivedAt})` });
  }
  return out;
}

export async function runDrill(o: DrillOptions): Promise<DrillResult> {
  const env = process.env;
  const scale = o.timeScale ?? DRILL_TIME_SCALE;
  const notes: string[] = [];
  let stop: () => Promise<void> = () => Promise.resolve();
  let scratch: string | undefined;
  let host: DevHost;
  let lab: Lab | undefined;
  let clock: Clock;
  if (o.labHost) {
    ({ host, lab, clock } = o.labHost);
  } else {
    if (o.loadLocalSettings !== false) applyLocalSettings(o.appRoot);
    const hub = (env.TaskHubName?.trim() || 'IncidentAutopilot').replace(/[^A-Za-z0-9]/g, '').slice(0, 39);
    env.TaskHubName = `${hub}Drills`;
    clock = new ScaledClock(scale);
    const logger = new Logger('warning', (r) => notes.push(`${r.level} ${r.category}: ${r.message}`));
    const common = { appRoot: o.appRoot, port: 0, clock, logger, loadLocalSettings: false };
    if (o.lab) {
      scratch = mkdtempSync(path.join(tmpdir(), 'incident-autopilot-drill-'));
      const started = await startLabHost({ ...common, labPorts: 'free', labDir: scratch, faults: o.faults ?? [] });
      ({ host, lab } = started);
      stop = () => started.stop();
    } else {
      host = await DevHost.start(common);
      stop = () => host.stop();
    }
  }
  try {
    const alerts = o.alerts ?? (o.incident ? await alertsOfIncident(o.incident, env) : []);
    if (alerts.length === 0) throw new DrillUsageError('Nothing to replay: give alert payload files or --incident <id>.');
    const route = o.route ?? (lab ? { service: lab.service.service, environment: lab.service.environment } : undefined);
    const before = lab?.fingerprint() ?? null;
    const app = host.baseUrl;
    const send = (payload: unknown, drill: string) => {
      const q = new URLSearchParams({ drill, ...(route && drill === 'true' ? route : {}) });
      return json<Record<string, unknown>>(`${app}/api/alerts?${q.toString()}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    };
    const [first, ...later] = alerts;
    const answer = await send(first?.payload, 'true');
    o.out(`${first?.source}: ${describeAnswer(answer)}\n`);
    const drillId = typeof answer.body.incidentId === 'string' && answer.body.kind === 'drill' ? answer.body.incidentId : undefined;
    if (!drillId) return { kind: 'not-drilled', answer };
    const answers: unknown[] = [answer.body];
    const startedAt = clock.now();
    let next = 0;
    const view = new LiveView(o.out, o.tty ?? false);
    const deadline = Date.now() + (o.timeoutMs ?? 150_000);
    for (;;) {
      // Later alerts arrive at their original spacing, on the drill's clock.
      while (next < later.length && clock.now() >= startedAt + (later[next]?.offsetMs ?? 0)) {
        const a = later[next++];
        const joined = await send(a?.payload, drillId);
        answers.push(joined.body);
        o.out(`${a?.source}: ${describeAnswer(joined)}\n`);
      }
      const read = (await json<IncidentRead>(`${app}/api/incidents/${drillId}`)).body;
      // A drill posts nothing: its messages are in its evidence pack once it ends.
      view.update({ incident: read, messages: [], now: clock.now(), title: 'drill (messages planned, not posted)' });
      if (read.summary?.status === 'resolved' && read.runtime?.runtimeStatus === 'Completed') break;
      if (read.runtime && ['Failed', 'Terminated'].includes(read.runtime.runtimeStatus)) throw new DrillError(`The drill's orchestration ended ${read.runtime.runtimeStatus}.`);
      if (Date.now() > deadline) throw new DrillError(`The drill had not ended after ${Math.round((o.timeoutMs ?? 150_000) / 1000)} s (phase ${read.runtime?.customStatus?.phase ?? '?'}).`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await host.idle();
    const outDir = o.outDir ? o.outDir(drillId) : path.resolve('drill-out', drillId);
    const exported = await exportIncident({ appUrl: app, incidentId: drillId, outDir, png: o.png ?? true });
    const after = lab?.fingerprint() ?? null;
    return {
      kind: 'drilled',
      drillId,
      summary: exported.summary,
      files: exported.files,
      outDir,
      notes: [...exported.notes, ...notes],
      answers,
      labUnchanged: before === null ? null : before === after,
      labChanges: before === null || before === after ? null : `before ${before}; after ${after}`,
    };
  } finally {
    await stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        incident: { type: 'string' },
        lab: { type: 'boolean' },
        fault: { type: 'string', multiple: true },
        service: { type: 'string' },
        environment: { type: 'string' },
        'time-scale': { type: 'string' },
        out: { type: 'string' },
        'no-png': { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    });
  } catch (err) {
    throw new DrillUsageError(errorText(err));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!positionals.length === !values.incident) throw new DrillUsageError('Give alert payload files, or --incident <id>, not both.');
  if ((values.service === undefined) !== (values.environment === undefined)) throw new DrillUsageError('--service and --environment go together.');
  let faults: LabFault[];
  try {
    faults = parseFaults(values.fault ?? []);
  } catch (err) {
    throw new DrillUsageError(errorText(err));
  }
  if (faults.length && !values.lab) throw new DrillUsageError('--fault needs --lab.');
  const scale = values['time-scale'] === undefined ? DRILL_TIME_SCALE : Number(values['time-scale']);
  if (!(scale >= 1 && scale <= 1000)) throw new DrillUsageError(`--time-scale must be a number from 1 to 1000, got ${values['time-scale']}`);
  const appRoot = path.resolve(__dirname, '..', '..', '..');
  const result = await runDrill({
    appRoot,
    ...(positionals.length ? { alerts: alertsFromFiles(positionals) } : {}),
    ...(values.incident ? { incident: values.incident } : {}),
    lab: values.lab ?? false,
    faults,
    ...(values.service && values.environment ? { route: { service: values.service, environment: values.environment } } : {}),
    timeScale: scale,
    ...(values.out ? { outDir: () => path.resolve(values.out ?? '') } : {}),
    png: !values['no-png'],
    out: (t) => process.stdout.write(t),
    tty: process.stdout.isTTY,
  });
  if (result.kind === 'not-drilled') {
    const b = result.answer.body as { kind?: string; reasons?: string[]; error?: { message?: string } };
    process.stdout.write(`Nothing was drilled: ${b.error?.message ?? `${b.kind ?? result.answer.status}: ${(b.reasons ?? []).join('; ')}`}\n`);
    return 1;
  }
  const s = result.summary;
  const rel = path.relative(process.cwd(), result.outDir) || '.';
  process.stdout.write(
    [
      '',
      `DRILL ${result.drillId}: ${s.status} (${s.severity}, ${s.service}@${s.environment}); ${actionsLine(s.actions)}`,
      'Actions:',
      ...s.actions.map((a) => `  · ${a.name} (${a.step}): ${a.outcome}: ${a.summary.slice(0, 160)}`),
      `Evidence: ${s.evidence.location} ${s.evidence.sealed ? 'sealed' : 'NOT sealed'}, ${s.evidence.verified ? 'verified' : 'NOT verified'}.`,
      result.labUnchanged === null ? '' : result.labUnchanged ? 'The lab is as the drill found it (slots, flags, audit trail, channel).' : `The lab CHANGED: ${result.labChanges ?? ''}`,
      `Wrote ${result.files.map((f) => path.join(rel, f)).join(', ')}.`,
      ...result.notes.map((n) => `Note: ${n}`),
      '',
    ]
      .filter((l, i, all) => l !== '' || i === 0 || i === all.length - 1)
      .join('\n'),
  );
  return s.status === 'resolved' && s.evidence.verified && result.labUnchanged !== false ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const usage = err instanceof DrillUsageError;
      process.stderr.write(`drill: ${errorText(err)}\n${usage ? `\n${USAGE}` : ''}`);
      process.exit(usage ? 2 : 1);
    },
  );
}

/** What the pack's action records say the drill did: counted by outcome, never assumed. */
export function actionsLine(actions: { outcome: string }[]): string {
  const by = new Map<string, number>();
  for (const a of actions) by.set(a.outcome, (by.get(a.outcome) ?? 0) + 1);
  const counts = [...by].map(([k, n]) => `${n} ${k}`).join(', ');
  const acted = actions.filter((a) => a.outcome !== 'planned' && a.outcome !== 'skipped').length;
  if (!actions.length) return 'no action was planned.';
  return acted ? `${acted} action(s) did not stay a plan (${counts}): read the actions below.` : `no action was carried out (${counts}).`;
}
