#!/usr/bin/env node
/**
 * `npm run policy:check -- [<file>]`: validates a policy file and explains it; without a file, the
 * policy the app would load (POLICY_JSON or POLICY_PATH, from the environment or local.settings.json).
 * Exit code 0 when valid (warnings are printed), 1 when invalid (every problem with its path), 2 on
 * usage errors.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { applyLocalSettings } from '../app/settings.js';
import { checkPolicy, resolveService, type Policy, type SmeKind } from '../config/policy.js';
import { signalsPlanOf } from '../domain/monitor-signals.js';
import { SME_NAMES } from '../domain/roles.js';
import { channelOf, freezeChannel, recipientsOf } from '../domain/teams-routing.js';
import { errorText } from '../domain/errors.js';

/** The policy text to check: the file named, else the app's own setting. */
function source(argv: string[]): { file: string; text: string } | number {
  let file = argv.find((a) => !a.startsWith('-'));
  if (!file) {
    applyLocalSettings(process.cwd());
    const inline = process.env.POLICY_JSON?.trim();
    if (inline) return { file: 'POLICY_JSON', text: inline };
    const setting = process.env.POLICY_PATH?.trim();
    if (!setting) {
      process.stderr.write('Usage: npm run policy:check -- [<policy.json>] [--json]\n(no file given, and neither POLICY_PATH nor POLICY_JSON is set in the environment or local.settings.json)\n');
      return 2;
    }
    file = path.resolve(process.cwd(), setting);
  }
  try {
    return { file, text: readFileSync(file, 'utf8') };
  } catch (err) {
    process.stderr.write(`Cannot read ${file}: ${errorText(err)}\n`);
    return 2;
  }
}

