/**
 * The evidence pack of an incident (DESIGN section 8, RB-03 section 9, RB-02 section 11): what
 * is archived, under which names, with which content types and blob index tags, the manifest
 * that seals it, and how a pack is checked against its manifest. Pure: the blob adapter and the
 * activities do the I/O.
 *
 * Layout, under `{env}/{yyyy}/{mm}/{incidentId}/` (year and month of the declaration, UTC):
 *   incident.json            the incident record (summary, impact, release, roles, milestones, timeboxes)
 *   timeline.json            the timeline (UTC, actor, kind, text)
 *   alerts/{key}.json        raw alert payloads, redacted
 *   smoke/{runId}.json       smoke check runs (every result with its measurements)
 *   audit/{key}.json         flag/config audit diffs (before -> after)
 *   rollback/{step}.json     containment/rollback actions with their execution ids
 *   messages/{key}.json      messages sent (Teams), as rendered
 *   approvals/{key}.json     approvals and decisions, with the approver
 *   metrics.json             time to declare / acknowledge / mitigate / recover
 *   postmortem.md            the postmortem draft (RB-03 section 11)
 *   report.html              the incident report (SVG timeline)
 *   manifest.json            written last: every artifact with its SHA-256 and size
 */
import { z } from 'zod';
import { SeverityLevel } from './policy.js';
import { ActionMode, ActionOutcome, Change } from './actions.js';
import { ActionItemCategory } from './follow-up.js';
import { IncidentSummary, TimelineEntry } from './incident.js';

const iso = z.iso.datetime({ offset: true });

export const MANIFEST_SCHEMA = 'incident-autopilot/evidence-manifest/v1';
export const MANIFEST_NAME = 'manifest.json';
/** Artifacts are small documents; anything larger is refused rather than truncated. */
export const MAX_ARTIFACT_BYTES = 4 * 1024 * 1024;

/** Incident ids become one path segment: letters, digits, ".", "_" and "-" only. */
export const EvidenceIncidentId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be 1-128 letters, digits, ".", "_" or "-" (it becomes a blob path segment)')
  .refine((s) => !s.includes('..'), 'must not contain ".."');
const PathName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, 'must be 1-32 letters, digits, "-" or "_", starting with a letter');
/** The key of one artifact of a multi-artifact kind: it becomes a file name. */
export const ArtifactKey = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be 1-100 letters, digits, ".", "_" or "-"')
  .refine((s) => !s.includes('..'), 'must not contain ".."');

/** Which pack: everything needed for its place (prefix) and its tags. */
export const PackRef = z.object({
  incidentId: EvidenceIncidentId,
  environment: PathName,
  service: z.string().min(1).max(64),
  severity: SeverityLevel,
  /** The release running when the incident was declared (tag), if known. */
  release: z.string().max(128).nullable().default(null),
  declaredAt: iso,
});
export type PackRef = z.infer<typeof PackRef>;

export function packPrefix(ref: Pick<PackRef, 'environment' | 'declaredAt' | 'incidentId'>): string {
  const d = new Date(ref.declaredAt);
  const yyyy = String(d.getUTCFullYear()).padStart(4, '0');
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0');
  return `${ref.environment}/${yyyy}/${mm}/${ref.incidentId}/`;
}

/** `{env}/{yyyy}/{mm}/{incidentId}/` back into its parts, or undefined. */
export function parsePrefix(prefix: string): { environment: string; year: number; month: number; incidentId: string } | undefined {
  const m = /^([^/]+)\/(\d{4})\/(\d{2})\/([^/]+)\/$/.exec(prefix);
  if (!m) return undefined;
  return { environment: m[1]!, year: Number(m[2]), month: Number(m[3]), incidentId: m[4]! };
}

// ---------------------------------------------------------------------------------------------
// Artifact contents

