/**
 * Evidence activities (DESIGN section 8): write artifacts to the incident's pack, render and
 * write the postmortem draft and the HTML report (with metrics.json), and seal the pack with its
 * manifest. All idempotent: an artifact written again with the same content is `unchanged`, with
 * different content `refused` (both hashes reported), never overwritten.
 *
 * Typical close of an incident:
 *   locate (links for the LKG record and the resolution message) -> writeArtifacts (incident record, timeline, alerts by reference, smoke runs, audit diffs,
 *   actions, messages, approvals; in batches under MAX_EVIDENCE_INPUT_BYTES: `chunkArtifacts`)
 *   -> writeReports -> seal (record the manifest's SHA-256 on the timeline).
 * Smoke runs and actions may also be written as they happen; names are deterministic, so a replay
 * writes nothing twice.
 */
import { z } from 'zod';
import { ActionMode } from '../domain/actions.js';
import { ArtifactInput, ArtifactOutcome, IncidentMetrics, PackRef, SealOutcome, type ArtifactInputIn } from '../domain/evidence.js';
import { DraftedItem } from '../domain/follow-up.js';
import { EvidenceLinks } from '../domain/incident.js';
import { defineActivity, type RetryPolicy } from './define.js';

/** Inputs cross Durable's queues and history: keep each call under this (chunk larger sets). */
export const MAX_EVIDENCE_INPUT_BYTES = 384 * 1024;

/** Storage hiccups: retried for a few minutes; the incident's close waits, it does not fail. */
const STORAGE_RETRY: RetryPolicy = { firstRetryMs: 2000, maxAttempts: 6, backoff: 2, maxRetryMs: 60_000 };

const iso = z.iso.datetime({ offset: true });

function sizeOf(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

export const writeArtifacts = defineActivity({
  name: 'evidence_writeArtifacts',
  input: z
    .object({
      pack: PackRef,
      artifacts: z.array(ArtifactInput).min(1).max(200),
      mode: ActionMode.default('execute'),
    })
    .superRefine((v, ctx) => {
      const size = sizeOf(v);
      if (size > MAX_EVIDENCE_INPUT_BYTES) {
        ctx.addIssue({ code: 'custom', path: ['artifacts'], message: `${size} bytes: more than ${MAX_EVIDENCE_INPUT_BYTES} in one call; split with chunkArtifacts()` });
      }
      const names = new Set<string>();
      v.artifacts.forEach((a, i) => {
        const name = a.kind === 'smoke' ? `smoke/${a.content.runId}` : 'key' in a ? `${a.kind}/${a.key}` : a.kind;
        if (names.has(name)) ctx.addIssue({ code: 'custom', path: ['artifacts', i], message: `a second artifact named ${name} in the same call` });
        names.add(name);
      });
    }),
  output: z.object({
    outcomes: z.array(ArtifactOutcome),
    written: z.number().int(),
    unchanged: z.number().int(),
    refused: z.number().int(),
    summary: z.string(),
  }),
  retry: STORAGE_RETRY,
});

export const writeReports = defineActivity({
  name: 'evidence_writeReports',
  input: z.object({
    pack: PackRef,
    /** The orchestration's clock: the documents say when they were generated (and a retry renders the same bytes). */
    at: iso,
    /** Postmortem due this many business days after the incident ended (RB-03: 3). */
    dueBusinessDays: z.number().int().min(1).max(30).default(3),
    mode: ActionMode.default('execute'),
  }),
  output: z.object({
    outcomes: z.array(ArtifactOutcome),
    metrics: IncidentMetrics.nullable(),
    /** YYYY-MM-DD (UTC), for the reminder. */
    postmortemDue: z.string().nullable(),
    /** The postmortem draft's action items (owners from the roles): the follow-ups start from them. */
    actionItems: z.array(DraftedItem).max(100).default([]),
    summary: z.string(),
  }),
  retry: STORAGE_RETRY,
});

/**
 * Where the pack is and the links of its manifest, postmortem draft and report, before anything
 * is written: the close links to them (LKG record, resolution message) and only then archives and
 * seals, so those records are in the sealed pack. Reads settings only; null links when they are invalid.
 */
export const locatePack = defineActivity({
  name: 'evidence_locate',
  input: z.object({ pack: PackRef }),
  output: z.object({ links: EvidenceLinks.nullable(), summary: z.string() }),
  retry: STORAGE_RETRY,
});

export const sealPack = defineActivity({
  name: 'evidence_seal',
  input: z.object({ pack: PackRef, at: iso, mode: ActionMode.default('execute') }),
  output: SealOutcome,
  retry: STORAGE_RETRY,
});

/**
 * Splits artifacts into calls that each stay under the input bound (deterministic, so an
 * orchestrator may use it). An artifact that alone is too large stays alone in its batch, and the
 * activity's contract reports it.
 */
export function chunkArtifacts(artifacts: readonly ArtifactInputIn[], maxBytes = MAX_EVIDENCE_INPUT_BYTES - 16 * 1024): ArtifactInputIn[][] {
  const batches: ArtifactInputIn[][] = [];
  let current: ArtifactInputIn[] = [];
  let size = 0;
  for (const a of artifacts) {
    const s = sizeOf(a);
    if (current.length && (size + s > maxBytes || current.length >= 200)) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(a);
    size += s;
  }
  if (current.length) batches.push(current);
  return batches;
}
