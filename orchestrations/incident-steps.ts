/**
 * The incident orchestration's named steps: how each command of the runbook is carried out with
 * activities, and what its result is in the runbook's terms. No decision is taken here (they are
 * the runbook's, src/domain/runbook.ts) and no fact is worked out (the record's); what remains is
 * which activity, with which input (notifications: ./notify.ts, which keeps the thread mechanics).
 * Deterministic (replayed): time from the orchestration clock only.
 */
import type * as df from 'durable-functions';
import { activityResult, activityTask, callActivity } from '../src/activities/define.js';
import { apiToLkg, applyTrafficRule, clearDeployFreeze, readReleaseState, recordLkg, restartApp, scaleOutPlan, setDeployFreeze, webToLkg } from '../src/activities/app-service.contracts.js';
import { chunkArtifacts, locatePack, sealPack, writeArtifacts, writeReports } from '../src/activities/evidence.contracts.js';
import { closeCorrelation, readFollowUps, readRecord } from '../src/activities/incident.contracts.js';
import { ActionItemCategory, followUpOf } from '../src/domain/follow-up.js';
import { SMOKE_SUITE_ORCHESTRATION, SmokeSuiteOutput, type SmokeSuiteInput } from '../src/activities/smoke.contracts.js';
import { readSignals, type ReadSignalsInput } from '../src/activities/signals.contracts.js';
import { sqlReadRecentChanges, sqlSetConfigValue, sqlSetFlag } from '../src/activities/sql.contracts.js';
import type { ActionOutcome } from '../src/domain/actions.js';
import { failureSummary } from '../src/durable/failure-text.js';
import type { IncidentInput } from '../src/domain/incident.js';
import type { RecordedOutcome } from '../src/domain/incident-record.js';
import type { IncidentRun, StoredRecord } from '../src/domain/incident-run.js';
import { IncidentMessage } from '../src/domain/messages/types.js';
import type { AnnounceCommand, ChecksOutcome, Command, CommandResult } from '../src/domain/runbook.js';
import type { SignalReadings } from '../src/domain/signals-judgement.js';
import { lkgNames, rollbackTargets } from '../src/domain/runbook-config.js';
import { artifactKey } from '../src/domain/runbook-evidence.js';
import { summariseArtifacts, type ArtifactOutcome } from '../src/domain/evidence.js';
import { checkFactsOf, smokePlanOf, smokeRunOf, uncheckedFacts, type SmokePlan } from '../src/domain/smoke-plan.js';
import { snapshotOf, type Read, type SnapshotReads } from '../src/domain/snapshot.js';
import { escalationAudience, onCallAudience } from '../src/domain/notification.js';
import { channelOf, recipientsOf } from '../src/domain/teams-routing.js';
import { statusPageStatusOf, statusPageUpdateOf } from '../src/domain/communications.js';
import { PublishStatusPage, type StatusPageOutcome } from '../src/activities/status-page.contracts.js';
import { Notifications, type NotifyEvent } from './notify.js';

type Step<T = CommandResult> = Generator<df.Task, T, unknown>;

export class Steps {
  private readonly plan: SmokePlan | null;
  private readonly targets;
  private readonly names;
  private readonly mode: 'execute' | 'plan';
  private readonly notify: Notifications;

  constructor(
    private readonly context: df.OrchestrationContext,
    private readonly input: IncidentInput,
    private readonly run: IncidentRun,
  ) {
    this.plan = smokePlanOf(input);
    this.targets = rollbackTargets(input);
    this.names = lkgNames(input);
    this.mode = input.mode ?? 'execute';
    this.notify = new Notifications(context, input);
    if (run.executions > 0) {
      this.notify.resumeFrom(run.incident, () => {
        const built = IncidentMessage.safeParse(run.onCallMessage(this.now()));
        return built.success ? built.data : null;
      });
    }
  }

  private now(): number {
    return this.context.df.currentUtcDateTime.getTime();
  }

  private nowIso(): string {
    return this.context.df.currentUtcDateTime.toISOString();
  }