export const Milestones = z.object({
  /** When the problem was first detected (the first alert fired), if known. */
  detectedAt: iso.nullable().default(null),
  declaredAt: iso,
  acknowledgedAt: iso.nullable().default(null),
  /** The containment decision (by a person, or automatic when nobody answered). */
  decidedAt: iso.nullable().default(null),
  /** Containment done (flags reverted, slot swapped). */
  mitigatedAt: iso.nullable().default(null),
  /** Smoke checks green after containment. */
  recoveredAt: iso.nullable().default(null),
  resolvedAt: iso.nullable().default(null),
});
export type Milestones = z.infer<typeof Milestones>;

export const TimeboxName = z.enum(['ic', 'ack', 'decision', 'containment', 'recovery', 'monitoring']);
export type TimeboxName = z.infer<typeof TimeboxName>;

/** Met in time, missed, still open, or not applicable (the incident ended before it was needed). */
export const TimeboxVerdict = z.enum(['met', 'missed', 'open', 'not-applicable']);
export type TimeboxVerdict = z.infer<typeof TimeboxVerdict>;

/** A timebox and its verdict, as the incident record derived them (src/domain/incident-record.ts). */
export const TimeboxRecord = z.object({
  name: TimeboxName,
  startedAt: iso,
  /** Deadline including extensions. */
  deadline: iso,
  /** When what it waited for happened (ack received, decision taken, smoke green...), null when it did not. */
  metAt: iso.nullable().default(null),
  extendedMinutes: z.number().int().nonnegative().default(0),
  verdict: TimeboxVerdict,
  /** Why, when the verdict needs it ("nobody decided in time; the runbook decided at the deadline"). */
  note: z.string().max(500).nullable().default(null),
});
export type TimeboxRecord = z.infer<typeof TimeboxRecord>;

export const Duration = z.object({ from: iso, to: iso, seconds: z.number().nonnegative() });
export type Duration = z.infer<typeof Duration>;
/** RB-03 metrics as the incident record derived them (metrics.json, and the report's and postmortem's figures). */
export const IncidentMetrics = z.object({
  /** Detection (the alert's fired time, only when believed) to declaration. */
  timeToDeclare: Duration.nullable(),
  timeToAcknowledge: Duration.nullable(),
  timeToMitigate: Duration.nullable(),
  timeToRecover: Duration.nullable(),
  /** Detection (or declaration) to recovery (or resolution): how long users were affected. */
  impactDuration: Duration.nullable(),
  /** Declaration to resolution. */
  openDuration: Duration.nullable().default(null),
  timeboxes: z.array(z.object({ name: TimeboxName, deadline: iso, metAt: iso.nullable(), verdict: TimeboxVerdict })),
});
export type IncidentMetrics = z.infer<typeof IncidentMetrics>;

export const PhaseName = z.enum(['Detect', 'Triage', 'Contain', 'Recover', 'Monitor']);
export const PhaseRecord = z.object({ name: PhaseName, start: iso, end: iso });
export type Phase = z.infer<typeof PhaseRecord>;

/** The declaring alert's own fired time, and whether it was believed as the detection time. */
export const DetectionRecord = z.object({
  firedAt: iso.nullable(),
  receivedAt: iso.nullable(),
  trusted: z.boolean(),
  /** Why not ("fired 16 days before it reached us"). */
  note: z.string().max(300).nullable(),
});
export type DetectionRecord = z.infer<typeof DetectionRecord>;

export { ActionItemCategory } from './follow-up.js';

export const ActionItem = z.object({
  title: z.string().min(1).max(500),
  owner: z.string().max(256).nullable().default(null),
  /** Due date (UTC date or date-time); default: the postmortem due date. */
  due: z.string().max(40).nullable().default(null),
  category: ActionItemCategory.default('other'),
});
export type ActionItem = z.infer<typeof ActionItem>;

