/**
 * Alert intake: one Azure Monitor delivery in, at most one incident out.
 *
 *   parse (common schema) -> route (service@environment) -> classify (P1/P2/P3)
 *   -> deduplicate (alertId + condition) -> correlate (one open incident per service@environment)
 *   -> start the incident, or raise the alert into the open one.
 *
 * Every step is idempotent, so a redelivery (Azure Monitor retries on 5xx and timeouts) or a
 * concurrent duplicate converges on the same incident. Transient storage or orchestration trouble
 * is thrown (the trigger answers 503 so Azure Monitor delivers again); a payload that is not an
 * alert is returned as data (400). Any payload that is one ends as an incident, a correlation, a
 * recovery signal or an unmatched record (GET /api/alerts/unmatched): no service matched, or it
 * could not be processed (a failure that no retry would cure). Its payload is archived redacted
 * in every case; names too long for an id are shortened with a hash, never a reason to drop it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { resolveService, type Policy, type ServiceEntry } from '../config/policy.js';
import { toIssues, type Issue } from '../config/issues.js';
import { COMMON_SCHEMA_ID, CommonAlert, type ContextKind } from '../domain/alert-schema.js';
import { INCIDENT_INPUT_VERSION, IncidentInput, type AlertRecord, type IncidentSummary, type PolicySnapshot } from '../domain/incident.js';
import { applyEvent, declaredEvent } from '../domain/incident-record.js';
import { summaryOf as incidentSummaryOf } from '../domain/incident-status.js';
import { FOLD_SWEEP_MS, FOLD_WINDOW_MS, IncidentEventName, type Actor } from '../domain/incident-events.js';
import { alertChangesIncident, type AlertView } from '../domain/runbook.js';
import { routeSignal } from '../domain/routing.js';
import { classifySeverity, type SeverityDecision } from '../domain/severity.js';
import { toSignal, type Signal } from '../domain/signal.js';
import type { IncidentStore } from '../ports/incident-store.js';
import type { AlertArchive, Orchestrations } from '../ports/orchestrations.js';
import type { UnmatchedAlert, UnmatchedAlerts } from '../ports/unmatched-alerts.js';
import { describeFailure, isTransientFailure } from './failures.js';

export const INCIDENT_ORCHESTRATION = 'incident';

/** Common-schema alerts are capped at 256 KB by Azure Monitor; anything much larger is not one. */
export const MAX_ALERT_BYTES = 512 * 1024;

export type IntakeOutcome =
  | { kind: 'invalid'; message: string; issues: Issue[] }
  | {
      kind: 'declared' | 'correlated' | 'duplicate' | 'recovery-signal' | 'unmatched' | 'no-open-incident';
      incidentId: string | null;
      service: string | null;
      environment: string | null;
      severity: SeverityDecision | null;
      reasons: string[];
      /** How the payload was read: its alertContext variant and monitoring service. */
      signal: { kind: ContextKind; monitoringService: string | null };
    };

export interface IntakeDeps {
  store: IncidentStore;
  orchestrations: Orchestrations;
  archive: AlertArchive;
  unmatched: UnmatchedAlerts;
  policy: Policy;
  now: () => Date;
  /**
   * Runs bookkeeping that need not hold the answer (the delivery record, the first summary row).
   * The trigger runs it after answering; left out, it is awaited in line. Nothing depends on it for
   * correctness: a delivery record left pending is taken over after CLAIM_STALE_MS (raising the
   * alert again is harmless), and the orchestration writes the summary on its first step.
   */
  after?: (work: () => Promise<void>) => void;
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The delivery key of an alert: its id and condition (a cost alert's missing condition is "Fired", as its signal says). */
const deliveryHash = (alertId: string, condition: string): string => sha256(`${alertId}|${condition}`);

/**
 * `text` when it fits in `max` characters, else its start, "~" and a hash of the whole: still
 * distinct and recognisable, and short enough for an id (Actor ids, Table keys) to accept.
 */
export function boundedName(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 13))}~${sha256(text).slice(0, 12)}`;
}

/** Readable, deterministic incident ids: the same service, environment and sequence give the same id. */
export function incidentIdFor(environment: string, service: string, sequence: number): string {
  const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
  return `inc-${slug(environment)}-${slug(service)}-${sha256(`${environment.toLowerCase()}|${service.toLowerCase()}|${sequence}`).slice(0, 10)}`;
}

export function parseAlert(body: unknown): { ok: true; alert: CommonAlert; signal: Signal } | { ok: false; message: string; issues: Issue[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, message: 'The body must be a JSON object in the Azure Monitor common alert schema.', issues: [] };
  }
  const schemaId = (body as { schemaId?: unknown }).schemaId;
  if (schemaId !== COMMON_SCHEMA_ID) {
    return {
      ok: false,
      message:
        `schemaId is ${JSON.stringify(schemaId ?? null)?.slice(0, 80)}, not "${COMMON_SCHEMA_ID}": enable the common alert schema ` +
        `on the action group's webhook (useCommonAlertSchema).`,
      issues: [{ path: 'schemaId', code: 'invalid_value', message: `expected "${COMMON_SCHEMA_ID}"` }],
    };
  }
  const parsed = CommonAlert.safeParse(body);
  if (!parsed.success) {
    return { ok: false, message: 'The alert does not follow the common alert schema.', issues: toIssues(parsed.error).slice(0, 50) };
  }
  return { ok: true, alert: parsed.data, signal: toSignal(parsed.data) };
}