  *carryOut(cmd: Command): Step {
    switch (cmd.kind) {
      case 'announce':
        return yield* this.announce(cmd);
      case 'page-on-call':
        return yield* this.pageOnCall(cmd.step);
      case 'page':
        return yield* this.pagePeople(cmd.step, cmd.label, cmd.people, cmd.as);
      case 'snapshot':
        return yield* this.snapshot(cmd.step, cmd.lookbackMinutes);
      case 'smoke':
        return yield* this.smoke(cmd.step, cmd.purpose);
      case 'signals': {
        if (cmd.purpose === 'deadline') {
          // Look again: a fresh smoke round and the signals, side by side.
          const round = yield* this.smoke(cmd.step, 'verify');
          if (round.kind !== 'checks') return round;
          return { kind: 'signals', readings: round.signals ?? null, problem: round.signals ? null : 'the signal readers did not answer', checks: round.checks };
        }
        const task = this.signalsTask({ metrics: false, alerts: false, triage: true });
        if (!task) return { kind: 'signals', readings: null, problem: 'no signals are read for this service' };
        try {
          return { kind: 'signals', readings: activityResult(readSignals, yield task), problem: null };
        } catch (err) {
          return { kind: 'signals', readings: null, problem: failureSummary(err) };
        }
      }
      case 'execute':
        return yield* this.execute(cmd);
      case 'freeze': {
        const def = cmd.on ? setDeployFreeze : clearDeployFreeze;
        const task = activityTask(this.context, def, { incidentId: this.input.incidentId, env: this.input.environment, reason: cmd.reason, actor: { id: this.run.bot, name: 'incident-autopilot' }, step: cmd.step, mode: this.mode });
        return yield* this.action(def, task);
      }
      case 'record-lkg':
        return yield* this.recordLkg(cmd.step);
      case 'locate-evidence':
        return yield* this.locate();
      case 'read-follow-ups':
        return yield* this.readFollowUps();
      case 'archive':
        return yield* this.archive();
      case 'close':
        try {
          yield* callActivity(this.context, closeCorrelation, { incidentId: this.input.incidentId, service: this.input.service, environment: this.input.environment });
          return { kind: 'done', problem: null };
        } catch (err) {
          // The intake closes a correlation that points at a finished incident, so this only delays that.
          return { kind: 'done', problem: `Could not close the correlation: ${failureSummary(err)}` };
        }
    }
  }

  // ---- Notifications (orchestrations/notify.ts) ------------------------------------------------

  private *announce(cmd: AnnounceCommand): Step {
    const out: NotifyEvent[] = [];
    const built = IncidentMessage.safeParse(this.run.message(cmd, this.now()));
    if (!built.success) {
      out.push({ type: 'noted', by: null, topic: 'message', text: `The "${cmd.message}" message could not be built (${built.error.issues[0]?.message ?? 'invalid'}); not posted.` });
      return { kind: 'teams', events: out };
    }
    const message = built.data;
    // Retry-After and 5xx waits stay inside the current timebox (between 1 and 5 minutes).
    const deadline = new Date(this.run.messageDeadline(this.now())).toISOString();
    const comms = this.input.policy.environment.communications;
    // The stakeholders' summary goes to their channel only, never to the incident's thread.
    if (message.kind === 'stakeholder-summary') {
      const where = channelOf(comms?.stakeholders ? { ...comms.stakeholders, notify: [] } : undefined, 'communications.stakeholders');
      if (where.destination) yield* this.notify.toOtherChannel(where.destination, cmd.step, message, deadline, out);
      else out.push({ type: 'noted', by: null, topic: 'message', text: `Stakeholder summary not posted: ${where.problem ?? 'no stakeholder channel is named'}.` });
      return { kind: 'teams', events: out };
    }
    yield* this.notify.retryDeclaration(message, deadline, out);
    // An escalation pages its people first: a channel outage that eats the message's time must not also keep them from being paged.
    if (cmd.message === 'escalation') yield* this.notify.toRole(escalationAudience(cmd.step, cmd.people), message, deadline, out);
    yield* this.notify.toChannel(cmd.step, message, deadline, out);
    // RB-02 section 4: the rollback's start and success messages go to the release channel as well (the same message: one set of facts).
    if ((message.kind === 'rollback-started' || message.kind === 'rollback-executed') && comms?.releaseChannel) {
      const where = channelOf({ ...comms.releaseChannel, notify: [] }, 'communications.releaseChannel');
      if (where.destination) yield* this.notify.toOtherChannel(where.destination, `release/${cmd.step}`, message, deadline, out);
      else out.push({ type: 'noted', by: null, topic: 'message', text: `Not posted to the release channel: ${where.problem ?? 'it is not usable'}.` });
    }
    yield* this.statusPage(cmd.step, message.kind, deadline, out);
    return { kind: 'teams', events: out };
  }