export const IncidentRecord = z.object({
  summary: IncidentSummary,
  impact: z
    .object({
      /** What was affected: "api", "web", "jobs", "SSE streams"... */
      affected: z.array(z.string().max(200)).max(50).default([]),
      /** Who was affected, in words ("all Prod users of the admin portal", "~30 % of SSE clients"). */
      users: z.string().max(2000).nullable().default(null),
      description: z.string().max(4000).nullable().default(null),
    })
    .default({ affected: [], users: null, description: null }),
  release: z
    .object({
      /** Release (tag) running when the incident was declared. */
      current: z.string().max(128).nullable().default(null),
      lkg: z.string().max(128).nullable().default(null),
      /** Release in production after containment (the LKG after a rollback). */
      restored: z.string().max(128).nullable().default(null),
      /** The release this incident recorded as the new last known good (after a clean monitoring window). */
      recorded: z.string().max(128).nullable().default(null),
    })
    .default({ current: null, lkg: null, restored: null, recorded: null }),
  roles: z
    .object({
      ic: z.string().max(256).nullable().default(null),
      deputy: z.string().max(256).nullable().default(null),
      scribe: z.string().max(256).nullable().default(null),
      comms: z.string().max(256).nullable().default(null),
    })
    .default({ ic: null, deputy: null, scribe: null, comms: null }),
  milestones: Milestones,
  /** Every timebox the incident ran (a flapping service opens one monitoring window per recovery). */
  timeboxes: z.array(TimeboxRecord).max(2000).default([]),
  /** The runbook's phases as they happened (the report's phase band). */
  phases: z.array(PhaseRecord).max(5000).default([]),
  detection: DetectionRecord.nullable().default(null),
  metrics: IncidentMetrics,
  containment: z
    .object({
      choice: z.string().max(64),
      decidedBy: z.string().max(256),
      at: iso,
      /** True when the runbook decided because nobody answered in time ("if in doubt, roll back"). */
      automatic: z.boolean().default(false),
      reason: z.string().max(2000).nullable().default(null),
      /** Every containment action that changed something, in order ("set-flag EnableLegacyHttpSse", "api-to-lkg"). */
      actions: z.array(z.string().max(300)).max(100).default([]),
    })
    .nullable()
    .default(null),
  /** RB-02 section 9: each reapply-and-parity loop, how many reapplies, and how and why it stopped. */
  parity: z
    .array(z.object({ attempts: z.number().int().min(0), keys: z.array(z.string().max(300)).max(200), outcome: z.enum(['clean', 'bound', 'not-reapplyable', 'plan', 'running']), text: z.string().max(2000) }))
    .max(50)
    .default([]),
  /** Forward fixes that follow the rollback (a DB migration stays; its fix ships forward). */
  forwardFixes: z.array(z.object({ title: z.string().min(1).max(500), detail: z.string().max(2000).nullable().default(null), owner: z.string().max(256).nullable().default(null) })).max(50).default([]),
  /** Action items people added during the incident (the draft adds the runbook's standard ones). */
  actionItems: z.array(ActionItem).max(100).default([]),
  /** Ticket, Teams thread, dashboards, LKG evidence pack... */
  links: z.array(z.object({ label: z.string().min(1).max(200), url: z.string().max(2000) })).max(50).default([]),
});
export type IncidentRecord = z.infer<typeof IncidentRecord>;
export type IncidentRecordInput = z.input<typeof IncidentRecord>;

export const AlertPayloadRecord = z.object({
  dedupeKey: z.string().max(512),
  receivedAt: iso,
  /** Where the raw payload was archived on receipt (incident-alert-payloads/...). */
  ref: z.string().max(1024).nullable().default(null),
  payload: z.unknown(),
});
export type AlertPayloadRecord = z.infer<typeof AlertPayloadRecord>;
/** As handed over: the payload itself, or only the reference to the intake's archive (the activity reads it). */
export const AlertPayloadInput = AlertPayloadRecord.extend({ payload: z.unknown().optional() }).refine((a) => a.payload !== undefined || !!a.ref, {
  message: 'give the payload or the reference it was archived under',
});