export function policySnapshot(policy: Policy, entry: ReturnType<typeof resolveService>): PolicySnapshot {
  return {
    bot: policy.bot,
    environment: entry.environment,
    service: entry.entry,
    timeboxes: policy.timeboxes,
    teams: entry.teams,
    approvers: entry.approvers,
    escalation: policy.escalation,
    postmortemDueBusinessDays: policy.postmortem.dueBusinessDays,
  };
}

/** The first summary row, written before the orchestration runs: the same projection of the same record (its declaration). */
function summaryOf(input: IncidentInput): IncidentSummary {
  return incidentSummaryOf(applyEvent(null, { ...declaredEvent(input), seq: 0 }));
}

export function describeSignal(signal: Signal): string {
  const metric = signal.metrics[0];
  const measured =
    metric && metric.value !== null ? ` (${metric.name ?? 'value'} ${metric.value}${metric.threshold !== null ? `, threshold ${metric.threshold}` : ''})` : '';
  const what = signal.rule ?? signal.activity?.title ?? signal.monitoringService ?? 'alert';
  return `${what}${measured}`.slice(0, 500);
}

/**
 * Starts the incident `incidentId` for `input`, or, when it is running already, raises the alert
 * into it. `opened`: the correlation was opened by this delivery, so the instance most likely does
 * not exist yet (start first); otherwise it most likely runs (raise first). Either guess that is
 * wrong costs one more call, never a wrong outcome. A finished instance is reported as such.
 */
async function deliver(
  deps: IntakeDeps,
  incidentId: string,
  opened: boolean,
  makeInput: () => IncidentInput,
  alert: AlertRecord,
  later: (work: () => Promise<void>) => void,
  /** The incident's status, when it was read already (started as soon as the open incident was found). */
  describedEarly?: Promise<Described>,
): Promise<'started' | 'raised' | 'folded' | 'finished'> {
  const start = async (): Promise<'started' | 'exists'> => {
    const input = makeInput();
    const started = await deps.orchestrations.start(INCIDENT_ORCHESTRATION, incidentId, input);
    if (started === 'started') later(() => deps.store.createSummary(summaryOf(input)));
    return started;
  };
  if (opened && (await start()) === 'started') return 'started';
  let running = false;
  if (!opened) {
    // An alert that would change nothing now, coming within FOLD_WINDOW_MS of an alert this process
    // raised into the incident, is kept with the incident without waking it (its history stays
    // bounded however long the storm): the incident, woken by that alert, sweeps the folded ones
    // FOLD_SWEEP_MS later. Otherwise the alert is raised: it is the wake-up, and reaches the record
    // at once.
    const described = await (describedEarly ?? deps.orchestrations.describe(incidentId));
    running = described !== undefined && !TERMINAL.has(described.runtimeStatus);
    const view = running ? (described?.customStatus as { intake?: AlertView | null } | null)?.intake : undefined;
    const at = Date.parse(alert.receivedAt);
    const foldable = running && wokenWithin(deps.store, incidentId, at) && !alertChangesIncident(view, { condition: alert.signal.condition, level: alert.severity.level, triggers: alert.severity.triggers });
    if (foldable) {
      const windowOpened = wokenTimes(deps.store).get(incidentId) ?? at;
      await deps.store.foldAlert(incidentId, foldKey(alert), alert);
      // Written before its window closed, the fold is taken by the sweep that window's alert armed
      // (FOLD_SWEEP_MS after it, later than the window). Written after (a slow store, a loaded
      // host), it may come after that sweep: it is raised as well (the incident keeps one of the
      // two), rather than wait for the incident's next step.
      if (deps.now().getTime() - windowOpened < FOLD_WINDOW_MS) return 'folded';
    }
    // Marked before the raise, so that alerts delivered meanwhile fold; taken back if it fails
    // (they are then taken at the incident's next step, or by the sweep after the redelivery's raise).
    if (running) woke(deps.store, incidentId, at);
  }
  // Also when the declaring alert is delivered twice: the orchestration ignores alerts it has seen.
  const raised = await deps.orchestrations.raise(incidentId, IncidentEventName.alert, alert, { running }).catch((err: unknown) => {
    if (running) forget(deps.store, incidentId, Date.parse(alert.receivedAt));
    throw err;
  });
  if (raised === 'raised') return 'raised';
  if (running) forget(deps.store, incidentId, Date.parse(alert.receivedAt));
  if (raised === 'gone') return 'finished';
  // 'missing': the correlation points at an incident whose start never went through.
  if ((await start()) === 'started') return 'started';
  return (await deps.orchestrations.raise(incidentId, IncidentEventName.alert, alert)) === 'raised' ? 'raised' : 'finished';
}

