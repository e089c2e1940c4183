/**
 * Writing, sealing, reading and verifying an incident's evidence pack, on the EvidenceStore port
 * (used by the evidence activities and by `npm run evidence`).
 *
 * Every write is write-once (If-None-Match: *). Idempotence comes from the store itself, so no
 * ledger entry is needed: when a blob exists already, its bytes are read back and hashed; the same
 * SHA-256 means an earlier attempt (a Durable retry, a replay) stored exactly this and the result is
 * `unchanged`; a different one means someone stored something else under that name, and the write
 * is `refused` with both hashes. Nothing is ever overwritten. Once `manifest.json` exists the pack is
 * sealed and new artifacts are refused.
 */
import { createHash } from 'node:crypto';
import {
  AlertPayloadRecord,
  ApprovalRecord,
  artifactName,
  AuditRecord,
  compareWithManifest,
  evidenceTags,
  IncidentRecord,
  incidentTagFilter,
  KINDS,
  kindOfName,
  Manifest,
  MANIFEST_NAME,
  MANIFEST_SCHEMA,
  MAX_ARTIFACT_BYTES,
  MessageRecord,
  nameOfInput,
  packPrefix,
  parsePrefix,
  RollbackRecord,
  serializeJson,
  SmokeRun,
  type ArtifactInput,
  type ArtifactKind,
  type ArtifactOutcome,
  type EvidenceBundle,
  type ManifestEntry,
  type PackRef,
  type RefusalReason,
  type SealOutcome,
  type VerifyProblem,
} from '../domain/evidence.js';
import { TimelineEntry } from '../domain/incident.js';
import { redactJson, redactString } from '../domain/redact.js';
import { EvidenceStoreError, type AlertPayloadSource, type EvidenceStore, type StoredBlob } from '../ports/evidence.js';
import { z } from 'zod';

export const sha256Hex = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

export type Mode = 'execute' | 'plan';

export interface EvidencePackDeps {
  store: EvidenceStore;
  /** Where `alert-payload` artifacts given by reference are read from. */
  alerts?: AlertPayloadSource;
  now?: () => string;
  /** Recorded in the manifest as the sealer. */
  actor?: string;
}

/** A document ready to store. */
export interface Prepared {
  name: string;
  kind: ArtifactKind;
  body: Buffer;
  sha256: string;
  redactions: number;
}

function refusalOf(err: EvidenceStoreError): RefusalReason {
  return err.code === 'denied' ? 'denied' : err.code === 'too-large' ? 'too-large' : 'invalid';
}

const short = (sha: string | null): string => (sha ? sha.slice(0, 12) : 'unknown');

export type PackProblem =
  | VerifyProblem
  | { kind: 'unsealed'; name: string; detail: string }
  | { kind: 'manifest-invalid'; name: string; detail: string }
  | { kind: 'manifest-mismatch'; name: string; detail: string }
  | { kind: 'not-found'; name: string; detail: string };

export interface PackVerification {
  incidentId: string;
  container: string;
  prefix: string;
  sealed: boolean;
  sealedAt: string | null;
  manifestSha256: string | null;
  ok: boolean;
  verified: string[];
  problems: PackProblem[];
}

export interface Located {
  prefixes: string[];
  method: 'tags' | 'prefix-scan';
  notes: string[];
}

export class EvidencePack {
  private readonly store: EvidenceStore;
  private readonly now: () => string;

  constructor(private readonly deps: EvidencePackDeps) {
    this.store = deps.store;
    this.now = deps.now ?? (() => new Date().toISOString());
  }

  get container(): string {
    return this.store.container;
  }

  url(ref: PackRef, name: string): string {
    return this.store.url(packPrefix(ref) + name);
  }

