/**
 * The RB-02 decision tree: from what the incident knows (its triggers, recent flag/config changes,
 * what changed in the releases, which smoke checks fail), propose a containment path with a reason
 * for every step:
 *   1. config/flag related?          -> revert those changes (no app rollback if that stabilises)
 *   2. web-only, API stable?         -> web to last known good
 *   3. API / contract / SSE failure? -> API (and web when coupled) to last known good
 *   4. DB migration caused it?       -> app to last known good, no destructive DDL, forward-fix item
 * When nothing points anywhere, a P1 rolls back ("if in doubt, roll back first"); P2/P3 monitor.
 */
import type { SeverityLevel, TriggerKind } from './policy.js';
import type { ContainmentChoice } from './incident-events.js';

export interface RecentChange {
  kind: 'flag' | 'config';
  key: string;
  at: string;
  before: string | boolean | null;
  after: string | boolean | null;
  actor: string | null;
}

export type CheckArea = 'health' | 'ready' | 'sse' | 'contract' | 'pages' | 'parity' | 'web';

export interface ReleaseState {
  /** Build running in production now, and the last known good one (null: unknown). */
  current: string | null;
  lkg: string | null;
  /** When the current release was deployed, if known. */
  deployedAt: string | null;
  /** Database migrations shipped with the current release, if known. */
  migrations: string[];
}

export interface ContainmentFacts {
  severity: SeverityLevel;
  triggers: TriggerKind[];
  /** When the incident's signal started (first alert fired, or the declaration). */
  startedAt: string;
  changes: RecentChange[];
  /** Areas whose smoke checks fail now. */
  failing: CheckArea[];
  api: ReleaseState | null;
  web: ReleaseState | null;
  /** Web is rolled back together with the API (they share a release). */
  webCoupled: boolean;
  /** Flags and config keys the automation may change for this service. */
  flagsInScope: string[];
  configInScope: string[];
  /** Changes older than this (minutes before the start) are not considered. */
  lookbackMinutes: number;
  /** The access restriction the policy lets the runbook propose for the 429 and abuse rows (null: none). */
  trafficRule?: TrafficRule | null;
}

export type ContainmentStep =
  | { kind: 'set-flag'; key: string; to: boolean; from: boolean | null; reason: string }
  | { kind: 'set-config'; key: string; to: string; from: string | null; reason: string }
  | { kind: 'api-to-lkg'; from: string | null; to: string | null; reason: string }
  | { kind: 'web-to-lkg'; from: string | null; to: string | null; reason: string }
  /** Restart the API's App Service (RB-03 section 7: the first move of many on-call engineers). */
  | { kind: 'restart'; reason: string }
  /** Scale the App Service plan out to `to` instances (the policy's bound). */
  | { kind: 'scale-out'; to: number; reason: string }
  /** An access restriction on the API's site (deny a source, RB-03 section 7 traffic shaping): only ever proposed, a person decides. */
  | { kind: 'traffic-rule'; rule: TrafficRule; reason: string };

/** An App Service access restriction (siteConfig.ipSecurityRestrictions entry), as the policy names it. */
export interface TrafficRule {
  name: string;
  action: 'Deny' | 'Allow';
  /** CIDR ("203.0.113.0/24") or a service tag ("AzureFrontDoor.Backend" with tag ServiceTag). */
  ipAddress: string;
  tag: 'Default' | 'ServiceTag' | 'XffProxy';
  priority: number;
  description: string | null;
}

export interface ActionItem {
  title: string;
  kind: 'forward-fix' | 'test' | 'monitoring' | 'runbook';
}

export interface ContainmentProposal {
  path: ContainmentChoice;
  steps: ContainmentStep[];
  reasons: string[];
  actionItems: ActionItem[];
}

const ms = (iso: string): number => Date.parse(iso);
const deployed = (r: ReleaseState | null): boolean => !!r && r.current !== null && r.lkg !== null && r.current !== r.lkg;
const API_TRIGGERS: ReadonlySet<TriggerKind> = new Set(['error-rate', 'latency-p95', 'sse-ttfb', 'heartbeat-gap', 'ready-red', 'availability-down', 'cors-denied']);

function relevantChanges(f: ContainmentFacts): RecentChange[] {
  const start = ms(f.startedAt);
  const since = start - f.lookbackMinutes * 60_000;
  return f.changes
    .filter((c) => ms(c.at) >= since && ms(c.at) <= start + 5 * 60_000)
    .filter((c) => (c.kind === 'flag' ? f.flagsInScope : f.configInScope).some((k) => k.toLowerCase() === c.key.toLowerCase()))
    .sort((a, b) => ms(b.at) - ms(a.at));
}

/** The earliest value of each key within the window is what it was before the suspect changes. */
function revertSteps(changes: RecentChange[]): ContainmentStep[] {
  const byKey = new Map<string, RecentChange[]>();
  for (const c of changes) byKey.set(`${c.kind}:${c.key}`, [...(byKey.get(`${c.kind}:${c.key}`) ?? []), c]);
  const steps: ContainmentStep[] = [];
  for (const list of byKey.values()) {
    const oldest = list.reduce((a, b) => (ms(a.at) <= ms(b.at) ? a : b));
    const newest = list.reduce((a, b) => (ms(a.at) >= ms(b.at) ? a : b));
    const who = newest.actor ? ` by ${newest.actor}` : '';
    if (oldest.kind === 'flag' && typeof oldest.before === 'boolean') {
      steps.push({ kind: 'set-flag', key: oldest.key, to: oldest.before, from: typeof newest.after === 'boolean' ? newest.after : null, reason: `changed${who} at ${newest.at}; back to ${String(oldest.before)}` });
    } else if (oldest.kind === 'config' && oldest.before !== null) {
      steps.push({ kind: 'set-config', key: oldest.key, to: String(oldest.before), from: newest.after === null ? null : String(newest.after), reason: `changed${who} at ${newest.at}; back to "${String(oldest.before)}"` });
    }
  }
  return steps;
}