const TERMINAL = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

type Described = Awaited<ReturnType<Orchestrations['describe']>>;

/** The folded alert's key: oldest first in the store, and the same for the same alert. */
const foldKey = (alert: AlertRecord): string => `${alert.receivedAt}|${sha256(alert.dedupeKey).slice(0, 32)}`;

/** When this process last raised an alert into each incident (the alert's receivedAt), by store (so per app). */
const wokenAt = new WeakMap<IncidentStore, Map<string, number>>();

const wokenTimes = (store: IncidentStore): Map<string, number> => {
  let times = wokenAt.get(store);
  if (!times) wokenAt.set(store, (times = new Map<string, number>()));
  return times;
};

/**
 * Whether this process raised an alert into `incidentId` less than FOLD_WINDOW_MS before `now` (or
 * is raising one stamped a little later: delivered concurrently, the incident takes both).
 */
function wokenWithin(store: IncidentStore, incidentId: string, now: number): boolean {
  const at = wokenTimes(store).get(incidentId);
  return at !== undefined && now - at < FOLD_WINDOW_MS;
}

/** Notes that this process raises an alert into `incidentId` now (the start of a fold window). */
function woke(store: IncidentStore, incidentId: string, now: number): void {
  const times = wokenTimes(store);
  if (times.size >= 10_000) times.clear();
  times.set(incidentId, now);
}

/** Takes back the mark of a raise that did not go through (unless a later raise has marked it since). */
function forget(store: IncidentStore, incidentId: string, at: number): void {
  const times = wokenTimes(store);
  if (times.get(incidentId) === at) times.delete(incidentId);
}

/**
 * A delivery takes well under this (Azure Monitor itself gives up after 10 s); a claim still pending
 * after it belongs to a delivery that died (a crash: a failure releases its claim).
 */
const CLAIM_STALE_MS = 2 * 60_000;

/** What the unmatched record says about a parsed alert (its long fields cut for the record). */
function unmatchedRecord(
  signal: Signal,
  key: string,
  receivedAt: string,
  outcome: UnmatchedAlert['outcome'],
  reason: string,
  payloadRef: string | null,
): UnmatchedAlert {
  const target = signal.targets[0] ?? signal.configurationItems[0] ?? null;
  return {
    key,
    alertId: boundedName(signal.alertId, 1024),
    rule: signal.rule === null ? null : boundedName(signal.rule, 1024),
    target: target === null ? null : boundedName(target, 1024),
    condition: signal.condition,
    azureSeverity: signal.azureSeverity,
    monitoringService: signal.monitoringService === null ? null : boundedName(signal.monitoringService, 256),
    firedAt: signal.firedAt,
    receivedAt,
    outcome,
    reason: reason.slice(0, 2000),
    payloadRef,
  };
}