  /** Redacts and serialises one artifact. Refusals (payload missing, too large) come back as outcomes. */
  async prepare(a: ArtifactInput): Promise<Prepared | ArtifactOutcome> {
    const name = nameOfInput(a);
    // A document (the customer draft) is stored as the text it is, not as JSON.
    if (a.kind === 'customer-draft') {
      const r = redactString(a.content);
      return this.prepareText(name, a.kind, r.value, r.total);
    }
    let content: unknown = a.content;
    if (a.kind === 'alert-payload' && a.content.payload === undefined) {
      const ref = a.content.ref;
      let payload: unknown;
      try {
        payload = ref && this.deps.alerts ? await this.deps.alerts.read(ref) : undefined;
      } catch (err) {
        if (!(err instanceof EvidenceStoreError)) throw err;
        return { result: 'refused', name, kind: a.kind, reason: refusalOf(err), sha256: null, existingSha256: null, summary: `${name}: the alert payload could not be read: ${err.message}` };
      }
      if (payload === undefined) {
        return { result: 'refused', name, kind: a.kind, reason: 'payload-missing', sha256: null, existingSha256: null, summary: `${name}: no payload given and none archived under ${ref ?? '(no reference)'}` };
      }
      content = { ...a.content, payload };
    }
    const redacted = redactJson(content);
    return this.prepareText(name, a.kind, serializeJson(redacted.value), redacted.total);
  }

  prepareText(name: string, kind: ArtifactKind, text: string, redactions = 0): Prepared | ArtifactOutcome {
    const body = Buffer.from(text, 'utf8');
    const sha256 = sha256Hex(body);
    if (body.length > MAX_ARTIFACT_BYTES) {
      return { result: 'refused', name, kind, reason: 'too-large', sha256, existingSha256: null, summary: `${name}: ${body.length} bytes, more than the ${MAX_ARTIFACT_BYTES} an artifact may have; not written` };
    }
    return { name, kind, body, sha256, redactions };
  }

  async isSealed(ref: PackRef): Promise<boolean> {
    return this.store.exists(packPrefix(ref) + MANIFEST_NAME);
  }

  /** Writes prepared documents once each (see the module comment). Transient storage errors are thrown. */
  async put(ref: PackRef, items: readonly (Prepared | ArtifactOutcome)[], mode: Mode): Promise<ArtifactOutcome[]> {
    const prefix = packPrefix(ref);
    const sealed = await this.isSealed(ref);
    const out: ArtifactOutcome[] = [];
    for (const item of items) {
      if ('result' in item) {
        out.push(item);
        continue;
      }
      try {
        out.push(await this.putOne(ref, prefix, item, sealed, mode));
      } catch (err) {
        if (!(err instanceof EvidenceStoreError)) throw err;
        out.push({ result: 'refused', name: item.name, kind: item.kind, reason: refusalOf(err), sha256: item.sha256, existingSha256: null, summary: `${item.name}: ${err.message}` });
      }
    }
    return out;
  }

  private async putOne(ref: PackRef, prefix: string, p: Prepared, sealed: boolean, mode: Mode): Promise<ArtifactOutcome> {
    const full = prefix + p.name;
    const base = { name: p.name, kind: p.kind, sha256: p.sha256 };
    if (mode === 'plan') {
      const existing = await this.store.read(full, MAX_ARTIFACT_BYTES);
      const state = existing === undefined ? (sealed ? 'sealed' : 'none') : sha256Hex(existing) === p.sha256 ? 'same' : 'different';
      const what = {
        none: `would write ${p.name} (${p.body.length} bytes, sha256 ${short(p.sha256)})`,
        same: `${p.name} is stored already with the same content; nothing to write`,
        different: `${p.name} is stored with different content; the write would be refused`,
        sealed: `the pack is sealed; ${p.name} would be refused`,
      }[state];
      return { ...base, result: 'planned', size: p.body.length, redactions: p.redactions, existing: state, summary: `Plan: ${what}.` };
    }
    if (!sealed) {
      const created = await this.store.createOnce(full, p.body, {
        contentType: KINDS[p.kind].contentType,
        tags: evidenceTags(ref, p.kind),
        metadata: { sha256: p.sha256, kind: p.kind, writtenat: this.now(), redactions: String(p.redactions), writer: 'incident-autopilot' },
      });
      if (created === 'created') {
        const red = p.redactions ? `, ${p.redactions} value(s) redacted` : '';
        return { ...base, result: 'written', size: p.body.length, redactions: p.redactions, summary: `Wrote ${p.name} (${p.body.length} bytes, sha256 ${short(p.sha256)}${red}).` };
      }
    }
    const existing = await this.store.read(full, MAX_ARTIFACT_BYTES);
    if (existing === undefined) {
      return { ...base, result: 'refused', reason: 'sealed', existingSha256: null, summary: `${p.name} was not written: the pack is sealed (manifest.json exists), so nothing is added to it.` };
    }
    const existingSha = sha256Hex(existing);
    if (existingSha === p.sha256) {
      return { ...base, result: 'unchanged', size: p.body.length, redactions: p.redactions, summary: `${p.name} is stored already with the same content (sha256 ${short(p.sha256)}); not written again.` };
    }
    return {
      ...base,
      result: 'refused',
      reason: 'different-content',
      existingSha256: existingSha,
      summary: `${p.name} was not overwritten: it is stored with different content (stored sha256 ${short(existingSha)}, new ${short(p.sha256)}). Evidence is write-once; use another name for new content.`,
    };
  }