function apiStep(f: ContainmentFacts, why: string): ContainmentStep {
  return { kind: 'api-to-lkg', from: f.api?.current ?? null, to: f.api?.lkg ?? null, reason: why };
}

function webStep(f: ContainmentFacts, why: string): ContainmentStep {
  return { kind: 'web-to-lkg', from: f.web?.current ?? null, to: f.web?.lkg ?? null, reason: why };
}

export function proposeContainment(f: ContainmentFacts): ContainmentProposal {
  const reasons: string[] = [];
  const changes = relevantChanges(f);
  const apiFailing = f.failing.some((a) => a === 'health' || a === 'ready' || a === 'sse' || a === 'contract' || a === 'parity') || f.triggers.some((t) => API_TRIGGERS.has(t));
  const webFailing = f.failing.includes('pages') || f.failing.includes('web');
  const apiRelease = deployed(f.api);
  const webRelease = deployed(f.web);

  // 4. A migration in the current release: the app goes back, the schema stays (add-only policy).
  if (apiRelease && f.api && f.api.migrations.length > 0 && apiFailing) {
    reasons.push(
      `the current API release ${f.api.current} shipped migration(s) ${f.api.migrations.join(', ')}: roll the app back to ${f.api.lkg}, never the schema (RB-02 section 8)`,
    );
    const steps = [apiStep(f, `release ${f.api.current} with migrations is failing`)];
    if (f.webCoupled && webRelease) steps.push(webStep(f, 'the web app ships with the API'));
    return {
      path: 'app-to-lkg-forward-fix',
      steps,
      reasons,
      actionItems: [{ kind: 'forward-fix', title: `Forward-fix migration for ${f.api.migrations.join(', ')} (add-only; no DROP) before re-releasing ${f.api.current}` }],
    };
  }

  // 1. Config or flags changed shortly before the incident.
  const steps = revertSteps(changes);
  const newestChange = changes[0];
  const deployedAt = f.api?.deployedAt ? ms(f.api.deployedAt) : null;
  if (steps.length && newestChange && (!apiRelease || deployedAt === null || ms(newestChange.at) >= deployedAt)) {
    reasons.push(
      `${changes.length} flag/config change(s) to this service in the ${f.lookbackMinutes} min before the incident` +
        (apiRelease ? ', more recent than the release' : ' and no release since the last known good') +
        `: revert them through the stored procedures (RB-02 section 7); if that stabilises, no app rollback`,
    );
    return { path: 'revert-config', steps, reasons, actionItems: [] };
  }
  if (steps.length) reasons.push(`flag/config changes exist but the release ${f.api?.current ?? ''} is more recent: the release is the first suspect`);

  // 2. Only the web is failing and the API holds.
  if (webFailing && !apiFailing && (webRelease || f.web?.lkg)) {
    reasons.push('only web checks fail while the API checks pass: roll the web back to its last known good (RB-02 step 3)');
    return { path: 'web-to-lkg', steps: [webStep(f, 'web-only regression')], reasons, actionItems: [] };
  }

  // 3. API, contract or SSE failure after a release.
  if (apiFailing && (apiRelease || f.api?.lkg)) {
    const what = [...new Set([...f.failing.filter((a) => a !== 'pages' && a !== 'web'), ...f.triggers])].join(', ') || 'API signals';
    reasons.push(`API symptoms (${what})${apiRelease ? ` since release ${f.api?.current}` : ''}: roll the API back to ${f.api?.lkg ?? 'its last known good'} (RB-02 step 2)`);
    const out = [apiStep(f, `failing: ${what}`)];
    if (f.webCoupled && (webRelease || webFailing)) out.push(webStep(f, 'the web app ships with the API'));
    return { path: 'api-to-lkg', steps: out, reasons, actionItems: [] };
  }

  // RB-03 section 7, the 429 and abuse rows: traffic shaping, proposed for a person to decide
  // (a rule that denies traffic is never applied by a deadline).
  if (f.trafficRule && f.triggers.includes('rate-limit') && !apiFailing) {
    reasons.push(`rate-limit anomaly (429s: abuse or a bug) and the API holds otherwise: propose the access restriction "${f.trafficRule.name}" (${f.trafficRule.action} ${f.trafficRule.ipAddress}); a person decides (RB-03 section 7, traffic shaping)`);
    return { path: 'traffic-rule', steps: [{ kind: 'traffic-rule', rule: f.trafficRule, reason: 'rate-limit anomaly' }], reasons, actionItems: [] };
  }

  // Nothing points anywhere.
  if (f.severity === 'P1') {
    reasons.push('no clear cause, and this is a P1: if in doubt, roll back first, investigate after (RB-02 section 3)');
    const out = [apiStep(f, 'P1 without a clear cause')];
    if (f.webCoupled) out.push(webStep(f, 'the web app ships with the API'));
    return { path: 'api-to-lkg', steps: out, reasons, actionItems: [] };
  }
  reasons.push(`no clear cause for a ${f.severity}: keep watching and decide with the next signal`);
  return { path: 'monitor-only', steps: [], reasons, actionItems: [] };
}