export interface UnroutedDeps {
  archive: AlertArchive;
  unmatched: UnmatchedAlerts;
  now: () => Date;
}

/**
 * An alert that cannot be routed now because the policy cannot be read: archived and recorded as
 * unmatched (with `reason`), so that it is kept; the caller answers 503 so Azure Monitor delivers
 * it again once the policy is fixed. A payload that is not an alert is `invalid` as ever.
 */
export async function keepUnrouted(
  deps: UnroutedDeps,
  body: unknown,
  reason: string,
  payloadName: (dedupeHash: string) => string,
): Promise<{ kind: 'invalid'; message: string; issues: Issue[] } | { kind: 'kept'; record: UnmatchedAlert }> {
  const parsed = parseAlert(body);
  if (!parsed.ok) return { kind: 'invalid', message: parsed.message, issues: parsed.issues };
  const { signal } = parsed;
  const hash = deliveryHash(signal.alertId, signal.condition);
  const payloadRef = await deps.archive.put(payloadName(hash), body);
  const record = unmatchedRecord(signal, hash, deps.now().toISOString(), 'policy-invalid', reason, payloadRef);
  await deps.unmatched.record(record);
  return { kind: 'kept', record };
}

/**
 * Deliveries of one alert being handled in this process, by store: a concurrent redelivery (Azure
 * Monitor retries, or a storm of copies) waits for the first one's outcome instead of repeating
 * its round trips, and is answered as the duplicate it is.
 */
const inFlight = new WeakMap<IncidentStore, Map<string, Promise<IntakeOutcome>>>();

/**
 * Deliveries this process has handled, by store (the latest ANSWERED_CACHE), with the answer a
 * redelivery gets: a duplicate, answered from memory before the claim, the archive and the
 * correlation read that the first delivery needed (a storm is mostly such copies). A delivery
 * that failed is not kept, so its redelivery is handled afresh.
 */
const answered = new WeakMap<IncidentStore, Map<string, IntakeOutcome>>();
const ANSWERED_CACHE = 20_000;

/**
 * The answer to a copy of an alert this process has answered before, found from the payload as it
 * came (before it is redacted and validated: a storm is mostly such copies, and those two are
 * most of what a copy costs), or undefined: then it takes the whole path. The key is made as
 * acceptAlert makes it from the redacted alert; an alert whose id redaction changes is not found
 * here and is answered by acceptAlert.
 */
export function answeredBefore(store: IncidentStore, body: unknown): IntakeOutcome | undefined {
  const e = (body as { data?: { essentials?: { alertId?: unknown; monitorCondition?: unknown } } } | null)?.data?.essentials;
  if (typeof e?.alertId !== 'string') return undefined;
  const condition = e.monitorCondition ?? 'Fired';
  if (condition !== 'Fired' && condition !== 'Resolved') return undefined;
  return answered.get(store)?.get(deliveryHash(e.alertId, condition));
}

export async function acceptAlert(deps: IntakeDeps, body: unknown, payloadName: (dedupeHash: string) => string): Promise<IntakeOutcome> {
  const parsed = parseAlert(body);
  if (!parsed.ok) return { kind: 'invalid', message: parsed.message, issues: parsed.issues };
  const { signal } = parsed;
  const dedupeHash = deliveryHash(signal.alertId, signal.condition);
  let done = answered.get(deps.store);
  if (!done) answered.set(deps.store, (done = new Map<string, IntakeOutcome>()));
  const before = done.get(dedupeHash);
  if (before) return before;
  let running = inFlight.get(deps.store);
  if (!running) inFlight.set(deps.store, (running = new Map<string, Promise<IntakeOutcome>>()));
  const first = running.get(dedupeHash);
  if (first) {
    const outcome = await first;
    if (outcome.kind === 'invalid') return outcome;
    return { ...outcome, kind: 'duplicate', reasons: [`alert ${signal.alertId} (${signal.condition}) is being delivered concurrently (${outcome.kind})`] };
  }
  const handling = acceptParsed(deps, body, parsed, dedupeHash, payloadName);
  running.set(dedupeHash, handling);
  try {
    const outcome = await handling;
    if (outcome.kind !== 'invalid') {
      if (done.size >= ANSWERED_CACHE) done.delete(done.keys().next().value as string);
      done.set(
        dedupeHash,
        outcome.kind === 'duplicate' ? outcome : { ...outcome, kind: 'duplicate', reasons: [`alert ${signal.alertId} (${signal.condition}) was delivered before (${outcome.kind})`] },
      );
    }
    return outcome;
  } finally {
    running.delete(dedupeHash);
  }
}