  /**
   * The status page hears of the moments the thread announces (declared: investigating, rollback
   * started: identified, stabilized: monitoring, resolved), when the environment names a status
   * page component and the severity is one it is told about; an incident it was told about is
   * followed to its resolution whatever its severity becomes.
   */
  private *statusPage(step: string, kind: IncidentMessage['kind'], deadline: string, out: NotifyEvent[]): Step<void> {
    const sp = this.input.policy.environment.communications?.statusPage;
    const status = statusPageStatusOf(kind);
    if (!sp || !status) return;
    const s = this.run.incident;
    if (!s.messages.some((m) => m.channel === 'status-page') && !sp.severities.includes(s.severity)) return;
    const update = statusPageUpdateOf(s, sp.component, status, this.now());
    const record = `status-page/${step}`;
    let o: StatusPageOutcome;
    try {
      o = yield* callActivity(this.context, PublishStatusPage, { incidentId: this.input.incidentId, step: record, update, deadline, mode: this.mode });
    } catch (err) {
      o = { kind: 'refused', reason: 'deadline', summary: failureSummary(err) };
    }
    const delivered = o.kind === 'done';
    out.push({
      type: 'message-sent',
      step: record,
      template: `status-page:${status}`,
      delivered,
      planned: o.kind === 'planned',
      channel: 'status-page',
      text: `${update.component} ${update.status}: ${update.message}`,
      messageId: o.kind === 'done' ? o.idempotencyKey : null,
      threadId: null,
      destination: null,
      problem: delivered || o.kind === 'planned' ? null : o.summary,
    });
  }

  /** A P1 pages the destination's on-call (`teams.notify`) with the declaration, whether or not the channel post went through. */
  private *pageOnCall(step: string): Step {
    const out: NotifyEvent[] = [];
    const built = IncidentMessage.safeParse(this.run.onCallMessage(this.now(), `on-call (${this.run.incident.severity})`));
    if (built.success) {
      const deadline = new Date(this.run.messageDeadline(this.now())).toISOString();
      yield* this.notify.toRole(onCallAudience(this.run.incident.severity, step, this.run.config.onCall), built.data, deadline, out);
    }
    return { kind: 'teams', events: out };
  }

  /** People the rota names (a role, or the SMEs of a triage row), paged with the declaration. */
  private *pagePeople(step: string, label: string, people: string[], as: string): Step {
    const out: NotifyEvent[] = [];
    const built = IncidentMessage.safeParse(this.run.onCallMessage(this.now(), as));
    if (built.success) {
      const deadline = new Date(this.run.messageDeadline(this.now())).toISOString();
      yield* this.notify.toRole({ label, who: `${label}: ${recipientsOf(people).valid.join(', ')}`, step, people }, built.data, deadline, out);
    }
    return { kind: 'teams', events: out };
  }

  // ---- Checks and the snapshot ----------------------------------------------------------------

  private smokeTask(purpose: string): df.Task | undefined {
    if (!this.plan) return undefined;
    const suite: SmokeSuiteInput = { incidentId: this.input.incidentId, targets: this.plan.targets, thresholds: this.plan.thresholds };
    return this.context.df.callSubOrchestrator(SMOKE_SUITE_ORCHESTRATION, suite, `${this.input.incidentId}:smoke:${artifactKey(purpose)}`);
  }

  private checksOf(raw: unknown, purpose: string): ChecksOutcome {
    const out = SmokeSuiteOutput.parse(raw);
    const n = this.run.incident.checks.runs.length + 1;
    return { ...checkFactsOf(out), run: smokeRunOf(out, artifactKey(`${String(n).padStart(3, '0')}-${purpose}`), purpose, this.nowIso()) };
  }

  /**
   * The Azure Monitor signals of this incident's service (null: none are read). Read-only, each
   * reader within the policy's timeout and never throwing, so the activity needs neither a step
   * ledger nor retries; the plan is derived from the policy snapshot at the start (replay-safe).
   */
  private signalsTask(read: NonNullable<ReadSignalsInput['read']>): df.Task | undefined {
    const sig = this.run.config.signals;
    if (!sig) return undefined;
    const { unwatchable: _u, ...plan } = sig.plan;
    return activityTask(this.context, readSignals, { incidentId: this.input.incidentId, plan, at: this.nowIso(), read });
  }