  async writeArtifacts(ref: PackRef, artifacts: readonly ArtifactInput[], mode: Mode = 'execute'): Promise<ArtifactOutcome[]> {
    const prepared: (Prepared | ArtifactOutcome)[] = [];
    for (const a of artifacts) prepared.push(await this.prepare(a));
    return this.put(ref, prepared, mode);
  }

  /** Writes a rendered document (postmortem, report, metrics), redacted like everything else. */
  prepareDocument(kind: ArtifactKind, text: string): Prepared | ArtifactOutcome {
    const r = redactString(text);
    return this.prepareText(artifactName(kind), kind, r.value, r.total);
  }

  /**
   * Seals the pack: hashes every artifact as stored, checks it against the hash recorded when it
   * was written, and writes manifest.json once. Blobs that are not ours, or whose content changed
   * after writing, are left out of the manifest and listed as excluded (so verify reports them).
   */
  async seal(ref: PackRef, at: string, mode: Mode = 'execute'): Promise<SealOutcome> {
    const prefix = packPrefix(ref);
    const manifestName = prefix + MANIFEST_NAME;
    const existing = await this.store.read(manifestName, MAX_ARTIFACT_BYTES);
    if (existing) return this.alreadySealed(manifestName, existing);
    const blobs = (await this.store.list(prefix)).filter((b) => b.name !== manifestName).sort((a, b) => (a.name < b.name ? -1 : 1));
    if (blobs.length === 0) {
      // A drill wrote nothing (plan mode), so an empty pack is what it expects, not a refusal.
      if (mode === 'plan') return { result: 'planned', reason: null, summary: `Plan: seal ${this.container}/${prefix} once its artifacts are written; nothing is stored there now.`, manifest: null, excluded: [] };
      return { result: 'refused', reason: 'empty', summary: `Nothing to seal: no artifact is stored under ${this.container}/${prefix}.`, manifest: null, excluded: [] };
    }
    const artifacts: ManifestEntry[] = [];
    const excluded: { name: string; reason: string }[] = [];
    for (const b of blobs) {
      const name = b.name.slice(prefix.length);
      const kind = kindOfName(name);
      const recorded = b.metadata.sha256;
      if (!kind || kind === 'manifest') {
        excluded.push({ name, reason: 'not a name the evidence writer uses' });
        continue;
      }
      if (!recorded) {
        excluded.push({ name, reason: 'not written by the evidence writer (no sha256 recorded on upload)' });
        continue;
      }
      const bytes = await this.store.read(b.name, MAX_ARTIFACT_BYTES);
      if (!bytes) {
        excluded.push({ name, reason: 'deleted while sealing' });
        continue;
      }
      const actual = sha256Hex(bytes);
      if (actual !== recorded) {
        excluded.push({ name, reason: `content changed after it was written: sha256 ${actual}, written as ${recorded}` });
        continue;
      }
      artifacts.push({
        name,
        kind,
        contentType: b.contentType ?? KINDS[kind].contentType,
        sha256: actual,
        size: bytes.length,
        writtenAt: writtenAtOf(b),
        redactions: Number.parseInt(b.metadata.redactions ?? '0', 10) || 0,
      });
    }
    const manifest: Manifest = {
      schema: MANIFEST_SCHEMA,
      incidentId: ref.incidentId,
      environment: ref.environment,
      service: ref.service,
      severity: ref.severity,
      release: ref.release,
      prefix,
      container: this.container,
      sealedAt: at,
      sealedBy: this.deps.actor ?? 'incident-bot',
      artifacts,
      excluded,
    };
    const body = Buffer.from(serializeJson(manifest), 'utf8');
    const sha = sha256Hex(body);
    const info = { name: MANIFEST_NAME, url: this.store.url(manifestName), sha256: sha, artifacts: artifacts.length };
    const left = excluded.length ? ` ${excluded.length} blob(s) left out: ${excluded.map((e) => `${e.name} (${e.reason})`).join('; ')}.` : '';
    if (mode === 'plan') {
      return { result: 'planned', reason: null, summary: `Plan: seal ${prefix} with ${artifacts.length} artifact(s) (manifest sha256 ${short(sha)}).${left}`, manifest: info, excluded };
    }
    const created = await this.store.createOnce(manifestName, body, {
      contentType: KINDS.manifest.contentType,
      tags: evidenceTags(ref, 'manifest'),
      metadata: { sha256: sha, kind: 'manifest', writtenat: this.now(), redactions: '0', writer: 'incident-autopilot' },
    });
    if (created === 'exists') {
      const now = await this.store.read(manifestName, MAX_ARTIFACT_BYTES);
      if (now) return this.alreadySealed(manifestName, now);
    }
    return {
      result: 'sealed',
      reason: null,
      summary: `Sealed ${this.container}/${prefix}: ${artifacts.length} artifact(s) listed in manifest.json (sha256 ${sha}).${left}`,
      manifest: info,
      excluded,
    };
  }

