#!/usr/bin/env node
/**
 * `npm run evidence -- verify <incidentId> [--json] [--env <env>] [--month <yyyy-mm>] [--manifest-sha256 <hex>]`
 *   recomputes the SHA-256 of every artifact of the incident's pack and compares them with
 *   manifest.json: a missing, changed or extra artifact is reported (exit code 1).
 * `npm run evidence -- show <incidentId> [--json] [--env <env>] [--month <yyyy-mm>]`
 *   prints the incident's timeline from its pack.
 * `npm run evidence -- export <incidentId> <dir> [--env <env>] [--month <yyyy-mm>] [--manifest-sha256 <hex>]`
 *   writes a sealed pack's files (report.html, postmortem.md, timeline.json, messages/...,
 *   manifest.json) to a folder. Every file is checked against manifest.json's SHA-256 before it
 *   is written and read back after; a file that does not match is not written, an existing file
 *   with other content is not overwritten (exit 1). A pack that is not sealed yet is not exported.
 *
 * Storage: EVIDENCE_STORAGE (or EVIDENCE_STORAGE__accountName / __blobServiceUri with your Azure
 * login) if set, else AzureWebJobsStorage; container EVIDENCE_CONTAINER (default incident-evidence).
 * Like the app, the tool reads local.settings.json (else local.settings.sample.json) of the
 * folder it runs in for settings the environment does not set.
 *
 * The pack is found by blob index tag (`incident = '<id>'`), one indexed query wherever the pack
 * is; when that finds nothing or is not allowed, by walking `{env}/{yyyy}/{mm}/` (narrow it with
 * --env and --month). Exit codes: 0 all good, 1 a problem found (or no pack), 2 usage or settings
 * error, 3 storage error.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sha256Hex, type EvidencePack, type PackProblem, type PackVerification } from '../activities/evidence-pack.js';
import { evidencePack } from '../app/evidence.js';
import { applyLocalSettings, parseAppSettings } from '../app/settings.js';
import { describeIssues } from '../config/issues.js';
import { describeProblem, EvidenceIncidentId, MANIFEST_NAME } from '../domain/evidence.js';
import { timelineRows, releaseLine } from '../domain/postmortem.js';
import { utc } from '../domain/report-format.js';
import { EvidenceStoreError } from '../ports/evidence.js';
import { errorText, TransientError } from '../domain/errors.js';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const USAGE = `Usage:
  npm run evidence -- verify <incidentId> [--json] [--env <env>] [--month <yyyy-mm>] [--manifest-sha256 <hex>]
  npm run evidence -- show <incidentId> [--json] [--env <env>] [--month <yyyy-mm>]
  npm run evidence -- export <incidentId> <dir> [--env <env>] [--month <yyyy-mm>] [--manifest-sha256 <hex>]
Storage: EVIDENCE_STORAGE or AzureWebJobsStorage (connection string, or __accountName with your Azure login); container EVIDENCE_CONTAINER.
Settings the environment does not set come from local.settings.json (else local.settings.sample.json) in the current folder.
`;

interface Args {
  command: string | undefined;
  incidentId: string | undefined;
  /** export: the folder to write to. */
  dir: string | undefined;
  extra: string[];
  json: boolean;
  env: string | undefined;
  month: string | undefined;
  manifestSha256: string | undefined;
  unknown: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { command: undefined, incidentId: undefined, dir: undefined, extra: [], json: false, env: undefined, month: undefined, manifestSha256: undefined, unknown: [] };
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
  [args.command, args.incidentId, args.dir, ...args.extra] = positional;
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

/** Where the evidence is, for messages: "AzureWebJobsStorage (http://127.0.0.1:10000/devstoreaccount1), container incident-evidence". */
function whereOf(settings: { storageSetting: string; storage: { blobEndpoint: string }; container: string }): string {
  return `${settings.storageSetting} (${settings.storage.blobEndpoint.replace(/\/+$/, '')}), container ${settings.container}`;
}

/** A manifest name as a path under `dir`, or undefined when it would leave it (names come from the pack: trust nothing). */
function destination(dir: string, name: string): string | undefined {
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(name) || name.split('/').some((part) => part === '.' || part === '..')) return undefined;
  const out = path.resolve(dir, ...name.split('/'));
  return out.startsWith(path.resolve(dir) + path.sep) ? out : undefined;
}

/**
 * Writes one checked file: refuses to overwrite other content, and reads the file back to be
 * sure what is on disk is what the manifest lists.
 */
function writeChecked(file: string, bytes: Buffer, sha256: string): 'written' | 'unchanged' | { refused: string } {
  if (existsSync(file)) {
    const existing = sha256Hex(readFileSync(file));
    if (existing === sha256) return 'unchanged';
    return { refused: `${file} exists with other content (sha256 ${existing.slice(0, 12)}…); not overwritten` };
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, bytes, { flag: 'wx' });
  const back = sha256Hex(readFileSync(file));
  return back === sha256 ? 'written' : { refused: `${file} reads back as sha256 ${back.slice(0, 12)}…, not ${sha256.slice(0, 12)}…` };
}