  /** What a finished signals task brought back, or null when it failed. */
  private readingsOf(task: df.Task | undefined): SignalReadings | null {
    if (!task || !task.isCompleted || task.isFaulted) return null;
    try {
      return activityResult(readSignals, task.result);
    } catch {
      return null;
    }
  }

  /** A smoke round, and the signals read alongside it (both judged by the runbook). */
  private *smoke(step: string, purpose: 'verify' | 'monitor'): Step {
    const task = this.smokeTask(step);
    const signals = this.signalsTask({ metrics: true, alerts: true, triage: false });
    const tasks = [task, signals].filter((x): x is df.Task => !!x);
    if (tasks.length) {
      try {
        yield this.context.df.Task.all(tasks);
      } catch {
        // Each one's outcome is read below.
      }
    }
    const readings = signals ? this.readingsOf(signals) : null;
    if (!task) return { kind: 'checks', checks: { ...uncheckedFacts('No smoke checks are configured for this service: recovery cannot be verified automatically.'), run: null }, signals: readings };
    if (task.isFaulted || !task.isCompleted) {
      const why = task.result instanceof Error ? failureSummary(task.result) : 'did not finish';
      return { kind: 'checks', checks: { ...uncheckedFacts(`The smoke checks could not run: ${why}`), run: null }, signals: readings };
    }
    try {
      return { kind: 'checks', checks: this.checksOf(task.result, purpose), signals: readings };
    } catch (err) {
      return { kind: 'checks', checks: { ...uncheckedFacts(`The smoke checks could not run: ${failureSummary(err)}`), run: null }, signals: readings };
    }
  }

  private *snapshot(step: string, lookbackMinutes: number): Step {
    const sql = this.input.policy.service.sql;
    const smoke = this.smokeTask(step);
    const changes = sql
      ? activityTask(this.context, sqlReadRecentChanges, { incidentId: this.input.incidentId, connectionSetting: sql.connectionSetting, scope: sql.scope ?? this.input.environment, asOf: this.nowIso(), hours: lookbackMinutes / 60 })
      : undefined;
    const releases = this.targets.length
      ? activityTask(this.context, readReleaseState, { incidentId: this.input.incidentId, env: this.input.environment, services: this.targets.map((t) => t.service), targets: this.targets })
      : undefined;
    const signals = this.signalsTask({ metrics: true, alerts: true, triage: true });
    const tasks = [smoke, changes, releases, signals].filter((t): t is df.Task => !!t);
    if (tasks.length) {
      try {
        yield this.context.df.Task.all(tasks);
      } catch {
        // Read below which ones failed; a partial snapshot is still worth a proposal.
      }
    }
    const read = <T>(t: df.Task | undefined, parse: (raw: unknown) => T): Read<T> => {
      if (!t) return null;
      if (!t.isCompleted || t.isFaulted) return { ok: false, problem: t.result instanceof Error ? failureSummary(t.result) : 'did not finish' };
      try {
        return { ok: true, value: parse(t.result) };
      } catch (err) {
        return { ok: false, problem: failureSummary(err) };
      }
    };
    const reads: SnapshotReads = {
      checks: read(smoke, (raw) => this.checksOf(raw, 'snapshot')),
      changes: read(changes, (raw) => activityResult(sqlReadRecentChanges, raw)),
      releases: read(releases, (raw) => activityResult(readReleaseState, raw)),
    };
    const rollback = this.input.policy.service.rollback;
    return { ...snapshotOf(reads, { api: rollback?.api ? this.names.api : null, web: rollback?.web ? this.names.web : null }, lookbackMinutes), signals: this.readingsOf(signals) };
  }

  // ---- Actions --------------------------------------------------------------------------------

  /** An action's outcome; retries spent (the target kept failing) is `failed`, with the raw error kept for the evidence. */
  private *action(def: { name: string; output: { parse: (v: unknown) => ActionOutcome } }, task: df.Task): Step {
    let outcome: RecordedOutcome;
    try {
      outcome = def.output.parse(yield task);
    } catch (err) {
      // People get the first line without the engine's frame; the evidence keeps the whole text.
      const raw = String(err instanceof Error ? err.message : err);
      outcome = { kind: 'failed', summary: `${def.name} failed after its retries: ${failureSummary(err, 300)}`, error: raw.slice(0, 4000) };
    }
    return { kind: 'action', activity: def.name, outcome };
  }

