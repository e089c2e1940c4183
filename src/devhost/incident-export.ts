/**
 * Writes what one finished incident produced into a folder a person can open, for `npm run demo`
 * and `npm run drill`. Every file is copied from, and every figure read from, the product's own
 * outputs; nothing is recomputed here:
 *   report.html, postmortem.md   the sealed evidence pack's own artifacts, byte for byte
 *   report.png                   report.html rendered in headless Chromium (when installed)
 *   teams-messages.md            the messages as posted to the lab's Teams channel (a drill posts
 *                                nothing: the messages it would have posted, from its pack)
 *   summary.json                 status and severity (incident API), actions with their outcomes
 *                                (the pack's rollback records), the MTTx figures and timebox verdicts
 *                                (the pack's metrics.json), the pack's seal and verification
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BlobEvidenceStore, createBlobServiceClient, evidencePack, describeIssues, parseAppSettings } from '../app/devhost-seam.js';
import { MAX_ARTIFACT_BYTES, type IncidentMetrics } from '../domain/evidence.js';
import { ChromiumMissingError, renderReportPng } from '../cli/report-png.js';
import { channelMarkdown, type ChannelMessage } from '../lab/channel.js';
import type { IncidentRead } from './live-view.js';

export interface ExportOptions {
  appUrl: string;
  incidentId: string;
  outDir: string;
  /** The channel's messages (the lab's), when the incident posted to one. */
  channel?: ChannelMessage[];
  png?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface IncidentSummaryFile {
  incidentId: string;
  status: string;
  severity: string;
  drill: boolean;
  service: string;
  environment: string;
  phase: string;
  actions: { name: string; step: string; outcome: string; mode: string; at: string; summary: string }[];
  mttx: Pick<IncidentMetrics, 'timeToDeclare' | 'timeToAcknowledge' | 'timeToMitigate' | 'timeToRecover' | 'impactDuration'> | null;
  timeboxes: IncidentMetrics['timeboxes'];
  evidence: { location: string; sealed: boolean; manifestSha256: string | null; verified: boolean; problems: string[] };
  teamsMessages: number;
  files: string[];
}

export interface ExportResult {
  summary: IncidentSummaryFile;
  files: string[];
  notes: string[];
}

export class ExportError extends Error {
  override name = 'ExportError';
}

