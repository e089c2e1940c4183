/**
 * The incident orchestration: RB-03 and RB-02 as code. The runbook itself is a pure state machine
 * (src/domain/runbook.ts); this file only interprets it: it feeds the machine external events
 * (alerts, acknowledgements, decisions, rollback requests, extensions, resolution) and its own
 * deadlines (durable timers), and carries out the commands it answers with by calling activities:
 * Teams messages, the first-15-minutes snapshot (smoke checks, recent flag/config changes, what
 * runs in which slot), containment steps (stored procedures, slot swaps), the deploy freeze, the
 * evidence pack and the LKG record. Every activity is idempotent per incident + step, so a replay
 * or a retry never acts twice. Deterministic: time from the orchestration clock only.
 */
import * as df from 'durable-functions';
import { activityResult, activityTask, callActivity } from '../src/activities/define.js';
import { readReleaseState, apiToLkg, webToLkg, setDeployFreeze, clearDeployFreeze, recordLkg } from '../src/activities/app-service.contracts.js';
import { locatePack, sealPack, writeArtifacts, writeReports, chunkArtifacts } from '../src/activities/evidence.contracts.js';
import { closeCorrelation, recordProgress } from '../src/activities/incident.contracts.js';
import { sqlReadRecentChanges, sqlSetConfigValue, sqlSetFlag } from '../src/activities/sql.contracts.js';
import { NotifyTeams, PostTeamsMessage, ReplyTeamsMessage, type NotifyTeamsInput, type TeamsOutcome } from '../src/activities/teams.contracts.js';
import type { ActionOutcome } from '../src/domain/actions.js';
import type { RecentChange, ReleaseState } from '../src/domain/containment.js';
import { AlertRecord, IncidentInput, type EvidenceLinks, type TimelineEntry } from '../src/domain/incident.js';
import { IncidentEventName, DecisionEvent } from '../src/domain/incident-events.js';
import { applyEvent, declare, summaryOf, type IncidentState } from '../src/domain/incident-state.js';
import { IncidentMessage } from '../src/domain/messages/types.js';
import { messageDeadline, nextWake, onEvent, onResult, onTimer, startRunbook, type Command, type CommandResult, type RunbookEvent, type RunbookState, type Snapshot, type Verdict } from '../src/domain/runbook.js';
import { runbookConfigOf, rollbackTargets, lkgNames } from '../src/domain/runbook-config.js';
import { emptyCollected, evidenceArtifacts, packRefOf, artifactKey, type Collected } from '../src/domain/runbook-evidence.js';
import { buildMessage } from '../src/domain/runbook-messages.js';
import { SMOKE_SUITE_ORCHESTRATION, type SmokeSuiteInput, SmokeSuiteOutput } from '../src/activities/smoke.contracts.js';
import { runbookVerdictOf, smokePlanOf, smokeRunOf } from '../src/domain/smoke-plan.js';
import { channelOf, pagesOnCall, recipientsOf, type ChannelRef } from '../src/domain/teams-routing.js';
import type { TriggerKind } from '../src/config/policy.js';
import { EventInbox } from '../src/durable/event-inbox.js';

const EVENTS = Object.values(IncidentEventName);
/** How many times the on-call page of a P1 is tried before the escalation chain is left to reach people. */
const ON_CALL_ATTEMPTS = 3;