  private *execute(cmd: Extract<Command, { kind: 'execute' }>): Step {
    const a = cmd.action;
    const sql = this.input.policy.service.sql;
    const base = { incidentId: this.input.incidentId, step: cmd.step, mode: this.mode };
    const description = (reason: string) => `Incident ${this.input.incidentId}: ${reason}`.slice(0, 400);
    const notConfigured = (what: string): CommandResult => ({
      kind: 'action',
      activity: a.kind === 'set-flag' ? sqlSetFlag.name : sqlSetConfigValue.name,
      outcome: { kind: 'refused', summary: `No SQL target is configured for ${this.input.service}: ${what} was not changed.`, reason: 'not-configured' },
    });
    switch (a.kind) {
      case 'set-flag':
        if (!sql) return notConfigured(`flag ${a.key}`);
        return yield* this.action(
          sqlSetFlag,
          activityTask(this.context, sqlSetFlag, { ...base, actor: this.run.bot, connectionSetting: sql.connectionSetting, scope: sql.scope ?? this.input.environment, flagKey: a.key, isEnabled: a.to, description: description(a.reason) }),
        );
      case 'set-config':
        if (!sql) return notConfigured(a.key);
        return yield* this.action(
          sqlSetConfigValue,
          activityTask(this.context, sqlSetConfigValue, {
            ...base,
            actor: this.run.bot,
            connectionSetting: sql.connectionSetting,
            scope: sql.scope ?? this.input.environment,
            configKey: a.key,
            value: a.to,
            description: description(a.reason),
            ...(a.from !== null ? { expectedCurrent: a.from } : {}),
          }),
        );
      case 'api-to-lkg':
        return yield* this.action(apiToLkg, activityTask(this.context, apiToLkg, { ...base, env: this.input.environment, service: this.names.api, targets: this.targets }));
      case 'web-to-lkg':
        return yield* this.action(webToLkg, activityTask(this.context, webToLkg, { ...base, env: this.input.environment, service: this.names.web, targets: this.targets }));
      case 'restart':
      case 'scale-out':
      case 'traffic-rule':
        return yield* this.siteAction(a, base);
    }
  }

  /**
   * A containment action on the API's site, where the environment's policy allows it (the runbook
   * proposes and offers only allowed ones; a decision through the API may still ask for another).
   */
  private *siteAction(a: Extract<Command, { kind: 'execute' }>['action'] & { kind: 'restart' | 'scale-out' | 'traffic-rule' }, base: { incidentId: string; step: string; mode: 'execute' | 'plan' }): Step {
    const allowed = this.run.config.actions;
    const site = { ...base, env: this.input.environment, service: this.names.api, targets: this.targets };
    const refuse = (activity: string, what: string): CommandResult => ({
      kind: 'action',
      activity,
      outcome: { kind: 'refused', reason: 'not-allowed', summary: `${what} is not allowed in ${this.input.environment} by the policy (environments.${this.input.environment}.actions), or ${this.input.service} has no App Service site: nothing was changed.` },
    });
    switch (a.kind) {
      case 'restart': {
        if (!allowed?.restart) return refuse(restartApp.name, 'Restarting the App Service');
        const ep = this.input.policy.service.endpoints;
        const healthUrl = ep ? new URL(ep.health, ep.baseUrl.endsWith('/') ? ep.baseUrl : `${ep.baseUrl}/`).toString() : undefined;
        return yield* this.action(restartApp, activityTask(this.context, restartApp, { ...site, ...(healthUrl ? { healthUrl } : {}) }));
      }
      case 'scale-out':
        if (!allowed?.scaleOutTo) return refuse(scaleOutPlan.name, 'Scaling out the App Service plan');
        return yield* this.action(scaleOutPlan, activityTask(this.context, scaleOutPlan, { ...site, instances: a.to >= 2 ? Math.min(a.to, allowed.scaleOutTo) : allowed.scaleOutTo }));
      case 'traffic-rule':
        if (!allowed?.trafficRule) return refuse(applyTrafficRule.name, 'An access restriction');
        return yield* this.action(applyTrafficRule, activityTask(this.context, applyTrafficRule, { ...site, rule: a.rule }));
    }
  }

