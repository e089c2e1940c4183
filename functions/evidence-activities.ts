/**
 * Registers the evidence activities (contracts in src/activities/evidence.contracts.ts). The
 * pack service is loaded and built from the app settings on the first invocation (src/app/evidence.ts); with invalid
 * settings every write is refused as data (listing the problems by setting name), so an
 * incident's close never stalls on retries of a configuration mistake.
 */
import * as c from '../src/activities/evidence.contracts.js';
import { summariseArtifacts } from '../src/domain/evidence.js';
import { activityHandlers } from '../src/activities/define.js';
import { artifactName, nameOfInput, type ArtifactKind, type ArtifactOutcome } from '../src/domain/evidence.js';

const register = activityHandlers('Evidence', async (context) => (await import('../src/app/evidence.js')).appEvidenceActivities((line) => context.log(line)));

const inOneLine = (problems: string) => problems.replace(/\n/g, '; ');

function refused(name: string, kind: ArtifactKind, problems: string): ArtifactOutcome {
  return {
    result: 'refused',
    name,
    kind,
    reason: 'invalid',
    sha256: null,
    existingSha256: null,
    summary: `${name} not written: the evidence settings of the function app are invalid (${inOneLine(problems)}).`,
  };
}

register(c.locatePack, (a, input) => a.locate(input), (problems) => ({ links: null, summary: `The evidence pack cannot be located: the evidence settings of the function app are invalid (${inOneLine(problems)}).` }));

register(
  c.writeArtifacts,
  (a, input) => a.writeArtifacts(input),
  (problems, input) => {
    const outcomes = input.artifacts.map((x) => refused(nameOfInput(x), x.kind, problems));
    return { outcomes, ...summariseArtifacts(outcomes) };
  },
);

register(
  c.writeReports,
  (a, input) => a.writeReports(input),
  (problems) => {
    const outcomes = (['metrics', 'postmortem', 'report'] as const).map((k) => refused(artifactName(k), k, problems));
    return { outcomes, metrics: null, postmortemDue: null, summary: summariseArtifacts(outcomes).summary };
  },
);

register(
  c.sealPack,
  (a, input) => a.seal(input),
  (problems) => ({ result: 'refused' as const, reason: 'invalid' as const, summary: `Not sealed: the evidence settings of the function app are invalid (${inOneLine(problems)}).`, manifest: null, excluded: [] }),
);