async function acceptParsed(
  deps: IntakeDeps,
  body: unknown,
  { signal }: { signal: Signal },
  dedupeHash: string,
  payloadName: (dedupeHash: string) => string,
): Promise<IntakeOutcome> {
  const now = deps.now().toISOString();
  const read = { kind: signal.kind, monitoringService: signal.monitoringService };
  // Bookkeeping that need not hold the answer, in order (the delivery record last, once the rest
  // is done): after the answer when the trigger says so, else before it.
  const bookkeeping: (() => Promise<void>)[] = [];
  const later = (work: () => Promise<void>): void => {
    bookkeeping.push(work);
  };
  const keepBooks = async (): Promise<void> => {
    for (const work of bookkeeping) await work();
  };

  const route = routeSignal(signal, deps.policy.services);
  const dedupeKey = `${signal.alertId}|${signal.condition}`;
  // What must be durable before the answer, started at once: the delivery claim, the archived
  // payload (named by the alert, so writing it twice is harmless) and, for an alert that may join
  // an incident, which one is open (a read). A claim that turns out to be a duplicate's wastes the
  // other two; redeliveries this process has recorded are answered from memory before all this.
  const opensOrJoins = route.matched && signal.condition !== 'Resolved';
  const claiming = deps.store.claimDelivery(dedupeHash, now);
  const archiving = deps.archive.put(payloadName(dedupeHash), body);
  const finding = route.matched ? deps.store.findOpen(route.entry.environment, route.entry.service) : Promise.resolve(undefined);
  // The open incident's status, read as soon as it is found (alongside the claim and the archive
  // rather than after them): deliver needs it to raise or fold the alert. Settled here, so that a
  // failure is observed whether or not the delivery gets that far.
  const describing = finding.then((id) => (id && opensOrJoins ? deps.orchestrations.describe(id) : undefined));
  describing.catch(() => undefined);
  // Settled before deciding, so that no rejection is left unobserved whichever step fails first.
  const [claimed, archived, found] = await Promise.allSettled([claiming, archiving, finding]);
  if (claimed.status === 'rejected') throw claimed.reason;
  const claim = claimed.value;
  if (!claim.fresh && claim.existing.state === 'delivered') {
    return {
      kind: 'duplicate',
      incidentId: claim.existing.incidentId,
      service: route.matched ? route.entry.service : null,
      environment: route.matched ? route.entry.environment : null,
      severity: null,
      reasons: [`alert ${signal.alertId} (${signal.condition}) was delivered before (${claim.existing.outcome ?? 'handled'})`],
      signal: read,
    };
  }

  // The claimer of the alert (or whoever finds its claim abandoned) records the outcome.
  const owner = claim.fresh || Date.parse(now) - Date.parse(claim.existing.at) > CLAIM_STALE_MS;
  let payloadRef: string | null = null;
  try {
    if (archived.status === 'rejected') throw archived.reason;
    // Every alert's payload is kept (redacted by the trigger), unmatched ones too.
    payloadRef = archived.value;
    if (found.status === 'rejected') throw found.reason;
    const outcome = await deliverClaimed(payloadRef, found.value);
    if (deps.after) deps.after(keepBooks);
    else await keepBooks();
    return outcome;
  } catch (err) {
    if (isTransientFailure(err)) {
      // Storage or the orchestration client failed half-way (answered 503): give the claim up, so
      // Azure Monitor's redelivery is handled as the first delivery, not as a duplicate of this one.
      if (claim.fresh) await deps.store.releaseDelivery(dedupeHash).catch(() => undefined);
      throw err;
    }
    // No retry can cure this one (a bug, or data the stores refuse): keep it where people look,
    // rather than answering 503 to every redelivery until Azure Monitor gives up and it is lost.
    const reason = `not processed: ${describeFailure(err)}`;
    await deps.unmatched.record(unmatchedRecord(signal, dedupeHash, now, 'not-processed', reason, payloadRef));
    await deps.store.markDelivered(dedupeHash, null, 'not-processed', now);
    return {
      kind: 'unmatched',
      incidentId: null,
      service: route.matched ? route.entry.service : null,
      environment: route.matched ? route.entry.environment : null,
      severity: null,
      reasons: [`${reason}; kept for review (GET /api/alerts/unmatched)`],
      signal: read,
    };
  }

  async function deliverClaimed(payloadRef: string, openFound: string | undefined): Promise<IntakeOutcome> {
    if (!route.matched) {
      // Recorded before the answer: the unmatched list is where this alert is kept.
      await deps.unmatched.record(unmatchedRecord(signal, dedupeHash, now, 'unmatched', route.reason, payloadRef));
      later(() => deps.store.markDelivered(dedupeHash, null, 'unmatched', now));
      return { kind: 'unmatched', incidentId: null, service: null, environment: null, severity: null, reasons: [route.reason], signal: read };
    }
    const resolved = resolveService(deps.policy, route.entry);
    const severity = classifySeverity(signal, resolved.environment, {
      azure: deps.policy.severity.azure,
      whenUnsure: deps.policy.severity.whenUnsure,
      triggers: deps.policy.triggers,
    });
    const reasons = [route.reason, ...(route.alsoMatched.length ? [`also matched: ${route.alsoMatched.join(', ')} (first one wins)`] : []), ...severity.reasons];
    const { service, environment } = route.entry;
    const base = { service, environment, severity, reasons, signal: read };

    const alert: AlertRecord = { dedupeKey, receivedAt: now, signal, severity, payloadRef };

    if (!opensOrJoins) {
      // A recovery signal for the open incident, never a reason to open one.
      if (!openFound) {
        later(() => deps.store.markDelivered(dedupeHash, null, 'no-open-incident', now));
        return { kind: 'no-open-incident', incidentId: null, ...base, reasons: [...reasons, `no incident is open for ${service}@${environment}`] };
      }
      const delivered = await deps.orchestrations.raise(openFound, IncidentEventName.alert, alert);
      later(() => deps.store.markDelivered(dedupeHash, openFound, 'recovery-signal', now));
      return { kind: delivered === 'raised' ? 'recovery-signal' : 'no-open-incident', incidentId: openFound, ...base };
    }

    // The rule's name identifies who declared it; an Actor id holds 256 characters.
    const declaredBy: Actor = { id: boundedName(signal.rule ?? 'azure-monitor', 256), via: 'alert' };
    let open = openFound;
    for (let attempt = 0; attempt < 3; attempt++) {
      const { incidentId, opened } = open ? { incidentId: open, opened: false } : await deps.store.openIncident(environment, service, (n) => incidentIdFor(environment, service, n), now);
      open = undefined;
      const makeInput = (): IncidentInput =>
        IncidentInput.parse({
          version: INCIDENT_INPUT_VERSION,
          incidentId,
          declaredAt: now,
          source: 'alert',
          declaredBy,
          service,
          environment,
          severity,
          summary: describeSignal(signal),
          impact: route.entry.impact,
          alert,
          policy: policySnapshot(deps.policy, resolved),
        });
      const result = await deliver(deps, incidentId, opened, makeInput, alert, later, attempt === 0 && incidentId === openFound ? describing : undefined);
      if (result === 'finished') {
        // The correlation still pointed at an incident that has ended: close it and open a new one.
        await deps.store.closeIncident(environment, service, incidentId);
        continue;
      }
      // A claim held by another delivery that is still running is this same alert delivered
      // concurrently: raising it was harmless (the orchestration drops alerts it has seen), and the
      // answer says what it is, a duplicate; that delivery records the outcome.
      const kind = result === 'started' ? 'declared' : owner ? 'correlated' : 'duplicate';
      if (kind !== 'duplicate') later(() => deps.store.markDelivered(dedupeHash, incidentId, kind, now));
      const folded = result === 'folded' ? [`folded: kept with the incident without waking it (it changes nothing there now); the incident takes it within about ${FOLD_SWEEP_MS / 1000} s`] : [];
      return { kind, incidentId, ...base, reasons: [...base.reasons, ...folded] };
    }
    throw new Error(`Could not deliver alert ${signal.alertId}: the open incident for ${service}@${environment} kept finishing.`);
  }
}