  private alreadySealed(manifestName: string, bytes: Buffer): SealOutcome {
    const sha = sha256Hex(bytes);
    const parsed = Manifest.safeParse(parseJson(bytes));
    const count = parsed.success ? parsed.data.artifacts.length : 0;
    const when = parsed.success ? ` at ${parsed.data.sealedAt}` : '';
    return {
      result: 'already-sealed',
      reason: null,
      summary: `The pack was sealed already${when}: manifest.json lists ${count} artifact(s) (sha256 ${sha}).`,
      manifest: { name: MANIFEST_NAME, url: this.store.url(manifestName), sha256: sha, artifacts: count },
      excluded: parsed.success ? parsed.data.excluded : [],
    };
  }

  /** Reads a pack back into the evidence model (what the postmortem and the report are drawn from). */
  async read(prefix: string, ref?: PackRef): Promise<{ bundle: EvidenceBundle; notes: string[] }> {
    const blobs = await this.store.list(prefix);
    const notes: string[] = [];
    const parts = parsePrefix(prefix);
    const bundle: EvidenceBundle = {
      ref: ref ?? {
        incidentId: parts?.incidentId ?? prefix,
        environment: parts?.environment ?? 'unknown',
        service: 'unknown',
        severity: 'P1',
        release: null,
        declaredAt: parts ? new Date(Date.UTC(parts.year, parts.month - 1, 1)).toISOString() : new Date(0).toISOString(),
      },
      incident: null,
      timeline: [],
      alerts: [],
      smoke: [],
      audit: [],
      rollback: [],
      messages: [],
      approvals: [],
      artifacts: [],
    };
    for (const b of blobs.sort((x, y) => (x.name < y.name ? -1 : 1))) {
      const name = b.name.slice(prefix.length);
      const kind = kindOfName(name) ?? null;
      bundle.artifacts.push({ name, kind, url: this.store.url(b.name) });
      if (!kind || !KINDS[kind].contentType.startsWith('application/json') || kind === 'manifest' || kind === 'metrics') continue;
      const bytes = await this.store.read(b.name, MAX_ARTIFACT_BYTES);
      if (!bytes) continue;
      const value = parseJson(bytes);
      const take = <T>(schema: z.ZodType<T>, push: (v: T) => void): void => {
        const r = schema.safeParse(value);
        if (r.success) push(r.data);
        else notes.push(`${name}: not a valid ${kind} artifact (${r.error.issues[0]?.message ?? 'invalid'}); left out of the rendering`);
      };
      switch (kind) {
        case 'incident':
          take(IncidentRecord, (v) => (bundle.incident = v));
          break;
        case 'timeline':
          take(z.array(TimelineEntry), (v) => bundle.timeline.push(...v));
          break;
        case 'alert-payload':
          take(AlertPayloadRecord, (v) => bundle.alerts.push({ name, record: v }));
          break;
        case 'smoke':
          take(SmokeRun, (v) => bundle.smoke.push(v));
          break;
        case 'audit':
          take(AuditRecord, (v) => bundle.audit.push(v));
          break;
        case 'rollback':
          take(RollbackRecord, (v) => bundle.rollback.push(v));
          break;
        case 'message':
          take(MessageRecord, (v) => bundle.messages.push(v));
          break;
        case 'approval':
          take(ApprovalRecord, (v) => bundle.approvals.push(v));
          break;
        default:
          break;
      }
    }
    if (!ref && bundle.incident) {
      const s = bundle.incident.summary;
      bundle.ref = { ...bundle.ref, service: s.service, severity: s.severity, declaredAt: s.declaredAt, release: bundle.incident.release.current };
    }
    const byAt = <T extends { at: string }>(xs: T[]) => xs.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    bundle.timeline.sort((a, b) => a.seq - b.seq || Date.parse(a.at) - Date.parse(b.at));
    byAt(bundle.smoke);
    byAt(bundle.audit);
    byAt(bundle.rollback);
    byAt(bundle.messages);
    byAt(bundle.approvals);
    bundle.alerts.sort((a, b) => Date.parse(a.record.receivedAt) - Date.parse(b.record.receivedAt));
    return { bundle, notes };
  }

