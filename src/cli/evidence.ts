#!/usr/bin/env node
/**
 * `npm run evidence -- verify <incidentId> [--json] [--env <env>] [--month <yyyy-mm>] [--manifest-sha256 <hex>]`
 *   recomputes the SHA-256 of every artifact of the incident's pack and compares them with
 *   manifest.json: a missing, changed or extra artifact is reported (exit code 1).
 * `npm run evidence -- show <incidentId> [--json] [--env <env>] [--month <yyyy-mm>]`
 *   prints the incident's timeline from its pack.
 *
 * Storage: EVIDENCE_STORAGE (or EVIDENCE_STORAGE__accountName / __blobServiceUri with your Azure
 * login) if set, else AzureWebJobsStorage; container EVIDENCE_CONTAINER (default incident-evidence);
 * from the environment, else local.settings.json (as the app reads them).
 *
 * The pack is found by blob index tag (`incident = '<id>'`), one indexed query wherever the pack
 * is; when that finds nothing or is not allowed, by walking `{env}/{yyyy}/{mm}/` (narrow it with
 * --env and --month). Exit codes: 0 all good, 1 a problem found (or no pack), 2 usage or settings
 * error, 3 storage error.
 */
import { type EvidencePack, type PackProblem, type PackVerification } from '../app/evidence-pack.js';
import { evidencePack } from '../app/evidence.js';
import { describeIssues } from '../config/issues.js';
import { applyLocalSettings } from '../config/local-settings.js';
import { describeProblem, EvidenceIncidentId } from '../domain/evidence.js';
import { timelineRows, releaseLine } from '../domain/postmortem.js';
import { utc } from '../domain/report-format.js';
import { EvidenceStoreError } from '../ports/evidence.js';
import { TransientError } from '../ports/transient.js';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const USAGE = `Usage:
  npm run evidence -- verify <incidentId> [--json] [--env <env>] [--month <yyyy-mm>] [--manifest-sha256 <hex>]
  npm run evidence -- show <incidentId> [--json] [--env <env>] [--month <yyyy-mm>]
Storage: EVIDENCE_STORAGE or AzureWebJobsStorage (connection string, or __accountName with your Azure login); container EVIDENCE_CONTAINER.
`;

interface Args {
  command: string | undefined;
  incidentId: string | undefined;
  json: boolean;
  env: string | undefined;
  month: string | undefined;
  manifestSha256: string | undefined;
  unknown: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { command: undefined, incidentId: undefined, json: false, env: undefined, month: undefined, manifestSha256: undefined, unknown: [] };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => argv[++i];
    if (a === '--json') args.json = true;
    else if (a === '--env') args.env = value();
    else if (a === '--month') args.month = value();
    else if (a === '--manifest-sha256') args.manifestSha256 = value();
    else if (a.startsWith('--')) args.unknown.push(a);
    else positional.push(a);
  }
  [args.command, args.incidentId] = positional;
  return args;
}

function problemLine(p: PackProblem): string {
  switch (p.kind) {
    case 'missing':
    case 'changed':
    case 'extra':
      return describeProblem(p);
    case 'unsealed':
      return `UNSEALED ${p.detail}`;
    case 'manifest-invalid':
      return `INVALID  ${p.detail}`;
    case 'manifest-mismatch':
      return `MANIFEST ${p.detail}`;
    case 'not-found':
      return `NOTFOUND ${p.detail}`;
  }
}

function printVerification(v: PackVerification, io: CliIo): void {
  io.out(`Pack ${v.container}/${v.prefix}\n`);
  if (v.sealed) io.out(`  sealed ${v.sealedAt ? utc(v.sealedAt) : '(unknown time)'}; manifest.json sha256 ${v.manifestSha256}\n`);
  io.out(`  ✓ ${v.verified.length} artifact(s) match${v.sealed ? ' the manifest' : ' the hash recorded when written'}\n`);
  for (const p of v.problems) io.out(`  ✗ ${problemLine(p)}\n`);
}

async function locate(pack: EvidencePack, args: Args, io: CliIo): Promise<{ prefixes: string[]; method: string; notes: string[] } | undefined> {
  const found = await pack.locate(args.incidentId!, { environment: args.env, month: args.month });
  if (found.prefixes.length === 0) {
    if (args.json) io.out(`${JSON.stringify({ incidentId: args.incidentId, ok: false, found: false, method: found.method, notes: found.notes }, null, 2)}\n`);
    else {
      io.out(`No evidence pack found for ${args.incidentId} in container ${pack.container}.\n`);
      for (const n of found.notes) io.out(`  (${n})\n`);
    }
    return undefined;
  }
  return found;
}