/** One smoke check result (DESIGN section 4): the verdict and what was measured. */
export const SmokeStatus = z.enum(['pass', 'degraded', 'fail', 'error']);
export type SmokeStatus = z.infer<typeof SmokeStatus>;
export const SmokeResult = z.object({
  /** health, sse, contract, pages, parity (or another configured check). */
  check: z.string().min(1).max(64),
  /** The instance/slot/endpoint it ran against. */
  target: z.string().max(500),
  status: SmokeStatus,
  summary: z.string().max(2000).default(''),
  measurements: z.record(z.string().max(100), z.union([z.number(), z.string().max(500), z.boolean(), z.null()])).default({}),
  durationMs: z.number().nonnegative().nullable().default(null),
});
export type SmokeResult = z.infer<typeof SmokeResult>;
export const SmokeRun = z.object({
  runId: ArtifactKey,
  at: iso,
  /** snapshot (first 15 minutes), containment, recovery, monitoring... */
  phase: z.string().min(1).max(64),
  results: z.array(SmokeResult).max(500),
});
export type SmokeRun = z.infer<typeof SmokeRun>;

/** Flag/config audit diff (AuditEvent rows: who, what, when, before -> after). */
export const AuditRecord = z.object({
  at: iso,
  actor: z.string().max(256),
  source: z.string().max(200).default('dbo.AuditEvent'),
  requestId: z.string().max(256).nullable().default(null),
  summary: z.string().max(2000).default(''),
  changes: z.array(Change).max(500),
});
export type AuditRecord = z.infer<typeof AuditRecord>;

/** An action's real outcome: what the target answered, or `failed` when it kept failing through its retries (the raw error kept). */
export const RecordedOutcome = z.discriminatedUnion('kind', [...ActionOutcome.options, z.object({ kind: z.literal('failed'), summary: z.string(), error: z.string() })]);
export type RecordedOutcome = z.infer<typeof RecordedOutcome>;

/** A containment/rollback action and its outcome (execution ids: audit request ids, ARM operation ids). */
export const RollbackRecord = z.object({
  step: z.string().min(1).max(200),
  /** The activity that ran it, e.g. "appService_apiToLkg". */
  action: z.string().min(1).max(200),
  at: iso,
  mode: ActionMode.default('execute'),
  outcome: RecordedOutcome,
  /** For people: the cause in one line and the next step (the outcome keeps the target's own words). */
  cause: z.string().max(1000).nullable().default(null),
});
export type RollbackRecord = z.infer<typeof RollbackRecord>;

export const MessageRecord = z.object({
  at: iso,
  /** declared, update, stabilized, rollback-executed, resolved, escalation, reminder... */
  template: z.string().min(1).max(64),
  channel: z.string().max(500),
  text: z.string().max(20_000),
  messageId: z.string().max(500).nullable().default(null),
  delivered: z.boolean().default(true),
});
export type MessageRecord = z.infer<typeof MessageRecord>;

export const ApprovalRecord = z.object({
  at: iso,
  approver: z.object({ id: z.string().max(256), name: z.string().max(256).optional(), via: z.string().max(64), verified: z.boolean().optional() }),
  /** What was approved: a containment choice, a rollback, an extension. */
  decision: z.string().min(1).max(200),
  proposalId: z.string().max(128).nullable().default(null),
  reason: z.string().max(2000).nullable().default(null),
});
export type ApprovalRecord = z.infer<typeof ApprovalRecord>;

/** One reading of the Azure Monitor signals as the runbook judged it (src/domain/signals-judgement.ts): the recovery verdict, flaps, triage. */
export const SignalsRecord = z.object({
  at: iso,
  purpose: z.enum(['snapshot', 'verify', 'monitor', 'update', 'deadline']),
  recovery: z
    .object({
      recovered: z.boolean(),
      basis: z.enum(['signals', 'checks-and-partial', 'checks-only']),
      summary: z.string().max(4000),
      blocking: z.array(z.string().max(1000)).max(50),
      blind: z.array(z.string().max(1000)).max(50),
      activeAlerts: z.array(z.string().max(300)).max(20),
      metrics: z.array(z.object({ label: z.string().max(200), state: z.string().max(20), text: z.string().max(600) })).max(12),
    })
    .nullable(),
  flap: z.object({ signal: z.string().max(200), flaps: z.number().int(), times: z.array(z.string().max(40)).max(100), rollBack: z.boolean(), text: z.string().max(1000) }).nullable(),
  triage: z
    .object({
      status: z.enum(['read', 'unavailable', 'not-configured']),
      lines: z.array(z.string().max(8000)).max(12),
      topErrorCodes: z.array(z.object({ code: z.string().max(100), count: z.number() })).max(10),
      requestIds: z.array(z.string().max(128)).max(10),
      queryLink: z.string().max(8000).nullable(),
    })
    .nullable(),
});
export type SignalsRecord = z.infer<typeof SignalsRecord>;



