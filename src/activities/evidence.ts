/**
 * Handlers of the evidence activities (contracts in ./evidence.contracts.ts), built on the
 * evidence pack service so tests run them against Azurite.
 *
 * No step-ledger entry: each write is its own ledger. A blob that exists already is read back and
 * compared by SHA-256, so a retry after a crash (or a replay) finds its earlier write and reports
 * `unchanged` instead of writing again; the documents are rendered from the pack and the
 * orchestration's clock, so a retry renders the same bytes.
 */
import type { z } from 'zod';
import type { EvidencePack } from './evidence-pack.js';
import type { ArtifactOutcome, PackRef } from '../domain/evidence.js';
import { artifactName, MANIFEST_NAME, packPrefix, serializeJson, summariseArtifacts } from '../domain/evidence.js';
import { renderIncidentReport } from '../domain/incident-report.js';
import { renderPostmortem } from '../domain/postmortem.js';
import { draftActionItems, postmortemDue } from '../domain/report-format.js';
import type { locatePack, sealPack, writeArtifacts, writeReports } from './evidence.contracts.js';

type In<D extends { input: z.ZodType }> = z.output<D['input']>;
type Out<D extends { output: z.ZodType }> = z.input<D['output']>;

export interface EvidenceActivities {
  locate(input: In<typeof locatePack>): Promise<Out<typeof locatePack>>;
  writeArtifacts(input: In<typeof writeArtifacts>): Promise<Out<typeof writeArtifacts>>;
  writeReports(input: In<typeof writeReports>): Promise<Out<typeof writeReports>>;
  seal(input: In<typeof sealPack>): Promise<Out<typeof sealPack>>;
}

export interface EvidencePorts {
  pack: EvidencePack;
  log?: (line: string) => void;
}

export function createEvidenceActivities(p: EvidencePorts): EvidenceActivities {
  const log = p.log ?? (() => undefined);
  const where = (ref: PackRef) => `${p.pack.container}/${packPrefix(ref)}`;

  return {
    locate(input) {
      const location = where(input.pack);
      const url = (name: string) => p.pack.url(input.pack, name);
      const links = { location, manifestUrl: url(MANIFEST_NAME), postmortemUrl: url(artifactName('postmortem')), reportUrl: url(artifactName('report')) };
      return Promise.resolve({ links, summary: `Evidence pack at ${location}.` });
    },

    async writeArtifacts(input) {
      const outcomes = await p.pack.writeArtifacts(input.pack, input.artifacts, input.mode);
      const s = summariseArtifacts(outcomes, input.mode === 'plan');
      log(`${where(input.pack)}: ${s.summary}`);
      return { outcomes, ...s };
    },

    async writeReports(input) {
      const prefix = packPrefix(input.pack);
      const { bundle, notes } = await p.pack.read(prefix, input.pack);
      for (const n of notes) log(`${where(input.pack)}: ${n}`);
      if (!bundle.incident && input.mode === 'plan') {
        // A drill writes no incident record, so there is nothing to render yet: say what would be.
        return { outcomes: [], metrics: null, postmortemDue: null, summary: `Plan: ${artifactName('metrics')}, ${artifactName('postmortem')} and ${artifactName('report')} would be rendered from the incident record; nothing written.` };
      }
      if (!bundle.incident) {
        const refuse = (kind: 'metrics' | 'postmortem' | 'report'): ArtifactOutcome => ({
          result: 'refused',
          name: artifactName(kind),
          kind,
          reason: 'no-incident-record',
          sha256: null,
          existingSha256: null,
          summary: `${artifactName(kind)} not written: the pack has no incident.json yet (write the incident record first).`,
        });
        const outcomes = [refuse('metrics'), refuse('postmortem'), refuse('report')];
        return { outcomes, metrics: null, postmortemDue: null, summary: summariseArtifacts(outcomes).summary };
      }
      // The figures the incident record derived (incident.json): the report and the postmortem read the same.
      const metrics = bundle.incident.metrics;
      const due = postmortemDue(bundle.incident, input.dueBusinessDays).due;
      const location = `${p.pack.container}/${prefix}`;
      // The documents list the pack's artifacts, including the three written here.
      for (const kind of ['metrics', 'postmortem', 'report'] as const) {
        const name = artifactName(kind);
        if (!bundle.artifacts.some((a) => a.name === name)) bundle.artifacts.push({ name, kind, url: p.pack.url(input.pack, name) });
      }
      bundle.artifacts.sort((a, b) => (a.name < b.name ? -1 : 1));
      const docInput = { bundle, metrics, generatedAt: input.at, dueBusinessDays: input.dueBusinessDays, location };
      const outcomes = await p.pack.put(
        input.pack,
        [
          p.pack.prepareText(artifactName('metrics'), 'metrics', serializeJson(metrics)),
          p.pack.prepareDocument('postmortem', renderPostmortem(docInput)),
          p.pack.prepareDocument('report', renderIncidentReport(docInput)),
        ],
        input.mode,
      );
      const s = summariseArtifacts(outcomes, input.mode === 'plan');
      log(`${location}: ${s.summary}`);
      return { outcomes, metrics, postmortemDue: new Date(due).toISOString().slice(0, 10), summary: s.summary, actionItems: draftActionItems(bundle, due).slice(0, 100) };
    },

    async seal(input) {
      const outcome = await p.pack.seal(input.pack, input.at, input.mode);
      log(`${where(input.pack)}: ${outcome.summary}`);
      return outcome;
    },
  };
}