df.app.orchestration('incident', function* (context: df.OrchestrationContext) {
  const input = IncidentInput.parse(context.df.getInput());
  const cfg = runbookConfigOf(input);
  const env = input.policy.environment;
  const now = (): number => context.df.currentUtcDateTime.getTime();
  const nowIso = (): string => context.df.currentUtcDateTime.toISOString();
  const targets = rollbackTargets(input);
  const names = lkgNames(input);
  const sql = input.policy.service.sql;
  // The bot's one name: on the timeline, in the target's audit rows, on freezes and LKG records.
  const bot = input.policy.bot.actor;
  const plan = smokePlanOf(input);
  const triggers = new Set<TriggerKind>(input.severity.triggers);
  const collected: Collected = emptyCollected();
  let threadId: string | undefined;
  /** The declaration while it has not been delivered: each later message tries it again first, so the incident keeps one thread. */
  let undelivered: { message: IncidentMessage; attempts: number } | undefined;
  /** The evidence pack's links (undefined: not located yet; null: cannot be). */
  let links: EvidenceLinks | null | undefined;
  // The policy's Teams destination for this incident (else the app's configured channel); the
  // thread's replies follow the channel the thread was actually started in.
  const route = channelOf(input.policy.teams, `The Teams destination of ${input.service}@${input.environment}`);
  let threadDestination: ChannelRef | undefined = route.destination;
  const onCall = recipientsOf(input.policy.teams.notify);
  let declaredCmd: Extract<Command, { kind: 'announce' }> | undefined;
  let pagedOnCall = false;
  let onCallAttempts = 0;
  let smokeRuns = 0;

  const declared = declare(input);
  // Where the thread will be (the policy's destination, else the app's channel): known from the
  // start, so a reminder days later goes to the service's channel even if every post failed.
  let incident: IncidentState = { ...declared.state, teamsDestination: route.destination ?? null };
  const detected = input.alert ? Date.parse(input.alert.signal.firedAt) : Date.parse(input.declaredAt);
  const started = startRunbook(cfg, Date.parse(input.declaredAt), Math.min(detected, Date.parse(input.declaredAt)), input.severity.level, input.summary);
  let rb: RunbookState = started.state;
  if (input.alert) collected.alerts.push({ dedupeKey: input.alert.dedupeKey, receivedAt: input.alert.receivedAt, ref: input.alert.payloadRef });

  let pending: TimelineEntry[] = [...declared.entries];
  let queue: Command[] = [...started.commands];
  const note = (text: string, kind = 'runbook'): void => {
    const e: TimelineEntry = { seq: incident.timelineSeq, at: nowIso(), kind, actor: input.policy.bot.actor, text: text.slice(0, 4000) };
    incident = { ...incident, timelineSeq: incident.timelineSeq + 1 };
    pending.push(e);
  };
  started.notes.forEach((n) => note(n));
  if (cfg.mode === 'plan') note('Drill (plan-only): every action reports what it would do; nothing is changed and no message is sent.');
  if (route.problem) note(`${route.problem}: messages go to the app's configured Teams channel (TEAMS_TEAM_ID / TEAMS_CHANNEL_ID).`, 'message');
  if (onCall.invalid.length) note(`Not paged (neither an Entra object id nor a UPN): ${onCall.invalid.join(', ')}.`, 'message');

  // ---- carrying out one command ---------------------------------------------------------------

  const stepOf = (cmd: Command): string => cmd.step;

  /**
   * Sends one message: a reply in the incident's thread once there is one, else a new post. The
   * first post delivered starts the thread (normally the declaration). `record` names the message
   * in the evidence pack (a repeated declaration gets its own name; its Teams step, and so its
   * ledger entry and reference, stay the same, so a post that did go through is found, not repeated).
   */
  function* send(step: string, record: string, message: IncidentMessage, deadline: string): Generator<df.Task, TeamsOutcome | undefined, unknown> {
    const common = { incidentId: input.incidentId, step: `teams/${step}`, message, deadline, mode: cfg.mode };
    let out: TeamsOutcome;
    try {
      out =
        message.kind === 'declared' || !threadId
          ? yield* callActivity(context, PostTeamsMessage, { ...common, ...(route.destination ? { destination: route.destination } : {}) })
          : yield* callActivity(context, ReplyTeamsMessage, { ...common, threadId, ...(threadDestination ? { destination: threadDestination } : {}) });
    } catch (err) {
      // The Teams activity reports delivery problems as data; this is its storage failing for good.
      note(`Teams message "${message.kind}" not posted: ${firstLine(err)}`, 'message');
      return undefined;
    }
    collected.messages.push({
      step: record,
      at: nowIso(),
      template: message.kind,
      channel: out.kind === 'done' || out.kind === 'planned' ? out.delivery : 'none',
      text: out.kind === 'done' || out.kind === 'planned' ? out.text : out.summary,
      messageId: out.kind === 'done' ? out.messageId : null,
      delivered: out.kind === 'done',
    });
    if (out.kind !== 'done' && out.kind !== 'planned') note(`Teams message "${message.kind}" not delivered: ${out.summary}`, 'message');
    if (out.kind === 'done' && !threadId) {
      threadId = out.threadId;
      threadDestination = out.destination ?? route.destination;
      incident = { ...incident, teamsThreadId: threadId, teamsDestination: threadDestination ?? null };
      if (message.kind !== 'declared') note(`The declaration could not be posted; this "${message.kind}" message starts the incident's Teams thread instead.`, 'message');
    }
    return out;
  }

  function* announce(cmd: Extract<Command, { kind: 'announce' }>): Generator<df.Task, CommandResult, unknown> {
    const evidence = cmd.message === 'resolved' ? yield* locate() : null;
    const built = IncidentMessage.safeParse(buildMessage(cmd, { input, incident, rb, cfg, thresholds: env.thresholds, now: now(), evidence }));
    if (!built.success) {
      note(`The "${cmd.message}" message could not be built (${built.error.issues[0]?.message ?? 'invalid'}); not posted.`, 'message');
      return { kind: 'done' };
    }
    const message = built.data;
    // Retry-After and 5xx waits stay inside the current timebox (between 1 and 5 minutes).
    const deadline = new Date(messageDeadline(rb, cfg, now())).toISOString();
    if (message.kind === 'declared') declaredCmd = cmd;
    if (undelivered && !threadId && message.kind !== 'declared') {
      undelivered.attempts += 1;
      const again = yield* send('announce/declared', `announce/declared/attempt-${undelivered.attempts}`, undelivered.message, deadline);
      if (again?.kind === 'done') undelivered = undefined;
    }
    // An escalation pages its people first: the activity feed is another API (app-only) than channel
    // posts, so a channel outage that eats the message's time must not also keep them from being paged.
    const people = recipientsOf(Array.isArray(cmd.data.notify) ? (cmd.data.notify as string[]) : []);
    if (message.kind === 'escalation' && people.invalid.length) note(`Escalation: not paged (neither an Entra object id nor a UPN): ${people.invalid.join(', ')}.`, 'message');
    if (message.kind === 'escalation' && people.valid.length) {
      // Exactly the people the escalation names, through the activity feed (app-only).
      const request = { incidentId: input.incidentId, step: `teams/notify/${stepOf(cmd)}`, message, deadline, mode: cfg.mode, recipients: people.valid };
      yield* page('Escalation', { ...request, ...(threadDestination ? { destination: threadDestination } : {}), ...(threadId ? { threadId } : {}) });
    }
    const out = yield* send(stepOf(cmd), cmd.step, message, deadline);
    if (message.kind === 'declared' && cfg.mode === 'execute' && out?.kind !== 'done') undelivered = { message, attempts: 1 };
    // On-call is paged for a P1 whether or not the channel post went through, within the same
    // deadline as the post: the decision timebox runs from the declaration.
    if (message.kind === 'declared') yield* pageOnCall(deadline);
    return { kind: 'done' };
  }

  /** The evidence pack's address and links, known before it is written (once per incident). */
  function* locate(): Generator<df.Task, EvidenceLinks | null, unknown> {
    if (links !== undefined) return links;
    try {
      const out = yield* callActivity(context, locatePack, { pack: packRefOf(input, rb) });
      links = out.links;
      if (!links) note(out.summary, 'evidence');
    } catch (err) {
      links = null;
      note(`The evidence pack could not be located: ${firstLine(err)}`, 'evidence');
    }
    if (links) incident = { ...incident, evidence: links };
    return links;
  }

  /** Pages people through the activity feed; false when it did not go out. */
  function* page(what: string, request: NotifyTeamsInput): Generator<df.Task, boolean, unknown> {
    try {
      const out = yield* callActivity(context, NotifyTeams, request);
      if (out.kind === 'refused') {
        note(`${what} notification not delivered: ${out.summary}`, 'message');
        return false;
      }
      note(`${what}: ${out.summary}`, 'message');
      return true;
    } catch (err) {
      note(`${what} notification not delivered: ${firstLine(err)}`, 'message');
      return false;
    }
  }

  /**
   * A P1 pages the destination's on-call (`teams.notify`) once: at the declaration, or when a
   * later alert raises the incident to P1. Lower severities reach people through the escalation
   * chain. A page that did not go out (Graph down, throttled past its deadline) is tried again at
   * the next turns of the loop, at most ON_CALL_ATTEMPTS times in all (a refusal is not recorded in
   * the step ledger, so the same step sends again).
   */
  function* pageOnCall(deadline?: string): Generator<df.Task, void, unknown> {
    if (pagedOnCall || onCallAttempts >= ON_CALL_ATTEMPTS || !declaredCmd || !pagesOnCall(rb.severity) || !onCall.valid.length) return;
    onCallAttempts += 1;
    const built = IncidentMessage.safeParse(buildMessage(declaredCmd, { input, incident, rb, cfg, thresholds: env.thresholds, now: now() }));
    if (!built.success) {
      pagedOnCall = true;
      return;
    }
    pagedOnCall = yield* page(`On-call (${rb.severity})`, {
      incidentId: input.incidentId,
      step: 'teams/notify/on-call',
      message: built.data,
      deadline: deadline ?? new Date(messageDeadline(rb, cfg, now())).toISOString(),
      mode: cfg.mode,
      recipients: onCall.valid,
      ...(threadDestination ? { destination: threadDestination } : {}),
      ...(threadId ? { threadId } : {}),
    });
  }

  function recordSmoke(out: SmokeSuiteOutput, phase: string): Verdict {
    smokeRuns += 1;
    collected.smokeRuns.push(smokeRunOf(out, artifactKey(`${String(smokeRuns).padStart(3, '0')}-${phase}`), phase, nowIso()));
    return runbookVerdictOf(out, now());
  }

  const noChecks = (why: string): Verdict => ({ verdict: 'degraded', reasons: [why], failing: [], sseTtfbMs: null, heartbeatMs: null, at: now() });

  function smokeTask(purpose: string): df.Task | undefined {
    if (!plan) return undefined;
    const suite: SmokeSuiteInput = { incidentId: input.incidentId, targets: plan.targets, thresholds: plan.thresholds };
    return context.df.callSubOrchestrator(SMOKE_SUITE_ORCHESTRATION, suite, `${input.incidentId}:smoke:${artifactKey(purpose)}`);
  }

  function* smoke(cmd: Extract<Command, { kind: 'smoke' }>): Generator<df.Task, CommandResult, unknown> {
    const task = smokeTask(cmd.step);
    if (!task) return { kind: 'smoke', verdict: noChecks('No smoke checks are configured for this service: recovery cannot be verified automatically.') };
    try {
      const out = SmokeSuiteOutput.parse(yield task);
      return { kind: 'smoke', verdict: recordSmoke(out, cmd.purpose) };
    } catch (err) {
      return { kind: 'smoke', verdict: noChecks(`The smoke checks could not run: ${String((err as Error).message).slice(0, 300)}`) };
    }
  }

  function releaseOf(s: { production: { buildId: string | null; releaseTag: string | null; deployedAt?: string | null | undefined; migrations?: string[] | undefined } | null; lkg: { releaseTag: string; buildId: string } | null } | undefined): ReleaseState | null {
    if (!s) return null;
    return {
      current: s.production ? (s.production.releaseTag ?? s.production.buildId) : null,
      lkg: s.lkg ? s.lkg.releaseTag : null,
      // What the deploy wrote next to the build (APP_DEPLOYED_AT / APP_MIGRATIONS, or /version).
      deployedAt: s.production?.deployedAt ?? null,
      migrations: s.production?.migrations ?? [],
    };
  }

  function* snapshot(cmd: Extract<Command, { kind: 'snapshot' }>): Generator<df.Task, CommandResult, unknown> {
    const tasks: { name: string; task: df.Task }[] = [];
    const smokeT = smokeTask(cmd.step);
    if (smokeT) tasks.push({ name: 'smoke', task: smokeT });
    if (sql) {
      tasks.push({
        name: 'changes',
        task: activityTask(context, sqlReadRecentChanges, { incidentId: input.incidentId, connectionSetting: sql.connectionSetting, scope: sql.scope ?? input.environment, asOf: nowIso(), hours: cmd.lookbackMinutes / 60 }),
      });
    }
    if (targets.length) {
      tasks.push({ name: 'release', task: activityTask(context, readReleaseState, { incidentId: input.incidentId, env: input.environment, services: targets.map((t) => t.service), targets }) });
    }
    const problems: string[] = [];
    if (tasks.length) {
      try {
        yield context.df.Task.all(tasks.map((t) => t.task));
      } catch {
        // Read below which ones failed; a partial snapshot is still worth a proposal.
      }
    }
    const result = (name: string): unknown => {
      const t = tasks.find((x) => x.name === name)?.task;
      if (!t) return undefined;
      if (t.isCompleted && !t.isFaulted) return t.result;
      problems.push(`${name}: ${t.result instanceof Error ? t.result.message.split('\n')[0] : 'did not finish'}`);
      return undefined;
    };
    let verdict: Verdict | null = null;
    const smokeOut = result('smoke');
    if (smokeOut !== undefined) {
      verdict = recordSmoke(SmokeSuiteOutput.parse(smokeOut), 'snapshot');
    }
    const changes: RecentChange[] = [];
    const changesOut = result('changes');
    if (changesOut !== undefined) {
      const read = activityResult(sqlReadRecentChanges, changesOut);
      if (read.kind === 'ok') changes.push(...read.events.flatMap((e) => recentChangeOf(e)));
      else problems.push(`recent changes: ${read.summary.replace(/\.$/, '')} (${read.reason.replace(/\s*\n\s*/g, ' ').slice(0, 300)})`);
    }
    let api: ReleaseState | null = null;
    let web: ReleaseState | null = null;
    // What the snapshot found goes on the timeline: the first thing an SRE reads (RB-03 section 12).
    const seen: string[] = [];
    if (verdict) seen.push(`smoke checks ${verdict.verdict}${verdict.reasons.length ? ` (${verdict.reasons.slice(0, 3).join('; ')})` : ''}`);
    if (changesOut !== undefined && changes.length === 0 && problems.length === 0) seen.push(`no flag/config change in the last ${cmd.lookbackMinutes / 60} h`);
    for (const c of changes.slice(0, 5)) seen.push(`${c.kind} ${c.key} changed ${String(c.before)} -> ${String(c.after)} at ${c.at}${c.actor ? ` by ${c.actor}` : ''}`);
    const releaseOut = result('release');
    if (releaseOut !== undefined) {
      const read = activityResult(readReleaseState, releaseOut);
      seen.push(...read.services.map((s) => s.summary.replace(/\.$/, '')));
      if (input.policy.service.rollback?.api) api = releaseOf(read.services.find((s) => s.service === names.api));
      if (input.policy.service.rollback?.web) web = releaseOf(read.services.find((s) => s.service === names.web));
      problems.push(...read.problems);
      // A slot whose build could not be read makes "what runs where" unknown: say why.
      for (const svc of read.services) for (const slot of [svc.production, svc.staging]) if (slot?.error) problems.push(`release of ${svc.service}: ${firstLine(slot.error)}`);
    }
    if (seen.length) note(`Snapshot: ${seen.join('; ')}.`);
    if (problems.length) note(`Snapshot incomplete: ${problems.join('; ')}`);
    const snap: Snapshot = { verdict, changes, api, web, problems };
    return { kind: 'snapshot', snapshot: snap };
  }

  function* action(step: string, name: string, task: df.Task, def: { output: { parse: (v: unknown) => ActionOutcome } }): Generator<df.Task, CommandResult, unknown> {
    let outcome: ActionOutcome;
    try {
      outcome = def.output.parse(yield task);
    } catch (err) {
      // Retries are spent (the target kept failing): a refusal with the reason, for a person to act on.
      outcome = { kind: 'refused', summary: `${name} failed after its retries: ${String((err as Error).message).split('\n')[0]?.slice(0, 500) ?? ''}`, reason: 'failed' };
    }
    collected.actions.push({ step, action: name, at: nowIso(), mode: cfg.mode, outcome });
    return { kind: 'action', outcome };
  }

  function* execute(cmd: Extract<Command, { kind: 'execute' }>): Generator<df.Task, CommandResult, unknown> {
    const a = cmd.action;
    const base = { incidentId: input.incidentId, step: cmd.step, mode: cfg.mode };
    switch (a.kind) {
      case 'set-flag':
        if (!sql) return { kind: 'action', outcome: { kind: 'refused', summary: `No SQL target is configured for ${input.service}: flag ${a.key} was not changed.`, reason: 'not-configured' } };
        return yield* action(cmd.step, sqlSetFlag.name, activityTask(context, sqlSetFlag, { ...base, actor: bot, connectionSetting: sql.connectionSetting, scope: sql.scope ?? input.environment, flagKey: a.key, isEnabled: a.to, description: `Incident ${input.incidentId}: ${a.reason}`.slice(0, 400) }), sqlSetFlag);
      case 'set-config':
        if (!sql) return { kind: 'action', outcome: { kind: 'refused', summary: `No SQL target is configured for ${input.service}: ${a.key} was not changed.`, reason: 'not-configured' } };
        return yield* action(
          cmd.step,
          sqlSetConfigValue.name,
          activityTask(context, sqlSetConfigValue, {
            ...base,
            actor: bot,
            connectionSetting: sql.connectionSetting,
            scope: sql.scope ?? input.environment,
            configKey: a.key,
            value: a.to,
            description: `Incident ${input.incidentId}: ${a.reason}`.slice(0, 400),
            ...(a.from !== null ? { expectedCurrent: a.from } : {}),
          }),
          sqlSetConfigValue,
        );
      case 'api-to-lkg':
        return yield* action(cmd.step, apiToLkg.name, activityTask(context, apiToLkg, { ...base, env: input.environment, service: names.api, targets }), apiToLkg);
      case 'web-to-lkg':
        return yield* action(cmd.step, webToLkg.name, activityTask(context, webToLkg, { ...base, env: input.environment, service: names.web, targets }), webToLkg);
    }
  }

  function* archive(): Generator<df.Task, CommandResult, unknown> {
    const pack = packRefOf(input, rb);
    try {
      for (const batch of chunkArtifacts(evidenceArtifacts(input, incident, rb, cfg, { ...collected, timeline: [...collected.timeline, ...pending] }))) {
        const written = yield* callActivity(context, writeArtifacts, { pack, artifacts: batch, mode: cfg.mode });
        if (written.refused) note(`Evidence: ${written.summary}`, 'evidence');
      }
      const reports = yield* callActivity(context, writeReports, { pack, at: nowIso(), dueBusinessDays: cfg.postmortemDueBusinessDays, mode: cfg.mode });
      const sealed = yield* callActivity(context, sealPack, { pack, at: nowIso(), mode: cfg.mode });
      note(`Evidence pack ${sealed.result}${sealed.manifest ? `: manifest SHA-256 ${sealed.manifest.sha256}` : ''}. ${reports.summary}`, 'evidence');
    } catch (err) {
      note(`The evidence pack could not be written: ${firstLine(err)}. Write it again with the evidence activities once storage is back.`, 'evidence');
    }
    return { kind: 'done' };
  }

  function* carryOut(cmd: Command): Generator<df.Task, CommandResult, unknown> {
    switch (cmd.kind) {
      case 'announce':
        return yield* announce(cmd);
      case 'snapshot':
        return yield* snapshot(cmd);
      case 'smoke':
        return yield* smoke(cmd);
      case 'execute':
        return yield* execute(cmd);
      case 'freeze': {
        const def = cmd.on ? setDeployFreeze : clearDeployFreeze;
        const task = activityTask(context, def, { incidentId: input.incidentId, env: input.environment, reason: cmd.reason, actor: { id: bot, name: 'incident-autopilot' }, step: cmd.step, mode: cfg.mode });
        return yield* action(cmd.step, def.name, task, def);
      }
      case 'record-lkg': {
        if (!targets.length) return { kind: 'action', outcome: { kind: 'skipped', summary: 'No rollback target: no LKG to record.', reason: 'not-configured' } };
        // The pack's manifest, by the address it is sealed under a few steps later (RB-03: the pack holds this record too).
        const manifestUrl = (yield* locate())?.manifestUrl;
        const evidenceUrl = manifestUrl && /^https?:\/\//.test(manifestUrl) ? manifestUrl : `https://${input.environment.toLowerCase()}.invalid/incidents/${input.incidentId}`;
        return yield* action(cmd.step, recordLkg.name, activityTask(context, recordLkg, { incidentId: input.incidentId, env: input.environment, service: names.api, evidenceUrl, actor: { id: bot }, step: cmd.step, mode: cfg.mode, targets }), recordLkg);
      }
      case 'archive':
        return yield* archive();
      case 'close':
        try {
          yield* callActivity(context, closeCorrelation, { incidentId: input.incidentId, service: input.service, environment: input.environment });
        } catch (err) {
          // The intake closes a correlation that points at a finished incident, so this only delays that.
          note(`Could not close the correlation: ${firstLine(err)}`);
        }
        return { kind: 'done' };
    }
  }

  // ---- events from people and alerts ---------------------------------------------------------

  function handleEvent(name: string, payload: unknown): void {
    const before = incident;
    const applied = applyEvent(incident, name, payload, nowIso());
    incident = applied.state;
    pending.push(...applied.entries);
    const accepted = applied.entries.length > 0 && !applied.entries.some((e) => e.kind === 'ignored');
    for (const e of accepted ? runbookEvents(name, payload, before, incident, now()) : []) {
      const t = onEvent(rb, cfg, e);
      rb = t.state;
      t.notes.forEach((n) => note(n));
      queue.push(...t.commands);
    }
    if (name === IncidentEventName.alert) {
      const parsed = AlertRecord.safeParse(payload);
      if (parsed.success && !before.alertKeys.includes(parsed.data.dedupeKey)) {
        parsed.data.severity.triggers.forEach((tr) => triggers.add(tr));
        collected.alerts.push({ dedupeKey: parsed.data.dedupeKey, receivedAt: parsed.data.receivedAt, ref: parsed.data.payloadRef });
      }
    }
    if (name === IncidentEventName.decision && accepted) {
      const d = DecisionEvent.safeParse(payload);
      if (d.success) collected.approvals.push({ at: d.data.at, approver: d.data.actor, decision: d.data.choice, proposalId: d.data.proposalId ?? null, reason: d.data.reason ?? null });
    }
  }

  // ---- the loop ------------------------------------------------------------------------------

  /** Records the timeline entries so far, the summary and the custom status. */
  function* flush(): Generator<df.Task, void, unknown> {
    if (rb.resolvedAt !== null && !incident.resolved) {
      incident = { ...incident, resolved: { by: rb.resolvedBy ?? input.policy.bot.actor, at: new Date(rb.resolvedAt).toISOString(), summary: null }, phase: 'resolved' };
    }
    incident = { ...incident, phase: rb.phase, severity: rb.severity, updatedAt: nowIso(), postmortemDueAt: rb.postmortemDueAt === null ? null : new Date(rb.postmortemDueAt).toISOString() };
    if (pending.length) {
      try {
        yield* callActivity(context, recordProgress, { summary: summaryOf(incident), timeline: pending });
        collected.timeline.push(...pending);
        pending = [];
      } catch {
        // Storage stayed down through the retries: keep the entries and record them next time.
      }
    }
    context.df.setCustomStatus(status(incident, rb, cfg.mode));
  }

  const inbox = new EventInbox(context, EVENTS);
  for (;;) {
    while (queue.length) {
      const cmd = queue.shift() as Command;
      // A containment step can take minutes (a swap, then Durable's retries of it): the decision,
      // the freeze and the phase are shown before it starts, not once every step has finished.
      if (cmd.kind === 'execute') yield* flush();
      const result = yield* carryOut(cmd);
      const t = onResult(rb, cfg, cmd, result, now(), [...triggers]);
      rb = t.state;
      t.notes.forEach((n) => note(n));
      queue.push(...t.commands);
    }
    // Raised to P1 by a later alert: on-call is paged now.
    yield* pageOnCall();
    yield* flush();
    if (rb.done) break;

    // Events that arrived while the commands ran are handled before waiting again.
    const received = inbox.take();
    if (received.length) {
      for (const ev of received) handleEvent(ev.name, ev.payload);
      continue;
    }
    const wake = nextWake(rb, cfg);
    const waits = inbox.open();
    const timer = wake === null ? undefined : context.df.createTimer(new Date(Math.max(wake, now())));
    const winner = (yield context.df.Task.any(timer ? [...waits, timer] : waits)) as df.Task;
    if (timer && winner === timer) {
      const t = onTimer(rb, cfg, now());
      rb = t.state;
      t.notes.forEach((n) => note(n));
      queue = t.commands;
      continue;
    }
    // An event won: the next turn of the loop takes it (with any other that came with it).
    timer?.cancel();
  }
  return summaryOf(incident);
});