// ---------------------------------------------------------------------------------------------
// Kinds, names, content types

export const ArtifactKind = z.enum([
  'incident',
  'timeline',
  'alert-payload',
  'smoke',
  'audit',
  'rollback',
  'message',
  'approval',
  'signals',
  'metrics',
  'postmortem',
  'report',
  /** The customer message draft (Markdown): for a person to review and send; never sent by the automation. */
  'customer-draft',
  'manifest',
]);
export type ArtifactKind = z.infer<typeof ArtifactKind>;

interface KindInfo {
  /** A single file, or a folder of files named by key. */
  file?: string;
  folder?: string;
  contentType: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

export const KINDS: Record<ArtifactKind, KindInfo> = {
  incident: { file: 'incident.json', contentType: JSON_TYPE },
  timeline: { file: 'timeline.json', contentType: JSON_TYPE },
  'alert-payload': { folder: 'alerts', contentType: JSON_TYPE },
  smoke: { folder: 'smoke', contentType: JSON_TYPE },
  audit: { folder: 'audit', contentType: JSON_TYPE },
  rollback: { folder: 'rollback', contentType: JSON_TYPE },
  message: { folder: 'messages', contentType: JSON_TYPE },
  approval: { folder: 'approvals', contentType: JSON_TYPE },
  signals: { folder: 'signals', contentType: JSON_TYPE },
  metrics: { file: 'metrics.json', contentType: JSON_TYPE },
  postmortem: { file: 'postmortem.md', contentType: 'text/markdown; charset=utf-8' },
  report: { file: 'report.html', contentType: 'text/html; charset=utf-8' },
  'customer-draft': { file: 'customer-draft.md', contentType: 'text/markdown; charset=utf-8' },
  manifest: { file: MANIFEST_NAME, contentType: JSON_TYPE },
};

/** The artifact's name inside the pack (relative to the prefix). */
export function artifactName(kind: ArtifactKind, key?: string): string {
  const info = KINDS[kind];
  if (info.file) return info.file;
  if (!key) throw new Error(`internal: artifacts of kind ${kind} need a key`);
  return `${info.folder}/${ArtifactKey.parse(key)}.json`;
}

/** The kind of an artifact from its name in the pack, or undefined for a name we never write. */
export function kindOfName(name: string): ArtifactKind | undefined {
  for (const [kind, info] of Object.entries(KINDS) as [ArtifactKind, KindInfo][]) {
    if (info.file === name) return kind;
    if (info.folder && name.startsWith(`${info.folder}/`) && name.endsWith('.json')) {
      const key = name.slice(info.folder.length + 1, -'.json'.length);
      if (ArtifactKey.safeParse(key).success) return kind;
    }
  }
  return undefined;
}

/** What the orchestration hands over, by kind (validated on both sides of the activity). */
export const ArtifactInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('incident'), content: IncidentRecord }),
  z.object({ kind: z.literal('timeline'), content: z.array(TimelineEntry).max(5000) }),
  z.object({ kind: z.literal('alert-payload'), key: ArtifactKey, content: AlertPayloadInput }),
  z.object({ kind: z.literal('smoke'), content: SmokeRun }),
  z.object({ kind: z.literal('audit'), key: ArtifactKey, content: AuditRecord }),
  z.object({ kind: z.literal('rollback'), key: ArtifactKey, content: RollbackRecord }),
  z.object({ kind: z.literal('message'), key: ArtifactKey, content: MessageRecord }),
  z.object({ kind: z.literal('approval'), key: ArtifactKey, content: ApprovalRecord }),
  z.object({ kind: z.literal('signals'), key: ArtifactKey, content: SignalsRecord }),
  /** Markdown, stored as text (redacted like every artifact). */
  z.object({ kind: z.literal('customer-draft'), content: z.string().min(1).max(100_000) }),
]);
export type ArtifactInput = z.infer<typeof ArtifactInput>;
export type ArtifactInputIn = z.input<typeof ArtifactInput>;