export async function exportIncident(o: ExportOptions): Promise<ExportResult> {
  const env = o.env ?? process.env;
  const notes: string[] = [];
  const res = await fetch(`${o.appUrl}/api/incidents/${encodeURIComponent(o.incidentId)}`);
  if (!res.ok) throw new ExportError(`GET /api/incidents/${o.incidentId} answered ${res.status}.`);
  const read = (await res.json()) as IncidentRead;
  const s = read.summary;
  if (!s) throw new ExportError(`The app has no summary for ${o.incidentId}.`);

  const built = evidencePack('incident-export', parseAppSettings(env));
  if (!built.ok) throw new ExportError(`The evidence settings are invalid:\n${describeIssues(built.issues, '  ')}`);
  const { pack, settings } = built.value;
  const found = await pack.locate(o.incidentId, { environment: s.environment });
  const prefix = found.prefixes[0];
  if (!prefix) {
    const said = read.timeline.filter((t) => t.kind === 'evidence').map((t) => t.text);
    throw new ExportError(`No evidence pack for ${o.incidentId} in ${pack.container}: ${found.notes.join('; ')}. ${said.length ? `The incident's timeline says: ${said.join(' ')}` : 'Its timeline says nothing about evidence.'}`);
  }
  const { bundle } = await pack.read(prefix);
  const verification = await pack.verify(prefix);
  const store = new BlobEvidenceStore(createBlobServiceClient(settings.storage).getContainerClient(settings.container));
  const artifact = async (name: string): Promise<Buffer> => {
    const bytes = await store.read(prefix + name, MAX_ARTIFACT_BYTES);
    if (!bytes) throw new ExportError(`The pack ${pack.container}/${prefix} has no ${name}.`);
    return bytes;
  };

  mkdirSync(o.outDir, { recursive: true });
  const files: string[] = [];
  const write = (name: string, body: string | Buffer): string => {
    const file = path.join(o.outDir, name);
    writeFileSync(file, body);
    files.push(name);
    return file;
  };
  const reportFile = write('report.html', await artifact('report.html'));
  write('postmortem.md', await artifact('postmortem.md'));
  const metrics = JSON.parse((await artifact('metrics.json')).toString('utf8')) as IncidentMetrics;

  if (o.png !== false) {
    try {
      const layout = await renderReportPng(reportFile, path.join(o.outDir, 'report.png'));
      files.push('report.png');
      if (layout.overlaps.length || layout.clipped.length) notes.push(`report.png: ${layout.overlaps.length} overlapping and ${layout.clipped.length} clipped chart label(s).`);
    } catch (err) {
      if (!(err instanceof ChromiumMissingError)) throw err;
      notes.push(`report.png not drawn: ${err.message}`);
    }
  }

  // The incident's messages: those naming it (its thread and its freeze announcements).
  const posted = (o.channel ?? []).filter((m) => m.text.includes(o.incidentId));
  let teamsMessages: number;
  if (s.drill) {
    const planned = bundle.messages.map((m) => `## ${m.at} (${m.template}, planned: a drill posts nothing)\n\n\`\`\`text\n${m.text.replace(/```/g, "'''")}\n\`\`\`\n`);
    write('teams-messages.md', [`# Teams messages of drill ${o.incidentId}`, '', `${planned.length} message(s) the drill would have posted, from its evidence pack; none was sent.`, '', ...planned].join('\n'));
    teamsMessages = planned.length;
  } else {
    // The pack records the incident's own messages (messages/); a deploy freeze is announced for the
    // environment by the freeze activity (its record is in rollback/): say which is which, so the
    // report's "Messages sent" and this file do not seem to disagree.
    const recorded = new Set(bundle.messages.flatMap((m) => (m.messageId ? [m.messageId] : [])));
    const own = posted.filter((m) => recorded.has(m.id)).length;
    const note =
      own === posted.length
        ? `All ${own} are in the evidence pack's messages/.`
        : `${own} of them are the incident's own messages, as the evidence pack records them (messages/, the report's "Messages sent"); the other ${posted.length - own} name the incident but are not in messages/ (the deploy-freeze announcements for ${s.environment}, whose actions are in rollback/).`;
    write('teams-messages.md', channelMarkdown(posted, `Teams messages of ${o.incidentId} (the lab's channel)`, note));
    teamsMessages = posted.length;
  }

  const summary: IncidentSummaryFile = {
    incidentId: o.incidentId,
    status: s.status,
    severity: s.severity,
    drill: s.drill,
    service: s.service,
    environment: s.environment,
    phase: s.phase,
    actions: bundle.rollback.map((r) => ({ name: r.action, step: r.step, outcome: r.outcome.kind, mode: r.mode, at: r.at, summary: r.outcome.summary })),
    mttx: { timeToDeclare: metrics.timeToDeclare, timeToAcknowledge: metrics.timeToAcknowledge, timeToMitigate: metrics.timeToMitigate, timeToRecover: metrics.timeToRecover, impactDuration: metrics.impactDuration },
    timeboxes: metrics.timeboxes,
    evidence: {
      location: `${pack.container}/${prefix}`,
      sealed: verification.sealed,
      manifestSha256: verification.manifestSha256 ?? null,
      verified: verification.ok,
      problems: verification.problems.map((p) => `${p.kind} ${p.name}`),
    },
    teamsMessages,
    files: [...files, 'summary.json'],
  };
  write('summary.json', `${JSON.stringify(summary, null, 2)}\n`);
  return { summary, files, notes };
}