  private *recordLkg(step: string): Step {
    if (!this.targets.length) return { kind: 'action', activity: recordLkg.name, outcome: { kind: 'skipped', summary: 'No rollback target: no LKG to record.', reason: 'not-configured' } };
    // The pack's manifest, by the address it is sealed under a few steps later (RB-03: the pack holds this record too).
    const manifestUrl = this.run.incident.evidence?.manifestUrl;
    const evidenceUrl = manifestUrl && /^https?:\/\//.test(manifestUrl) ? manifestUrl : `https://${this.input.environment.toLowerCase()}.invalid/incidents/${this.input.incidentId}`;
    const task = activityTask(this.context, recordLkg, { incidentId: this.input.incidentId, env: this.input.environment, service: this.names.api, evidenceUrl, actor: { id: this.run.bot }, step, mode: this.mode, targets: this.targets });
    return yield* this.action(recordLkg, task);
  }

  // ---- Evidence -------------------------------------------------------------------------------

  /** The evidence pack's address and links, known before it is written. */
  private *locate(): Step {
    try {
      const out = yield* callActivity(this.context, locatePack, { pack: this.run.packRef() });
      return { kind: 'located', links: out.links, problem: out.links ? null : out.summary };
    } catch (err) {
      return { kind: 'located', links: null, problem: `The evidence pack could not be located: ${failureSummary(err)}` };
    }
  }

  private *archive(): Step {
    const pack = this.run.packRef();
    // A drill's evidence is what the drill produces, not a change to a target: its pack is written
    // and sealed like a real incident's (its record says drill, its report and postmortem DRILL).
    const mode = 'execute';
    try {
      // Counted over the whole pack (every batch and the reports), not the last call's share.
      const outcomes: ArtifactOutcome[] = [];
      // A run that continued as new holds only the record since: the rest is in the incident store.
      const stored = this.run.executions > 0 ? yield* this.readStoredRecord() : undefined;
      for (const batch of chunkArtifacts(this.run.artifacts(stored))) {
        const written = yield* callActivity(this.context, writeArtifacts, { pack, artifacts: batch, mode });
        outcomes.push(...written.outcomes);
      }
      const reports = yield* callActivity(this.context, writeReports, { pack, at: this.nowIso(), dueBusinessDays: this.input.policy.postmortemDueBusinessDays, mode });
      outcomes.push(...reports.outcomes);
      const sealed = yield* callActivity(this.context, sealPack, { pack, at: this.nowIso(), mode });
      const summary = `Evidence pack ${sealed.result}${sealed.manifest ? `: manifest SHA-256 ${sealed.manifest.sha256}` : ''}. ${summariseArtifacts(outcomes).summary}`;
      return { kind: 'archived', sealed: sealed.result === 'sealed' || sealed.result === 'already-sealed', manifestSha256: sealed.manifest?.sha256 ?? null, summary, actionItems: reports.actionItems };
    } catch (err) {
      return { kind: 'archived', sealed: false, manifestSha256: null, summary: `The evidence pack could not be written: ${failureSummary(err)}. Write it again with the evidence activities once storage is back.`, actionItems: [] };
    }
  }

  /** What the incident store holds of the record, page by page (each page one bounded history event). */
  private *readStoredRecord(): Generator<df.Task, StoredRecord, unknown> {
    const stored: StoredRecord = { timeline: [], alerts: [] };
    for (let from = { timeline: 0, alerts: 0 }; ; ) {
      const page = yield* callActivity(this.context, readRecord, { incidentId: this.input.incidentId, from });
      stored.timeline.push(...page.timeline);
      stored.alerts.push(...page.alerts);
      if (!page.next) return stored;
      // Each page takes at least one entry; one that did not would read the same page forever.
      if (page.next.timeline <= from.timeline && page.next.alerts <= from.alerts) throw new Error('The stored record did not advance from one page to the next.');
      from = page.next;
    }
  }

  /** The ticket and the action items people recorded so far, for the evidence pack. */
  private *readFollowUps(): Step {
    try {
      const out = yield* callActivity(this.context, readFollowUps, { incidentId: this.input.incidentId });
      const view = followUpOf([], out.events);
      const items = view.items.map((i) => ({ title: i.title, owner: i.owner, due: i.due, category: ActionItemCategory.catch('other').parse(i.category), links: i.links }));
      return { kind: 'follow-ups', ticketUrl: view.ticketUrl, items, problem: null };
    } catch (err) {
      return { kind: 'follow-ups', ticketUrl: null, items: [], problem: `The follow-ups (ticket, action items) could not be read: ${failureSummary(err)}` };
    }
  }
}