/** Runbook events for an incident event that was accepted (validated and applied to the incident). */
function runbookEvents(name: string, payload: unknown, before: IncidentState, after: IncidentState, at: number): RunbookEvent[] {
  const p = (payload ?? {}) as Record<string, unknown>;
  const who = p.actor as { id?: string; name?: string } | undefined;
  const actor = who?.name ?? who?.id ?? 'unknown';
  switch (name) {
    case IncidentEventName.ack:
      return [{ kind: 'ack', at, actor }];
    case IncidentEventName.decision:
      return after.decision ? [{ kind: 'decision', at, actor, choice: after.decision.choice as NonNullable<RunbookEvent['choice']>, ...(typeof p.proposalId === 'string' ? { proposalId: p.proposalId } : {}) }] : [];
    case IncidentEventName.rollback:
      return after.rollbackRequested ? [{ kind: 'rollback', at, actor, reason: after.rollbackRequested.reason }] : [];
    case IncidentEventName.extend: {
      const last = after.extensions[after.extensions.length - 1];
      return last ? [{ kind: 'extend', at, actor, timebox: last.timebox, minutes: last.minutes }] : [];
    }
    case IncidentEventName.resolve:
      return [{ kind: 'resolve', at, actor }];
    case IncidentEventName.alert: {
      if (after.alertKeys.length === before.alertKeys.length) return [];
      const out: RunbookEvent[] = [{ kind: 'alert', at, actor: 'azure-monitor', condition: after.recoverySignals > before.recoverySignals ? 'Resolved' : 'Fired' }];
      if (after.severity !== before.severity) out.push({ kind: 'severity', at, actor: 'azure-monitor', severity: after.severity });
      return out;
    }
    default:
      return [];
  }
}