function main(argv: string[]): number {
  const asJson = argv.includes('--json');
  const src = source(argv);
  if (typeof src === 'number') return src;
  const { file, text } = src;
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    process.stdout.write(asJson ? JSON.stringify({ ok: false, issues: [{ path: '(root)', code: 'invalid_json', message: errorText(err) }] }) + '\n' : `${file}: not valid JSON: ${errorText(err)}\n`);
    return 1;
  }
  const result = checkPolicy(document);
  if (asJson) {
    process.stdout.write(JSON.stringify(result.ok ? { ok: true, warnings: result.warnings } : { ok: false, issues: result.issues }, null, 2) + '\n');
    return result.ok ? 0 : 1;
  }
  if (!result.ok) {
    process.stdout.write(`${file}: ${result.issues.length} problem(s)\n`);
    for (const i of result.issues) process.stdout.write(`  ✗ ${i.path}: ${i.message}\n`);
    return 1;
  }
  const p = result.policy;
  const lines = [`${file}: valid`, `  environments: ${Object.entries(p.environments).map(([n, e]) => `${n} (trigger severity ${e.triggerSeverity})`).join(', ')}`];
  for (const level of ['P1', 'P2', 'P3'] as const) {
    const t = p.timeboxes[level];
    lines.push(
      `  ${level}: ack ${t.ackMinutes} min, decision ${t.decisionMinutes} min (then ${t.noDecision}), containment ${t.containmentMinutes} min, ` +
        `recovery ${t.recoveryMinutes} min, monitoring ${t.monitoringMinutes} min, updates every ${t.updateEveryMinutes} min`,
    );
  }
  lines.push(`  services (${p.services.length}):`);
  for (const s of p.services) {
    const how = [
      Object.keys(s.match.properties).length ? `properties ${JSON.stringify(s.match.properties)}` : '',
      s.match.targetResourceIds.length ? `${s.match.targetResourceIds.length} target id(s)` : '',
      s.match.rulePatterns.length ? `rules ${s.match.rulePatterns.map((r) => `/${r}/`).join(' ')}` : '',
    ].filter(Boolean);
    const can = [
      s.rollback?.api ? `API ${s.rollback.api.strategy}` : '',
      s.rollback?.web ? `web ${s.rollback.web.strategy}` : '',
      s.sql ? `SQL (${s.sql.connectionSetting})` : '',
      s.endpoints ? 'smoke checks' : '',
    ].filter(Boolean);
    lines.push(`    ${s.service}@${s.environment}: matched by ${how.join(', ') || 'nothing'}; can do ${can.join(', ') || 'nothing automatically'}`);
  }
  lines.push(...signalsLines(p));
  const teams = teamsLines(p);
  lines.push(...teams.lines);
  for (const w of [...result.warnings, ...teams.warnings]) lines.push(`  ! ${w}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/** What the signal readers read per service, how recovery is judged, and the synthetic monitor (README "Signals"). */
function signalsLines(p: Policy): string[] {
  const lines = ['  Signals (recovery = green checks + each metric back under its threshold for the hold time + no active alert):'];
  for (const [name, e] of Object.entries(p.environments)) {
    const s = e.signals;
    const end = s.alertAtWindowEnd === 'extend' ? `extend the window by ${s.extendMinutes} min (at most ${s.maxExtensions} times, then keep it open)` : 'keep the incident open';
    const synthetic = s.synthetic
      ? `synthetic monitor "${s.synthetic.schedule}" (UTC), declares after ${s.synthetic.failuresToDeclare} red runs in a row as ${s.synthetic.severity ?? e.triggerSeverity}`
      : 'no synthetic monitor';
    lines.push(
      `    ${name}: metrics held ${s.holdMinutes} min over the last ${s.lookbackMinutes} min; ${s.lookAgainBeforeDeadline ? 'looks again before an automatic rollback' : 'rolls back at a deadline without looking again'}; ` +
        `an alert still active when the window ends: ${end}; flaps: rollback at ${e.thresholds.flapCount} in ${e.thresholds.flapWindowMinutes} min; ${synthetic}`,
    );
  }
  for (const svc of p.services) {
    const env = resolveService(p, svc).environment;
    const plan = signalsPlanOf({ service: svc, environment: env });
    const metrics = plan.missing.metrics ? `metrics not read (${plan.missing.metrics})` : `metrics ${plan.metrics.map((m) => `${m.label} on ${m.resourceIds.map((r) => r.split('/').at(-1)).join(', ')}`).join('; ')} (${plan.region})`;
    const logs = plan.logs ? `logs ${plan.logs.kind === 'app-insights' ? `Application Insights ${plan.logs.resourceId.split('/').at(-1)}` : `workspace ${plan.logs.workspaceId}`}` : `logs not read (${plan.missing.logs})`;
    const alerts = plan.missing.alerts ? `alerts not read (${plan.missing.alerts})` : `alerts in ${plan.alertScopes.map((a) => a.split('/').at(-1)).join(', ')}`;
    lines.push(`    ${svc.service}@${svc.environment}: ${metrics}; ${logs}; ${alerts}`);
    for (const u of plan.unwatchable) lines.push(`      not watched: ${u}`);
  }
  return lines;
}

/** Where each service's incident thread goes, who is paged, and where freezes are announced. */
function teamsLines(p: Policy): { lines: string[]; warnings: string[] } {
  const configured = "the app's configured channel (TEAMS_TEAM_ID / TEAMS_CHANNEL_ID)";
  const warnings = new Set<string>();
  const unusable = (list: readonly string[], where: string) => {
    const { invalid } = recipientsOf(list);
    if (invalid.length) warnings.add(`${where}: not an Entra object id or UPN, nobody is paged for ${invalid.join(', ')}`);
  };
  const lines = ['  Teams (incident thread; on-call paged when the incident is P1):'];
  for (const s of p.services) {
    const t = resolveService(p, s).teams;
    const c = channelOf(t, `the Teams destination of ${s.service}@${s.environment}`);
    if (c.problem) warnings.add(`${c.problem}: its messages go to ${configured}`);
    unusable(t.notify, `the on-call of ${s.service}@${s.environment}`);
    const where = c.destination ? `channel ${c.destination.channelId} of team ${c.destination.teamId}` : configured;
    const onCall = recipientsOf(t.notify).valid;
    lines.push(`    ${s.service}@${s.environment}: ${where}; on-call: ${onCall.length ? onCall.join(', ') : 'nobody named'}`);
  }
  p.escalation.forEach((e, i) => {
    unusable(e.notify, `escalation[${i}]`);
    lines.push(`    escalation after ${e.afterMinutes} min without an Incident Commander (${e.severities.join(', ')}): ${recipientsOf(e.notify).valid.join(', ') || 'nobody'}`);
  });
  lines.push('  People (rota paged at the declaration; IC backups when no IC within the IC timebox; SMEs by triage row):');
  for (const [env, e] of Object.entries(p.environments)) {
    const r = e.rota;
    const list = (xs: readonly string[] | undefined): string => (xs?.length ? xs.join(', ') : 'nobody');
    if (r) {
      (['ic', 'deputy', 'scribe', 'comms'] as const).forEach((role) => unusable(r[role], `environments.${env}.rota.${role}`));
      for (const [kind, xs] of Object.entries(r.sme)) unusable(xs ?? [], `environments.${env}.rota.sme.${kind}`);
    }
    const smes = r ? (Object.keys(SME_NAMES) as SmeKind[]).map((k) => `${SME_NAMES[k]} ${list(r.sme[k])}`).join('; ') : '';
    lines.push(
      r
        ? `    ${env} (${r.severities.join(', ')}): IC ${list(r.ic.slice(0, 1))}${r.ic.length > 1 ? ` (backups ${r.ic.slice(1).join(', ')})` : ''}; Deputy ${list(r.deputy)}; Scribe ${list(r.scribe)}; Comms ${list(r.comms)}; SMEs: ${smes}; Decision Owner ${e.decisionOwner ?? 'none (approvers decide)'}`
        : `    ${env}: no rota; Decision Owner ${e.decisionOwner ?? 'none (approvers decide)'}`,
    );
  }
  lines.push('  Communications (release channel: RB-02 rollback start and success; stakeholders: summary cadence; status page component):');
  for (const [env, e] of Object.entries(p.environments)) {
    const c = e.communications;
    if (!c) {
      lines.push(`    ${env}: the incident thread only`);
      continue;
    }
    const channel = (t: { teamId: string; channelId: string } | undefined, where: string): string => {
      if (!t) return 'none';
      const r = channelOf({ ...t, notify: [] }, where);
      if (r.problem) warnings.add(`${r.problem}: nothing is posted there`);
      return r.destination ? `channel ${r.destination.channelId}` : 'unusable';
    };
    const st = c.stakeholders;
    const cadence = st ? (['P1', 'P2', 'P3'] as const).map((l) => `${l} ${st.everyMinutes[l] !== undefined ? `every ${st.everyMinutes[l]} min` : 'none'}`).join(', ') : '';
    lines.push(
      `    ${env}: release ${channel(c.releaseChannel, `environments.${env}.communications.releaseChannel`)}; stakeholders ${channel(st, `environments.${env}.communications.stakeholders`)}${st ? ` (${cadence})` : ''}; ` +
        `status page ${c.statusPage ? `"${c.statusPage.component}" (${c.statusPage.severities.join(', ')}; address: STATUS_PAGE_WEBHOOK_URL)` : 'none'}`,
    );
  }
  const freezes = Object.keys(p.environments).map((env) => {
    const f = freezeChannel(p, env);
    return `${env} -> ${f.destination ? f.destination.channelId : 'configured channel'}`;
  });
  lines.push(`  deploy-freeze announcements: ${freezes.join(', ')}`);
  return { lines, warnings: [...warnings] };
}

process.exitCode = main(process.argv.slice(2));