export async function runEvidenceCli(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const args = parseArgs(argv);
  if (!args.command || !['verify', 'show'].includes(args.command) || !args.incidentId || args.unknown.length) {
    if (args.unknown.length) io.err(`Unknown option(s): ${args.unknown.join(' ')}\n`);
    io.err(USAGE);
    return 2;
  }
  if (!EvidenceIncidentId.safeParse(args.incidentId).success) {
    io.err(`Not an incident id: ${JSON.stringify(args.incidentId.slice(0, 140))} (letters, digits, ".", "_", "-").\n`);
    return 2;
  }
  if (args.month && !/^\d{4}-\d{2}$/.test(args.month)) {
    io.err('--month takes yyyy-mm, e.g. 2026-01.\n');
    return 2;
  }
  if (args.manifestSha256 && !/^[0-9a-fA-F]{64}$/.test(args.manifestSha256)) {
    io.err('--manifest-sha256 takes a SHA-256 in hex (64 characters).\n');
    return 2;
  }
  const built = evidencePack(env, 'evidence-cli');
  if (!built.ok) {
    io.err(`Evidence storage is not configured:\n${describeIssues(built.issues, '  ')}\n(The CLI reads EVIDENCE_STORAGE, else AzureWebJobsStorage; EVIDENCE_CONTAINER names the container.)\n`);
    return 2;
  }
  const pack = built.value.pack;
  try {
    const found = await locate(pack, args, io);
    if (!found) return 1;
    if (args.command === 'verify') {
      const results: PackVerification[] = [];
      for (const prefix of found.prefixes) results.push(await pack.verify(prefix, { manifestSha256: args.manifestSha256 }));
      const ok = results.every((r) => r.ok);
      if (args.json) {
        io.out(`${JSON.stringify({ incidentId: args.incidentId, ok, found: true, method: found.method, notes: found.notes, packs: results }, null, 2)}\n`);
      } else {
        io.out(`Evidence for ${args.incidentId} (found by ${found.method === 'tags' ? 'blob index tag' : 'prefix search'})\n`);
        for (const n of found.notes) io.out(`  (${n})\n`);
        for (const r of results) printVerification(r, io);
        const problems = results.reduce((n, r) => n + r.problems.length, 0);
        io.out(ok ? 'OK: every artifact matches.\n' : `FAILED: ${problems} problem(s).\n`);
      }
      return ok ? 0 : 1;
    }
    // show
    const out: unknown[] = [];
    for (const prefix of found.prefixes) {
      const { bundle, notes } = await pack.read(prefix);
      const rows = timelineRows(bundle);
      const s = bundle.incident?.summary;
      if (args.json) {
        out.push({ prefix, incident: s ?? null, release: bundle.incident?.release ?? null, timeline: rows, notes });
        continue;
      }
      io.out(`${s ? `${s.severity} ${s.environment} ${s.service}: ${s.summary} (${s.status})` : `${args.incidentId} (no incident.json)`}\n`);
      io.out(`  pack ${pack.container}/${prefix}\n`);
      if (s) io.out(`  declared ${utc(s.declaredAt)}; resolved ${utc(s.resolvedAt)}; release ${releaseLine(bundle)}\n`);
      for (const n of notes) io.out(`  ! ${n}\n`);
      io.out(`Timeline (UTC):\n`);
      const width = Math.min(28, Math.max(5, ...rows.map((r) => r.actor.length)));
      for (const r of rows) io.out(`  ${utc(r.at).slice(0, 19)}  ${r.actor.padEnd(width).slice(0, width)}  ${r.what}\n`);
      if (rows.length === 0) io.out('  (no timeline entries)\n');
    }
    if (args.json) io.out(`${JSON.stringify({ incidentId: args.incidentId, method: found.method, packs: out }, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof EvidenceStoreError || err instanceof TransientError) {
      io.err(`Storage error: ${err.message}\n`);
      return 3;
    }
    throw err;
  }
}

if (require.main === module) {
  // Storage settings as the app reads them: the environment first, then local.settings.json.
  applyLocalSettings(process.cwd());
  runEvidenceCli(process.argv.slice(2), process.env, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`evidence: ${(err as Error).message}\n`);
      process.exitCode = 3;
    },
  );
}
