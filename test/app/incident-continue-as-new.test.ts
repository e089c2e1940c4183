/**
 * A long incident keeps each execution's history bounded: past HISTORY_BOUND events the incident
 * orchestration continues as new at a quiet moment, carrying its record forward. Here an incident
 * takes 1,000 alerts over an hour of app time, with a person's note every ten minutes of it and
 * the periodic status updates and escalations that time brings. Whatever execution was running,
 * nothing is lost: every alert is counted and on the timeline, every note is on it, and the
 * updates carry on numbering (step keys never repeat across executions). What an execution carries
 * to the next does not grow with the alerts' facts (they and the stored timeline stay in the
 * incident store), and the evidence pack, written by a later execution, still holds every alert
 * and every line. The product app on the dev host (its manual clock), Azurite.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { describe, expect, it, vi } from 'vitest';
import { packPrefix } from '../../src/domain/evidence.js';
import type { IncidentSummary } from '../../src/domain/incident.js';
import { RECORD_PAGE_CHARS } from '../../src/activities/incident.contracts.js';
import { EventType } from '../../src/devhost/index.js';
import { HISTORY_BOUND } from '../../src/durable/continue-as-new.js';
import { alertFixture, postAlert, withAlertId } from '../harness/alerts.js';
import { useProductHost } from '../harness/product-host.js';

const product = useProductHost({}, 120_000);

interface Resumed {
  resume?: {
    history: number;
    run: {
      executions: number;
      plan: { updates: number };
      incident: { messages: { step: string }[]; alerts: { received: unknown[]; earlier: { count: number } } };
      timeline: { entries: { seq: number }[]; unstored: number[] };
    };
  };
}

describe('a long incident', () => {
  it('continues as new with a bounded history per execution, and its record keeps every alert and note', async () => {
    const template = alertFixture('metric-5xx-fired.json');
    const first = await postAlert(product.h, withAlertId(template, 'long-0'));
    expect(first.body.kind).toBe('declared');
    const id = first.body.incidentId as string;
    await product.h.settle();

    const total = 1000;
    const rounds = 10;
    /** Each execution seen, by number: the history its predecessor reached before continuing. */
    const executions = new Map<number, number>();
    let largest = 0;
    let next = 1;
    for (let round = 0; round < rounds; round++) {
      // A hundred alerts, eight in flight.
      const end = next + total / rounds;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < end) {
            const answer = await postAlert(product.h, withAlertId(template, `long-${next++}`));
            expect(answer.status).toBe(202);
            expect(answer.body.incidentId).toBe(id);
          }
        }),
      );
      // A person's note raised while the incident may be continuing as new (not awaited first).
      const note = product.h.fetch(`/api/incidents/${id}/note`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `note ${round}` }) });
      expect((await note).status).toBe(202);
      // Six minutes of app time: updates come due, the sweeps take the folded alerts, the fold windows close.
      await product.h.advance(6 * 60_000);

      const state = await product.h.host.engine.getState(id);
      const history = (await state?.history()) ?? [];
      largest = Math.max(largest, history.length);
      const input = JSON.parse(state?.state.input ?? '{}') as Resumed;
      if (input.resume) executions.set(input.resume.run.executions, input.resume.history);
    }
    // A last note wakes it to take whatever was folded since.
    expect((await product.h.fetch(`/api/incidents/${id}/note`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'last note' }) })).status).toBe(202);
    await product.h.settle();

    // It did continue as new, more than once, and no execution's history ran far past the bound
    // (the bound is checked at quiet moments: one turn's events may come on top).
    expect(executions.size).toBeGreaterThan(1);
    for (const [n, history] of executions) expect(history, `execution ${n - 1}`).toBeLessThanOrEqual(HISTORY_BOUND + 100);
    expect(largest).toBeLessThanOrEqual(HISTORY_BOUND + 100);

    const incident = await product.h.json<{ summary: { alerts: number }; timeline: { kind: string; text: string }[] }>(`/api/incidents/${id}`);
    expect(incident.body.summary.alerts).toBe(total + 1);
    expect(incident.body.timeline.filter((e) => e.kind === 'alert')).toHaveLength(total);
    const notes = incident.body.timeline.filter((e) => e.kind === 'note').map((e) => e.text);
    expect(notes).toEqual([...Array.from({ length: rounds }, (_, i) => `note ${i}`), 'last note']);
    // One Teams thread throughout: a later execution replies in the thread the first one started.
    expect(incident.body.timeline.filter((e) => /could not be posted|starts the incident's Teams thread/.test(e.text))).toEqual([]);
    // Status updates came due across executions, and no message's step key (its idempotency key)
    // was used twice (the domain test continues as new after every step and compares every message).
    const last = JSON.parse((await product.h.host.engine.getState(id))?.state.input ?? '{}') as Resumed;
    const steps = last.resume?.run.incident.messages.map((m) => m.step) ?? [];
    expect(steps.some((st) => st.startsWith('announce/update'))).toBe(true);
    expect(new Set(steps).size).toBe(steps.length);

    // What the last execution started from: no alert's facts and no stored timeline line (those are
    // in the incident store), so its size is not the storm's (it was ~330,000 characters for 1,001
    // alerts when it carried them; a few characters an alert are left: their fingerprints and times).
    const run = last.resume?.run;
    expect(run?.incident.alerts.received).toEqual([]);
    expect(run?.incident.alerts.earlier.count).toBeGreaterThan(total / 2);
    expect(run?.timeline.entries.filter((e) => !run.timeline.unstored.includes(e.seq))).toEqual([]);
    expect(JSON.stringify(last).length).toBeLessThan(100_000);

    // Resolved: the pack (written by a later execution, from the store and what came since) holds
    // every alert's payload reference and every line of the timeline.
    expect((await product.h.fetch(`/api/incidents/${id}/resolve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ actor: { id: 'riley@contoso.example' } }) })).status).toBe(202);
    let summary: IncidentSummary | undefined;
    await vi.waitFor(
      async () => {
        await product.h.settle();
        summary = (await product.h.json<{ summary: IncidentSummary }>(`/api/incidents/${id}`)).body.summary;
        expect(summary.evidence).not.toBeNull();
        expect((await product.h.status(id))?.runtimeStatus).toBe('Completed');
      },
      { timeout: 60_000, interval: 100 },
    );
    const prefix = packPrefix(summary as IncidentSummary);
    const container = BlobServiceClient.fromConnectionString(product.azurite.connectionString).getContainerClient('incident-evidence');
    const names: string[] = [];
    for await (const b of container.listBlobsFlat({ prefix })) names.push(b.name.slice(prefix.length));
    expect(names.filter((n) => n.startsWith('alerts/'))).toHaveLength(total + 1);
    const packed = JSON.parse((await container.getBlobClient(`${prefix}timeline.json`).downloadToBuffer()).toString('utf8')) as { kind: string; text: string }[];
    expect(packed.filter((e) => e.kind === 'alert')).toHaveLength(total);
    expect(packed.filter((e) => e.kind === 'note').map((e) => e.text)).toEqual(notes);
    // The stored record came back in pages (each one history event of bounded size), not as one
    // result holding all of it: its results together are larger than one page may be.
    const closing = (await (await product.h.host.engine.getState(id))?.history()) ?? [];
    const pages = closing.filter((e) => e.EventType === EventType.TaskScheduled && e.Name === 'incident_readRecord').map((e) => e.EventId);
    const results = closing.filter((e) => e.EventType === EventType.TaskCompleted && pages.includes(e.TaskScheduledId ?? -1)).map((e) => e.Result ?? '');
    expect(pages.length).toBeGreaterThan(1);
    expect(results).toHaveLength(pages.length);
    for (const r of results) expect(r.length).toBeLessThan(RECORD_PAGE_CHARS + 20_000);
    expect(results.reduce((n, r) => n + r.length, 0)).toBeGreaterThan(RECORD_PAGE_CHARS);
  }, 600_000);
});