export function nameOfInput(a: ArtifactInput): string {
  switch (a.kind) {
    case 'incident':
    case 'timeline':
    case 'customer-draft':
      return artifactName(a.kind);
    case 'smoke':
      return artifactName('smoke', a.content.runId);
    default:
      return artifactName(a.kind, a.key);
  }
}

/** Schema of the stored content of each JSON kind (used when a pack is read back). */
export const STORED_CONTENT: Partial<Record<ArtifactKind, z.ZodType>> = {
  incident: IncidentRecord,
  timeline: z.array(TimelineEntry),
  'alert-payload': AlertPayloadRecord,
  smoke: SmokeRun,
  audit: AuditRecord,
  rollback: RollbackRecord,
  message: MessageRecord,
  approval: ApprovalRecord,
  signals: SignalsRecord,
  metrics: IncidentMetrics,
};

/** JSON as stored: two-space indent and a final newline, so packs read well and hash stably. */
export function serializeJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Blob index tags

/** Blob index tags: at most 10; keys 1-128, values 0-256 characters of [A-Za-z0-9 +-.:=_/]. */
export const MAX_TAGS = 10;
const TAG_CHAR = /[A-Za-z0-9 +\-.:=_/]/;

export function sanitizeTagValue(value: string): string {
  let out = '';
  for (const ch of value) out += TAG_CHAR.test(ch) ? ch : '_';
  return out.slice(0, 256);
}

export function sanitizeTagKey(key: string): string {
  const s = sanitizeTagValue(key).slice(0, 128);
  return s === '' ? '_' : s;
}

/** The tags every artifact of a pack carries (findable with `incident = '<id>'` across the account). */
export function evidenceTags(ref: PackRef, kind: ArtifactKind): Record<string, string> {
  const tags: Record<string, string> = {
    environment: ref.environment,
    service: ref.service,
    severity: ref.severity,
    release: ref.release ?? 'unknown',
    incident: ref.incidentId,
    kind,
  };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags).slice(0, MAX_TAGS)) out[sanitizeTagKey(k)] = sanitizeTagValue(v);
  return out;
}

/** A filterBlobs expression for one incident (tag values are single-quoted; quotes cannot occur after sanitising). */
export function incidentTagFilter(incidentId: string, container?: string): string {
  const where = `"incident" = '${sanitizeTagValue(incidentId)}'`;
  return container ? `@container = '${container}' AND ${where}` : where;
}

// ---------------------------------------------------------------------------------------------
// Manifest and verification

export const ManifestEntry = z.object({
  name: z.string(),
  kind: ArtifactKind,
  contentType: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  writtenAt: iso.nullable(),
  /** How many values redaction removed before the artifact was written. */
  redactions: z.number().int().nonnegative().default(0),
});
export type ManifestEntry = z.infer<typeof ManifestEntry>;

export const Manifest = z.object({
  schema: z.literal(MANIFEST_SCHEMA),
  incidentId: z.string(),
  environment: z.string(),
  service: z.string(),
  severity: z.string(),
  release: z.string().nullable(),
  prefix: z.string(),
  container: z.string(),
  sealedAt: iso,
  sealedBy: z.string(),
  artifacts: z.array(ManifestEntry),
  /** Blobs found under the prefix at sealing time and left out (unknown name, content changed after writing). */
  excluded: z.array(z.object({ name: z.string(), reason: z.string() })).default([]),
});
export type Manifest = z.infer<typeof Manifest>;

export interface FoundArtifact {
  name: string;
  sha256: string;
  size: number;
}