  /**
   * Finds the pack(s) of an incident. First by blob index tag (`incident = '<id>'`: one indexed
   * query whatever the environment and month); when that finds nothing (the index trails writes by
   * a little, and identities with read-only roles may not be allowed to query it), by walking the
   * layout `{env}/{yyyy}/{mm}/` and looking for `{incidentId}/` in each month.
   */
  async locate(incidentId: string, hints: { environment?: string; month?: string } = {}): Promise<Located> {
    const notes: string[] = [];
    try {
      const names = await this.store.findByTags(incidentTagFilter(incidentId));
      const prefixes = [...new Set(names.map((n) => prefixOfBlob(n, incidentId)).filter((p): p is string => !!p))].sort();
      if (prefixes.length) return { prefixes, method: 'tags', notes };
      notes.push('the blob index found no blob tagged with this incident; searched by prefix instead');
    } catch (err) {
      if (!(err instanceof EvidenceStoreError)) throw err;
      notes.push(`tag search unavailable (${err.message}); searched by prefix instead`);
    }
    const envs = hints.environment ? [`${hints.environment}/`] : await this.store.listFolders('');
    const found: string[] = [];
    for (const env of envs) {
      const months = hints.month ? [`${env}${hints.month.replace('-', '/')}/`] : (await Promise.all((await this.store.listFolders(env)).map((y) => this.store.listFolders(y)))).flat();
      for (const month of months) {
        const prefix = `${month}${incidentId}/`;
        if ((await this.store.listFolders(month)).includes(prefix)) found.push(prefix);
      }
    }
    return { prefixes: found.sort(), method: 'prefix-scan', notes };
  }

  /** Recomputes every hash under the prefix and compares with the manifest. */
  async verify(prefix: string, options: { manifestSha256?: string } = {}): Promise<PackVerification> {
    return (await this.readVerified(prefix, options)).verification;
  }