/** An audit row as the decision tree sees it (flags: "1"/"0" -> booleans). */
function recentChangeOf(e: { at: string; actor: string; entityType: string; entityKey: string; field: string; before: string | null; after: string | null }): RecentChange[] {
  const bool = (v: string | null): boolean | null => (v === '1' || v?.toLowerCase() === 'true' ? true : v === '0' || v?.toLowerCase() === 'false' ? false : null);
  if (/flag/i.test(e.entityType) && /enabled/i.test(e.field)) return [{ kind: 'flag', key: e.entityKey, at: e.at, before: bool(e.before), after: bool(e.after), actor: e.actor }];
  if (/config/i.test(e.entityType) && /^value$/i.test(e.field)) return [{ kind: 'config', key: e.entityKey, at: e.at, before: e.before, after: e.after, actor: e.actor }];
  return [];
}

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split('\n')[0]?.slice(0, 300) ?? '';
}

function status(incident: IncidentState, rb: RunbookState, mode: 'execute' | 'plan'): Record<string, unknown> {
  const at = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  return {
    phase: rb.phase,
    severity: rb.severity,
    service: incident.service,
    environment: incident.environment,
    mode,
    deadlines: {
      decision: rb.phase === 'deciding' ? at(rb.decisionDueAt) : null,
      containment: rb.phase === 'verifying' || rb.phase === 'containing' ? at(rb.containmentDueAt) : null,
      monitoringEnds: rb.phase === 'monitoring' ? at(rb.monitoringEndsAt) : null,
      postmortemDue: at(rb.postmortemDueAt),
    },
    proposal: rb.proposal ? { id: rb.proposal.id, path: rb.proposal.path } : null,
    decision: rb.choice ? { choice: rb.choice, by: rb.decidedBy } : null,
    lastChecks: rb.lastVerdict ? { verdict: rb.lastVerdict.verdict, at: at(rb.lastVerdict.at), reasons: rb.lastVerdict.reasons.slice(0, 3) } : null,
    rolledBack: rb.rolledBack,
    frozen: rb.frozen,
    alerts: incident.alerts,
    acknowledgedBy: incident.acknowledged.map((a) => a.by),
    updatedAt: incident.updatedAt,
  };
}