export type VerifyProblem =
  | { kind: 'missing'; name: string; expected: { sha256: string; size: number } }
  | { kind: 'changed'; name: string; expected: { sha256: string; size: number }; actual: { sha256: string; size: number } }
  | { kind: 'extra'; name: string; actual: { sha256: string; size: number } };

export interface VerifyResult {
  ok: boolean;
  verified: string[];
  problems: VerifyProblem[];
}

/** Compares what is stored under the prefix (manifest excluded) with the manifest. */
export function compareWithManifest(manifest: Manifest, found: readonly FoundArtifact[]): VerifyResult {
  const byName = new Map(found.map((f) => [f.name, f]));
  const listed = new Set(manifest.artifacts.map((a) => a.name));
  const problems: VerifyProblem[] = [];
  const verified: string[] = [];
  for (const a of manifest.artifacts) {
    const f = byName.get(a.name);
    const expected = { sha256: a.sha256, size: a.size };
    if (!f) problems.push({ kind: 'missing', name: a.name, expected });
    else if (f.sha256 !== a.sha256 || f.size !== a.size) problems.push({ kind: 'changed', name: a.name, expected, actual: { sha256: f.sha256, size: f.size } });
    else verified.push(a.name);
  }
  for (const f of found) {
    if (!listed.has(f.name) && f.name !== MANIFEST_NAME) problems.push({ kind: 'extra', name: f.name, actual: { sha256: f.sha256, size: f.size } });
  }
  problems.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return { ok: problems.length === 0, verified, problems };
}

export function describeProblem(p: VerifyProblem): string {
  switch (p.kind) {
    case 'missing':
      return `MISSING  ${p.name}: listed in the manifest (sha256 ${p.expected.sha256}, ${p.expected.size} bytes) but not stored`;
    case 'changed':
      return `CHANGED  ${p.name}: sha256 ${p.actual.sha256} (${p.actual.size} bytes), manifest says ${p.expected.sha256} (${p.expected.size} bytes)`;
    case 'extra':
      return `EXTRA    ${p.name}: stored (sha256 ${p.actual.sha256}, ${p.actual.size} bytes) but not in the manifest`;
  }
}

// ---------------------------------------------------------------------------------------------
// Smoke results

/** Worst status of a set of smoke results, as the report colours it. */
export function smokeVerdict(results: readonly { status: SmokeStatus }[]): 'green' | 'degraded' | 'red' | 'none' {
  if (results.length === 0) return 'none';
  if (results.some((r) => r.status === 'fail' || r.status === 'error')) return 'red';
  if (results.some((r) => r.status === 'degraded')) return 'degraded';
  return 'green';
}

// ---------------------------------------------------------------------------------------------
// A pack read back (for rendering and for the CLI)

export interface EvidenceBundle {
  ref: PackRef;
  incident: IncidentRecord | null;
  timeline: TimelineEntry[];
  alerts: { name: string; record: AlertPayloadRecord }[];
  smoke: SmokeRun[];
  audit: AuditRecord[];
  rollback: RollbackRecord[];
  messages: MessageRecord[];
  approvals: ApprovalRecord[];
  /** Every artifact name in the pack, with a link if the store gives one. */
  artifacts: { name: string; kind: ArtifactKind | null; url: string | null }[];
}

// ---------------------------------------------------------------------------------------------
// Outcomes (activity outputs): expected results are data, never exceptions.

const sha = z.string().regex(/^[0-9a-f]{64}$/);

export const RefusalReason = z.enum(['different-content', 'sealed', 'too-large', 'payload-missing', 'denied', 'invalid', 'empty', 'no-incident-record']);
export type RefusalReason = z.infer<typeof RefusalReason>;