  /**
   * `verify`, and the bytes it checked: the manifest's and each verified artifact's (what `npm run
   * evidence -- export` writes out, so nothing is written that was not checked against the seal).
   */
  async readVerified(prefix: string, options: { manifestSha256?: string } = {}): Promise<{ verification: PackVerification; manifest: Buffer | undefined; files: Map<string, Buffer> }> {
    const files = new Map<string, Buffer>();
    const verification = await this.check(prefix, options, files);
    const manifest = verification.sealed ? files.get(MANIFEST_NAME) : undefined;
    const verified = new Map(verification.verified.map((name) => [name, files.get(name)!] as const).filter(([, bytes]) => bytes !== undefined));
    return { verification, manifest, files: verified };
  }

  private async check(prefix: string, options: { manifestSha256?: string }, keep: Map<string, Buffer>): Promise<PackVerification> {
    const parts = parsePrefix(prefix);
    const manifestName = prefix + MANIFEST_NAME;
    const blobs = await this.store.list(prefix);
    const result: PackVerification = {
      incidentId: parts?.incidentId ?? prefix,
      container: this.container,
      prefix,
      sealed: false,
      sealedAt: null,
      manifestSha256: null,
      ok: false,
      verified: [],
      problems: [],
    };
    if (blobs.length === 0) {
      result.problems.push({ kind: 'not-found', name: prefix, detail: `nothing is stored under ${this.container}/${prefix}` });
      return result;
    }
    const found: { name: string; sha256: string; size: number; recorded: string | undefined }[] = [];
    let manifestBytes: Buffer | undefined;
    for (const b of blobs) {
      const bytes = await this.store.read(b.name, MAX_ARTIFACT_BYTES);
      if (!bytes) continue;
      if (b.name === manifestName) manifestBytes = bytes;
      else found.push({ name: b.name.slice(prefix.length), sha256: sha256Hex(bytes), size: bytes.length, recorded: b.metadata.sha256 });
      keep.set(b.name.slice(prefix.length), bytes);
    }
    if (!manifestBytes) {
      result.problems.push({ kind: 'unsealed', name: MANIFEST_NAME, detail: 'the pack is not sealed (no manifest.json); artifacts were checked against the hash recorded when each was written' });
      for (const f of found) {
        if (f.recorded === f.sha256) result.verified.push(f.name);
        else if (f.recorded) result.problems.push({ kind: 'changed', name: f.name, expected: { sha256: f.recorded, size: f.size }, actual: { sha256: f.sha256, size: f.size } });
        else result.problems.push({ kind: 'extra', name: f.name, actual: { sha256: f.sha256, size: f.size } });
      }
      return result;
    }
    result.sealed = true;
    result.manifestSha256 = sha256Hex(manifestBytes);
    if (options.manifestSha256 && options.manifestSha256.toLowerCase() !== result.manifestSha256) {
      result.problems.push({ kind: 'manifest-mismatch', name: MANIFEST_NAME, detail: `manifest.json has sha256 ${result.manifestSha256}, expected ${options.manifestSha256.toLowerCase()}` });
    }
    const manifest = Manifest.safeParse(parseJson(manifestBytes));
    if (!manifest.success) {
      result.problems.push({ kind: 'manifest-invalid', name: MANIFEST_NAME, detail: `manifest.json is not a valid manifest: ${manifest.error.issues[0]?.message ?? 'invalid'}` });
      return result;
    }
    result.sealedAt = manifest.data.sealedAt;
    const compared = compareWithManifest(manifest.data, found);
    result.verified = compared.verified;
    result.problems.push(...compared.problems);
    result.ok = result.problems.length === 0;
    return result;
  }
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function writtenAtOf(b: StoredBlob): string | null {
  const w = b.metadata.writtenat;
  if (w && !Number.isNaN(Date.parse(w)) && z.iso.datetime({ offset: true }).safeParse(w).success) return w;
  return b.createdOn;
}

/** `Prod/2026/01/inc-1/timeline.json` -> `Prod/2026/01/inc-1/` when it has the pack layout. */
export function prefixOfBlob(name: string, incidentId: string): string | undefined {
  const marker = `/${incidentId}/`;
  const i = name.indexOf(marker);
  if (i < 0) return undefined;
  const prefix = name.slice(0, i + marker.length);
  return parsePrefix(prefix) ? prefix : undefined;
}
