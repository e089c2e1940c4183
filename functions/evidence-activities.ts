/**
 * Registers the evidence activities (contracts in src/activities/evidence.contracts.ts). The
 * pack service is built from the app settings on first use; with invalid settings every write is
 * refused as data (listing the problems by setting name), so an incident's close never stalls on
 * retries of a configuration mistake.
 */
import type { InvocationContext } from '@azure/functions';
import * as c from '../src/activities/evidence.contracts.js';
import { createEvidenceActivities, summarise, type EvidenceActivities } from '../src/activities/evidence.js';
import { registerActivity } from '../src/activities/define.js';
import { evidencePack } from '../src/app/evidence.js';
import { describeIssues } from '../src/config/issues.js';
import { artifactName, nameOfInput, type ArtifactKind, type ArtifactOutcome } from '../src/domain/evidence.js';

function activities(context: InvocationContext): EvidenceActivities | { problems: string } {
  const built = evidencePack();
  if (!built.ok) {
    const problems = describeIssues(built.issues);
    context.error(`Evidence settings are invalid:\n${problems}`);
    return { problems };
  }
  return createEvidenceActivities({ pack: built.value.pack, log: (line) => context.log(line) });
}

function refused(name: string, kind: ArtifactKind, problems: string): ArtifactOutcome {
  return {
    result: 'refused',
    name,
    kind,
    reason: 'invalid',
    sha256: null,
    existingSha256: null,
    summary: `${name} not written: the evidence settings of the function app are invalid (${problems.replace(/\n/g, '; ')}).`,
  };
}

registerActivity(c.locatePack, async (input, context) => {
  const a = activities(context);
  if ('problems' in a) return { links: null, summary: `The evidence pack cannot be located: the evidence settings of the function app are invalid (${a.problems.replace(/\n/g, '; ')}).` };
  return a.locate(input);
});

registerActivity(c.writeArtifacts, async (input, context) => {
  const a = activities(context);
  if ('problems' in a) {
    const outcomes = input.artifacts.map((x) => refused(nameOfInput(x), x.kind, a.problems));
    return { outcomes, ...summarise(outcomes) };
  }
  return a.writeArtifacts(input);
});

registerActivity(c.writeReports, async (input, context) => {
  const a = activities(context);
  if ('problems' in a) {
    const outcomes = (['metrics', 'postmortem', 'report'] as const).map((k) => refused(artifactName(k), k, a.problems));
    return { outcomes, metrics: null, postmortemDue: null, summary: summarise(outcomes).summary };
  }
  return a.writeReports(input);
});

registerActivity(c.sealPack, async (input, context) => {
  const a = activities(context);
  if ('problems' in a) {
    return { result: 'refused' as const, reason: 'invalid' as const, summary: `Not sealed: the evidence settings of the function app are invalid (${a.problems.replace(/\n/g, '; ')}).`, manifest: null, excluded: [] };
  }
  return a.seal(input);
});