export interface ManualDeclaration {
  service: string;
  environment: string;
  summary: string;
  severity?: 'P1' | 'P2' | 'P3';
  impact?: string[];
  actor: Actor;
  source: 'manual' | 'pipeline';
  /** A drill: the runbook runs in plan mode (reports what it would do, changes nothing). */
  dryRun?: boolean;
}

export type DeclareOutcome =
  | { kind: 'declared'; incidentId: string; severity: SeverityDecision; drill: boolean }
  | { kind: 'already-open'; incidentId: string }
  | { kind: 'unknown-service'; message: string };

/** POST /api/incidents: a person or a pipeline declares an incident by hand. */
export async function declareIncident(deps: Pick<IntakeDeps, 'store' | 'orchestrations' | 'policy' | 'now'>, d: ManualDeclaration): Promise<DeclareOutcome> {
  const entry = deps.policy.services.find(
    (s) => s.service.toLowerCase() === d.service.toLowerCase() && s.environment.toLowerCase() === d.environment.toLowerCase(),
  );
  if (!entry) {
    return { kind: 'unknown-service', message: `The policy has no service ${d.service} in environment ${d.environment}.` };
  }
  const now = deps.now().toISOString();
  const level = d.severity ?? deps.policy.severity.whenUnsure;
  const severity: SeverityDecision = {
    level,
    reasons: [d.severity ? `declared as ${level} by ${d.actor.id}` : `declared by ${d.actor.id} without a severity: ${level} (when unsure, the higher severity)`],
    triggers: [],
  };
  const makeInput = (incidentId: string): IncidentInput =>
    IncidentInput.parse({
      version: INCIDENT_INPUT_VERSION,
      incidentId,
      declaredAt: now,
      source: d.source,
      declaredBy: d.actor,
      service: entry.service,
      environment: entry.environment,
      severity,
      summary: d.summary,
      impact: d.impact ?? entry.impact,
      policy: policySnapshot(deps.policy, resolveService(deps.policy, entry)),
      ...(d.dryRun ? { mode: 'plan' } : {}),
    });

  if (d.dryRun) {
    // A drill never takes the service's open-incident slot: a real alert during a drill must open
    // (or join) a real incident, not vanish into a run that changes nothing.
    const incidentId = drillIdFor(entry.environment, entry.service);
    const input = makeInput(incidentId);
    if ((await deps.orchestrations.start(INCIDENT_ORCHESTRATION, incidentId, input)) === 'exists') return { kind: 'already-open', incidentId };
    await deps.store.createSummary(summaryOf(input));
    return { kind: 'declared', incidentId, severity, drill: true };
  }

  const open = await deps.store.findOpen(entry.environment, entry.service);
  if (open && (await deps.orchestrations.state(open)) === 'running') return { kind: 'already-open', incidentId: open };
  if (open) await deps.store.closeIncident(entry.environment, entry.service, open);
  const { incidentId, opened } = await deps.store.openIncident(entry.environment, entry.service, (n) => incidentIdFor(entry.environment, entry.service, n), now);
  if (!opened && (await deps.orchestrations.state(incidentId)) === 'running') return { kind: 'already-open', incidentId };
  const input = makeInput(incidentId);
  const started = await deps.orchestrations.start(INCIDENT_ORCHESTRATION, incidentId, input);
  if (started === 'exists') return { kind: 'already-open', incidentId };
  await deps.store.createSummary(summaryOf(input));
  return { kind: 'declared', incidentId, severity, drill: false };
}

