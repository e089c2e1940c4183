/** The local sink: exactly what would be posted, on the console and in a JSON-lines file. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareMessage } from '../../src/activities/teams.js';
import { LocalSinkTeams } from '../../src/adapters/teams-sink.js';
import { createTeamsPort } from '../../src/app/teams.js';
import { readTeamsSettings } from '../../src/config/teams.js';
import { IncidentMessage, type IncidentMessageInput } from '../../src/domain/messages/types.js';
import { INCIDENT, samples, updateNo } from '../fixtures/teams/messages.js';

const dir = mkdtempSync(path.join(tmpdir(), 'teams-sink-'));
const out = (input: IncidentMessageInput, step: string) => prepareMessage(IncidentMessage.parse(input), input.incidentId, step, undefined).outgoing;
const later = { deadline: Date.now() + 60_000 };

describe('LocalSinkTeams', () => {
  it('is what the app uses when Graph is not configured, and writes the thread as it would be posted', async () => {
    const printed: string[] = [];
    const file = path.join(dir, 'nested', 'outbox.jsonl');
    const settings = readTeamsSettings({ TEAMS_SINK_FILE: file });
    if (!settings.ok) throw new Error('settings');
    const port = createTeamsPort(settings.settings, { console: (t) => printed.push(t) });
    expect(port.mode).toBe('local');
    const declared = await port.post(out(samples.declared, 'teams/declared'), later);
    await port.reply(declared.threadId, out(updateNo(1), 'teams/update/1'), later);
    await port.notify(out(samples.escalation, 'teams/escalation/1'), later);
    const records = await LocalSinkTeams.readAll(file);
    expect(records.map((r) => [r.op, r.kind, r.threadId === declared.threadId])).toEqual([
      ['post', 'declared', true],
      ['reply', 'update', true],
      ['notify', 'escalation', false],
    ]);
    expect(records[0]?.card).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(records[0]?.incidentId).toBe(INCIDENT);
    expect(printed[0]).toContain('local sink: new thread');
    expect(printed[0]).toContain('🚨 P1 INCIDENT — Prod — API 5xx above 1% for 5 min after release v2.4.0.');
    expect(printed[1]).toContain(`reply in ${declared.threadId}`);
  });

  it('finds a written message by its reference, and survives a torn last line', async () => {
    const file = path.join(dir, 'find.jsonl');
    const sink = new LocalSinkTeams(file, { console: () => undefined });
    expect(await sink.find('0'.repeat(32))).toBeUndefined();
    const m = out(samples.declared, 'teams/declared');
    const written = await sink.post(m, later);
    writeFileSync(file, '{"reference":"torn', { flag: 'a' });
    expect(await sink.find(m.reference)).toMatchObject({ messageId: written.messageId, threadId: written.threadId });
    expect(await sink.find('f'.repeat(32))).toBeUndefined();
  });
});
