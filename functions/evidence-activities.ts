/**
 * Registers the evidence activities (contracts in src/activities/evidence.contracts.ts). The
 * pack service is loaded and built from the app settings on the first invocation (src/app/evidence.ts); with invalid
 * settings every write is refused as data (listing the problems by setting name), so an
 * incident's close never stalls on retries of a configuration mistake.
 */
import { activityHandlers, activityNamed } from '../src/activities/define.js';
import type { ArtifactKind, ArtifactOutcome } from '../src/domain/evidence.js';

// The contracts, and the evidence domain the refusals are written with, load on the first invocation.
const c = (): Promise<typeof import('../src/activities/evidence.contracts.js')> => import('../src/activities/evidence.contracts.js');
const evidence = (): Promise<typeof import('../src/domain/evidence.js')> => import('../src/domain/evidence.js');

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

register(activityNamed('evidence_locate', async () => (await c()).locatePack), (a, input) => a.locate(input), (problems) => ({ links: null, summary: `The evidence pack cannot be located: the evidence settings of the function app are invalid (${inOneLine(problems)}).` }));

register(
  activityNamed('evidence_writeArtifacts', async () => (await c()).writeArtifacts),
  (a, input) => a.writeArtifacts(input),
  async (problems, input) => {
    const { nameOfInput, summariseArtifacts } = await evidence();
    const outcomes = input.artifacts.map((x) => refused(nameOfInput(x), x.kind, problems));
    return { outcomes, ...summariseArtifacts(outcomes) };
  },
);

register(
  activityNamed('evidence_writeReports', async () => (await c()).writeReports),
  (a, input) => a.writeReports(input),
  async (problems) => {
    const { artifactName, summariseArtifacts } = await evidence();
    const outcomes = (['metrics', 'postmortem', 'report'] as const).map((k) => refused(artifactName(k), k, problems));
    return { outcomes, metrics: null, postmortemDue: null, summary: summariseArtifacts(outcomes).summary };
  },
);

register(
  activityNamed('evidence_seal', async () => (await c()).sealPack),
  (a, input) => a.seal(input),
  (problems) => ({ result: 'refused' as const, reason: 'invalid' as const, summary: `Not sealed: the evidence settings of the function app are invalid (${inOneLine(problems)}).`, manifest: null, excluded: [] }),
);