/** A drill's id: its own, never the service's open-incident id (drill-prod-admin-api-<random>). */
export function drillIdFor(environment: string, service: string): string {
  return `drill-${incidentIdFor(environment, service, 0).slice(4, -10)}${randomBytes(5).toString('hex')}`;
}

// ---------------------------------------------------------------------------------------------
// Drills from captured payloads: POST /api/alerts?drill=true

/** As a delivery's outcome; drill: a drill started (or joined); the others start nothing, as the real intake would not. */
export type DrillOutcome =
  | Extract<IntakeOutcome, { kind: 'invalid' }>
  | (Omit<Exclude<IntakeOutcome, { kind: 'invalid' }>, 'kind'> & { kind: 'drill' | 'unmatched' | 'no-drill' });

/**
 * Replays a captured alert as a drill: read, routed (or sent to `route`, a service of the policy)
 * and rated exactly as a delivery would be, then run as a drill incident in plan mode. It takes no
 * part in deduplication or correlation (the alert is not marked delivered and no open incident is
 * joined or held), so a drill of a real payload never hides the real alert. With `into` (a running
 * drill's id), the alert joins that drill instead, as a later delivery joins an open incident: how
 * an incident's alerts are replayed one after another.
 */
export async function acceptDrillAlert(
  deps: IntakeDeps,
  body: unknown,
  payloadName: (hash: string) => string,
  route?: { service: string; environment: string },
  into?: string,
): Promise<DrillOutcome> {
  const parsed = parseAlert(body);
  if (!parsed.ok) return { kind: 'invalid', message: parsed.message, issues: parsed.issues };
  const { signal } = parsed;
  const read = { kind: signal.kind, monitoringService: signal.monitoringService };
  const none = { incidentId: null, service: null, environment: null, severity: null, signal: read };
  let entry: ServiceEntry | undefined;
  const reasons: string[] = [];
  if (into) {
    const drill = into.startsWith('drill-') ? await deps.store.getSummary(into) : undefined;
    if (!drill?.drill || (await deps.orchestrations.state(into)) !== 'running') {
      return { kind: 'no-drill', ...none, reasons: [`${into.slice(0, 80)} is not a running drill: the alert joins nothing.`] };
    }
    route = { service: drill.service, environment: drill.environment };
  }
  if (route) {
    entry = deps.policy.services.find((s) => s.service.toLowerCase() === route.service.toLowerCase() && s.environment.toLowerCase() === route.environment.toLowerCase());
    if (!entry) return { kind: 'unmatched', ...none, reasons: [`The policy has no service ${route.service} in environment ${route.environment}.`] };
    reasons.push(`drilled as ${entry.service}@${entry.environment} (asked for)`);
  } else {
    const match = routeSignal(signal, deps.policy.services);
    if (!match.matched) return { kind: 'unmatched', ...none, reasons: [match.reason] };
    entry = match.entry;
    reasons.push(match.reason);
  }
  const where = { service: entry.service, environment: entry.environment };
  if (signal.condition === 'Resolved' && !into) {
    return { kind: 'no-drill', ...none, ...where, reasons: [...reasons, 'a Resolved alert is a recovery signal for an open incident and opens none: there is nothing to drill'] };
  }
  const resolved = resolveService(deps.policy, entry);
  const severity = classifySeverity(signal, resolved.environment, { azure: deps.policy.severity.azure, whenUnsure: deps.policy.severity.whenUnsure, triggers: deps.policy.triggers });
  const now = deps.now().toISOString();
  const dedupeKey = `${signal.alertId}|${signal.condition}`;
  if (into) {
    const payloadRef = await deps.archive.put(payloadName(sha256(`${into}|${dedupeKey}`)), body);
    const raised = await deps.orchestrations.raise(into, IncidentEventName.alert, { dedupeKey, receivedAt: now, signal, severity, payloadRef } satisfies AlertRecord);
    if (raised !== 'raised') return { kind: 'no-drill', ...none, ...where, reasons: [...reasons, `drill ${into} ended before the alert arrived`] };
    return { kind: 'drill', incidentId: into, ...where, severity, reasons: [...reasons, ...severity.reasons], signal: read };
  }
  const incidentId = drillIdFor(entry.environment, entry.service);
  // Archived like any delivery (the drill's evidence holds it), under the drill's own name.
  const payloadRef = await deps.archive.put(payloadName(sha256(`${incidentId}|${dedupeKey}`)), body);
  const input = IncidentInput.parse({
    version: 1,
    incidentId,
    declaredAt: now,
    source: 'alert',
    declaredBy: { id: signal.rule ?? 'azure-monitor', via: 'alert' },
    service: entry.service,
    environment: entry.environment,
    severity,
    summary: describeSignal(signal),
    impact: entry.impact,
    alert: { dedupeKey, receivedAt: now, signal, severity, payloadRef },
    policy: policySnapshot(deps.policy, resolved),
    mode: 'plan',
  });
  await deps.orchestrations.start(INCIDENT_ORCHESTRATION, incidentId, input);
  await deps.store.createSummary(summaryOf(input));
  return { kind: 'drill', incidentId, ...where, severity, reasons: [...reasons, ...severity.reasons], signal: read };
}