async function exportPack(pack: EvidencePack, args: Args, where: string, base: string, io: CliIo): Promise<number> {
  const dir = path.resolve(base, args.dir!);
  const found = await pack.locate(args.incidentId!, { environment: args.env, month: args.month });
  if (found.prefixes.length === 0) {
    io.err(`No evidence pack found for ${args.incidentId} in ${where}.\n`);
    for (const n of found.notes) io.err(`  (${n})\n`);
    io.err('Check the incident id (GET /api/incidents lists them) and that these are the settings the app writes evidence with.\n');
    return 1;
  }
  if (found.prefixes.length > 1) {
    io.err(`${args.incidentId} has ${found.prefixes.length} evidence packs: ${found.prefixes.join(', ')}. Choose one with --env and --month.\n`);
    return 2;
  }
  const prefix = found.prefixes[0]!;
  const { verification: v, manifest, files } = await pack.readVerified(prefix, { manifestSha256: args.manifestSha256 });
  if (!v.sealed || !manifest) {
    io.err(
      `The evidence pack of ${args.incidentId} (${pack.container}/${prefix}) is not sealed yet: it has no manifest.json, so there is nothing checked to export. ` +
        'A pack is sealed when its incident closes (resolved, or the monitoring window passed); try again once it has. Nothing was written.\n',
    );
    return 1;
  }
  const fatal = v.problems.filter((p) => p.kind === 'manifest-invalid' || p.kind === 'manifest-mismatch');
  if (fatal.length) {
    for (const p of fatal) io.err(`${problemLine(p)}\n`);
    io.err('Nothing was written: the manifest itself cannot be trusted.\n');
    return 1;
  }
  io.out(`Exporting ${pack.container}/${prefix} (sealed ${v.sealedAt ? utc(v.sealedAt) : 'at an unknown time'}; manifest.json sha256 ${v.manifestSha256}) to ${dir}\n`);
  io.out('Each file is checked against the SHA-256 in manifest.json as it is read, and again after it is written.\n');
  const refused: string[] = [];
  let written = 0;
  const outcome = (name: string, bytes: Buffer, sha: string) => {
    const file = destination(dir, name);
    if (!file) {
      refused.push(`${name}: not a safe file name; not written`);
      return;
    }
    const r = writeChecked(file, bytes, sha);
    if (typeof r === 'object') {
      refused.push(r.refused);
      return;
    }
    written++;
    io.out(`  ✓ ${name} (${bytes.length} bytes, sha256 ${sha.slice(0, 12)}…)${r === 'unchanged' ? ' already there, identical' : ''}\n`);
  };
  for (const [name, bytes] of [...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) outcome(name, bytes, sha256Hex(bytes));
  // The manifest last: a folder with manifest.json is a complete export.
  if (refused.length === 0 && v.problems.length === 0) outcome(MANIFEST_NAME, manifest, v.manifestSha256!);
  for (const p of v.problems) io.out(`  ✗ ${problemLine(p)} (not exported)\n`);
  for (const r of refused) io.out(`  ✗ ${r}\n`);
  const bad = v.problems.length + refused.length;
  if (bad) {
    io.out(`FAILED: ${bad} problem(s); ${written} file(s) written, manifest.json not (the folder is not a complete pack).\n`);
    return 1;
  }
  io.out(`OK: ${written} file(s) in ${dir}, every one matching manifest.json. Open ${path.join(dir, 'report.html')}.\n`);
  return 0;
}

export async function runEvidenceCli(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const args = parseArgs(argv);
  const wantsDir = args.command === 'export';
  if (!args.command || !['verify', 'show', 'export'].includes(args.command) || !args.incidentId || (wantsDir ? !args.dir : !!args.dir) || args.extra.length || args.unknown.length) {
    if (args.unknown.length) io.err(`Unknown option(s): ${args.unknown.join(' ')}\n`);
    if (wantsDir && args.incidentId && !args.dir) io.err('export needs the folder to write to.\n');
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
  const built = evidencePack('evidence-cli', parseAppSettings(env));
  if (!built.ok) {
    io.err(`Evidence storage is not configured:\n${describeIssues(built.issues, '  ')}\n(The CLI reads EVIDENCE_STORAGE, else AzureWebJobsStorage; EVIDENCE_CONTAINER names the container.)\n`);
    return 2;
  }
  const pack = built.value.pack;
  const where = whereOf(built.value.settings);
  try {
    // npm runs scripts in the package's folder; a relative folder means the one the command was typed in.
    if (args.command === 'export') return await exportPack(pack, args, where, env.INIT_CWD ?? process.cwd(), io);
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
    if (err instanceof TransientError) {
      io.err(`Storage error: cannot reach the evidence storage, ${where}: ${err.message}\n(Is the storage running? Locally, \`npm start\` runs Azurite; its data lives only while it runs.)\n`);
      return 3;
    }
    if (err instanceof EvidenceStoreError) {
      io.err(`Storage error: the evidence storage refused, ${where}: ${err.message}\n`);
      return 3;
    }
    throw err;
  }
}

if (require.main === module) {
  applyLocalSettings(process.cwd());
  runEvidenceCli(process.argv.slice(2), process.env, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`evidence: ${errorText(err)}\n`);
      process.exitCode = 3;
    },
  );
}