export const ArtifactOutcome = z.discriminatedUnion('result', [
  /** Stored now. */
  z.object({ result: z.literal('written'), name: z.string(), kind: ArtifactKind, sha256: sha, size: z.number().int(), redactions: z.number().int(), summary: z.string() }),
  /** Stored before with exactly these bytes (a retry, a replay): nothing written again. */
  z.object({ result: z.literal('unchanged'), name: z.string(), kind: ArtifactKind, sha256: sha, size: z.number().int(), redactions: z.number().int(), summary: z.string() }),
  /** Plan-only: what would happen; nothing written. */
  z.object({
    result: z.literal('planned'),
    name: z.string(),
    kind: ArtifactKind,
    sha256: sha,
    size: z.number().int(),
    redactions: z.number().int(),
    existing: z.enum(['none', 'same', 'different', 'sealed']),
    summary: z.string(),
  }),
  /** Not written, on purpose: never overwrite evidence; never add to a sealed pack. */
  z.object({
    result: z.literal('refused'),
    name: z.string(),
    kind: ArtifactKind,
    reason: RefusalReason,
    sha256: sha.nullable(),
    existingSha256: sha.nullable(),
    summary: z.string(),
  }),
]);
export type ArtifactOutcome = z.infer<typeof ArtifactOutcome>;

/** What a set of artifact writes came to, counted: one sentence for the timeline (the whole pack's, when given all of its outcomes). */
export function summariseArtifacts(outcomes: readonly ArtifactOutcome[], plan = false): { written: number; unchanged: number; refused: number; summary: string } {
  const count = (r: ArtifactOutcome['result']) => outcomes.filter((o) => o.result === r).length;
  const written = count('written');
  const unchanged = count('unchanged');
  const refused = count('refused');
  const refusals = outcomes.filter((o) => o.result === 'refused').map((o) => `${o.name}: ${o.reason}`);
  const head = plan
    ? `Plan: ${count('planned')} artifact(s) checked, nothing written`
    : `Evidence: ${written} written, ${unchanged} already stored unchanged, ${refused} refused`;
  return { written, unchanged, refused, summary: `${head}${refusals.length ? ` (${refusals.join('; ')})` : ''}.` };
}

export const SealOutcome = z.object({
  result: z.enum(['sealed', 'already-sealed', 'planned', 'refused']),
  reason: RefusalReason.nullable().default(null),
  summary: z.string(),
  /** The manifest (its own SHA-256 is worth recording elsewhere: the timeline, the ticket). */
  manifest: z.object({ name: z.string(), url: z.string(), sha256: sha, artifacts: z.number().int() }).nullable(),
  excluded: z.array(z.object({ name: z.string(), reason: z.string() })).default([]),
});
export type SealOutcome = z.infer<typeof SealOutcome>;

/** The evidence model from the artifacts themselves (before they are stored): for previews and tests. */
export function bundleOf(ref: PackRef, artifacts: readonly ArtifactInput[], urlOf: (name: string) => string | null = () => null): EvidenceBundle {
  const bundle: EvidenceBundle = { ref, incident: null, timeline: [], alerts: [], smoke: [], audit: [], rollback: [], messages: [], approvals: [], artifacts: [] };
  for (const a of artifacts) {
    const name = nameOfInput(a);
    bundle.artifacts.push({ name, kind: a.kind, url: urlOf(name) });
    switch (a.kind) {
      case 'incident':
        bundle.incident = a.content;
        break;
      case 'timeline':
        bundle.timeline.push(...a.content);
        break;
      case 'alert-payload':
        bundle.alerts.push({ name, record: { ...a.content, payload: a.content.payload ?? null } });
        break;
      case 'smoke':
        bundle.smoke.push(a.content);
        break;
      case 'audit':
        bundle.audit.push(a.content);
        break;
      case 'rollback':
        bundle.rollback.push(a.content);
        break;
      case 'message':
        bundle.messages.push(a.content);
        break;
      case 'approval':
        bundle.approvals.push(a.content);
        break;
    }
  }
  const byAt = <T extends { at: string }>(xs: T[]) => xs.sort((x, y) => Date.parse(x.at) - Date.parse(y.at));
  bundle.timeline.sort((x, y) => x.seq - y.seq);
  byAt(bundle.smoke);
  byAt(bundle.audit);
  byAt(bundle.rollback);
  byAt(bundle.messages);
  byAt(bundle.approvals);
  bundle.artifacts.sort((x, y) => (x.name < y.name ? -1 : 1));
  return bundle;
}
