/**
 * The first-15-minutes snapshot (RB-03 section 12) from what its three reads answered: the smoke
 * checks, the recent flag/config changes of the target's audit log, and what runs in which slot
 * (with the last known good release). Pure: the orchestration makes the reads and hands their
 * answers (or why they failed) over; this turns them into the runbook's facts and the sentence
 * the timeline starts with. Each read may be missing (not configured) or have failed: a partial
 * snapshot still gives a proposal, and says what it could not see.
 */
import type { RecentChange, ReleaseState } from './containment.js';
import { firstLine } from './failures.js';
import type { CommandResult, ChecksOutcome } from './runbook.js';

/** An audit row of the target database (dbo.sp_Audit_Recent), as the read activity answers it. */
export interface AuditRow {
  at: string;
  actor: string;
  entityType: string;
  entityKey: string;
  field: string;
  before: string | null;
  after: string | null;
}

interface SlotRead {
  buildId: string | null;
  releaseTag: string | null;
  error: string | null;
  deployedAt?: string | null | undefined;
  migrations?: string[] | undefined;
}

/** One service's release state, as the App Service read activity answers it. */
export interface ReleaseRead {
  service: string;
  production: SlotRead | null;
  staging: SlotRead | null;
  lkg: { releaseTag: string; buildId: string } | null;
  summary: string;
}

export type Read<T> = { ok: true; value: T } | { ok: false; problem: string } | null;

export interface SnapshotReads {
  checks: Read<ChecksOutcome>;
  changes: Read<{ kind: 'ok'; events: AuditRow[] } | { kind: 'refused'; summary: string; reason: string }>;
  releases: Read<{ services: ReleaseRead[]; problems: string[] }>;
}

/** An audit row as the decision tree sees it (flags: "1"/"0" -> booleans); other rows are not changes it acts on. */
export function recentChangeOf(e: AuditRow): RecentChange[] {
  const bool = (v: string | null): boolean | null => (v === '1' || v?.toLowerCase() === 'true' ? true : v === '0' || v?.toLowerCase() === 'false' ? false : null);
  if (/flag/i.test(e.entityType) && /enabled/i.test(e.field)) return [{ kind: 'flag', key: e.entityKey, at: e.at, before: bool(e.before), after: bool(e.after), actor: e.actor }];
  if (/config/i.test(e.entityType) && /^value$/i.test(e.field)) return [{ kind: 'config', key: e.entityKey, at: e.at, before: e.before, after: e.after, actor: e.actor }];
  return [];
}

/** A service's release as the decision tree sees it: the tag (or build) in production, and the LKG. */
export function releaseStateOf(r: ReleaseRead | undefined): ReleaseState | null {
  if (!r) return null;
  return {
    current: r.production ? (r.production.releaseTag ?? r.production.buildId) : null,
    lkg: r.lkg ? r.lkg.releaseTag : null,
    // What the deploy wrote next to the build (APP_DEPLOYED_AT / APP_MIGRATIONS, or /version).
    deployedAt: r.production?.deployedAt ?? null,
    migrations: r.production?.migrations ?? [],
  };
}

export function snapshotOf(reads: SnapshotReads, names: { api: string | null; web: string | null }, lookbackMinutes: number): Extract<CommandResult, { kind: 'snapshot' }> {
  const problems: string[] = [];
  const seen: string[] = [];
  let checks: ChecksOutcome | null = null;
  if (reads.checks?.ok) {
    checks = reads.checks.value;
    seen.push(`smoke checks ${checks.verdict}${checks.reasons.length ? ` (${checks.reasons.slice(0, 3).join('; ')})` : ''}`);
  } else if (reads.checks) problems.push(`smoke: ${firstLine(reads.checks.problem)}`);

  const changes: RecentChange[] = [];
  if (reads.changes?.ok) {
    const read = reads.changes.value;
    if (read.kind === 'ok') changes.push(...read.events.flatMap(recentChangeOf));
    else problems.push(`recent changes: ${read.summary.replace(/\.$/, '')} (${firstLine(read.reason)})`);
  } else if (reads.changes) problems.push(`changes: ${firstLine(reads.changes.problem)}`);
  if (reads.changes?.ok && reads.changes.value.kind === 'ok' && changes.length === 0) seen.push(`no flag/config change in the last ${lookbackMinutes / 60} h`);
  for (const c of changes.slice(0, 5)) seen.push(`${c.kind} ${c.key} changed ${String(c.before)} -> ${String(c.after)} at ${c.at}${c.actor ? ` by ${c.actor}` : ''}`);

  let api: ReleaseState | null = null;
  let web: ReleaseState | null = null;
  if (reads.releases?.ok) {
    const read = reads.releases.value;
    seen.push(...read.services.map((s) => s.summary.replace(/\.$/, '')));
    if (names.api) api = releaseStateOf(read.services.find((s) => s.service === names.api));
    if (names.web) web = releaseStateOf(read.services.find((s) => s.service === names.web));
    problems.push(...read.problems);
    // A slot whose build could not be read makes "what runs where" unknown: say why.
    for (const svc of read.services) for (const slot of [svc.production, svc.staging]) if (slot?.error) problems.push(`release of ${svc.service}: ${firstLine(slot.error)}`);
  } else if (reads.releases) problems.push(`release: ${firstLine(reads.releases.problem)}`);

  return { kind: 'snapshot', checks, changes, api, web, problems, seen };
}
