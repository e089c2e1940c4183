#!/usr/bin/env node
/**
 * `npm run policy:check -- <file>`: validates a policy file and explains it. Exit code 0 when
 * valid (warnings are printed), 1 when invalid (every problem with its path), 2 on usage errors.
 */
import { readFileSync } from 'node:fs';
import { checkPolicy, resolveService, type Policy, type SmeKind } from '../config/policy.js';
import { SME_NAMES } from '../domain/roles.js';
import { channelOf, freezeChannel, recipientsOf } from '../domain/teams-routing.js';

function main(argv: string[]): number {
  const file = argv.find((a) => !a.startsWith('-'));
  const asJson = argv.includes('--json');
  if (!file) {
    process.stderr.write('Usage: npm run policy:check -- <policy.json> [--json]\n');
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    process.stderr.write(`Cannot read ${file}: ${(err as Error).message}\n`);
    return 2;
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    process.stdout.write(asJson ? JSON.stringify({ ok: false, issues: [{ path: '(root)', code: 'invalid_json', message: (err as Error).message }] }) + '\n' : `${file}: not valid JSON: ${(err as Error).message}\n`);
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
  const teams = teamsLines(p);
  lines.push(...teams.lines);
  for (const w of [...result.warnings, ...teams.warnings]) lines.push(`  ! ${w}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
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
  const freezes = Object.keys(p.environments).map((env) => {
    const f = freezeChannel(p, env);
    return `${env} -> ${f.destination ? f.destination.channelId : 'configured channel'}`;
  });
  lines.push(`  deploy-freeze announcements: ${freezes.join(', ')}`);
  return { lines, warnings: [...warnings] };
}

process.exitCode = main(process.argv.slice(2));
