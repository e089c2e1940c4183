/** Routing rules (pure): which channel, who is paged, where freezes are announced; and policy:check explaining them. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Policy } from '../../src/config/policy.js';
import { channelOf, freezeChannel, pagesOnCall, recipientsOf } from '../../src/domain/teams-routing.js';

const root = path.resolve(__dirname, '..', '..');
const sample = () => JSON.parse(readFileSync(path.join(root, 'policy.sample.json'), 'utf8')) as Record<string, unknown> & { environments: Record<string, Record<string, unknown>> };
const TEAM = '00000000-0000-0000-0000-0000000000f1';
const CHANNEL = '19:prod-incidents@thread.tacv2';

describe('channelOf', () => {
  it('uses a destination that names a team GUID and a channel id', () => {
    expect(channelOf({ teamId: ` ${TEAM}`, channelId: CHANNEL, notify: [] })).toEqual({ destination: { teamId: TEAM, channelId: CHANNEL } });
  });

  it('falls back (no destination) when the policy names none, and says why when it names an unusable one', () => {
    expect(channelOf(undefined)).toEqual({ destination: undefined });
    expect(channelOf({ notify: ['a@b.example'] })).toEqual({ destination: undefined });
    expect(channelOf({ teamId: TEAM, notify: [] }, 'Prod')).toEqual({ destination: undefined, problem: 'Prod names a Teams teamId without a channelId' });
    expect(channelOf({ channelId: CHANNEL, notify: [] }).problem).toContain('channelId without a teamId');
    expect(channelOf({ teamId: 'Incidents', channelId: CHANNEL, notify: [] }).problem).toBe('the policy names a Teams teamId that must be the team (group) GUID');
    expect(channelOf({ teamId: TEAM, channelId: 'General', notify: [] }).problem).toContain('channelId that must be a channel id');
  });
});

describe('recipientsOf and pagesOnCall', () => {
  it('keeps object ids and UPNs once each (case-insensitively) and sets the rest apart', () => {
    expect(recipientsOf(['Dana@Contoso.example', 'dana@contoso.example', '44444444-0000-0000-0000-000000000004', 'sre oncall', 'sre-team'])).toEqual({
      valid: ['Dana@Contoso.example', '44444444-0000-0000-0000-000000000004'],
      invalid: ['sre oncall', 'sre-team'],
    });
  });

  it('pages on-call for a P1 only', () => {
    expect([pagesOnCall('P1'), pagesOnCall('P2'), pagesOnCall('P3')]).toEqual([true, false, false]);
  });
});

describe('freezeChannel', () => {
  const policy = Policy.parse(sample());

  it("announces in the environment's destination, else the policy's, else the configured channel", () => {
    expect(freezeChannel(policy, 'prod')).toEqual({ destination: { teamId: TEAM, channelId: CHANNEL }, source: 'environment' });
    // RTM has no destination of its own: the top-level one.
    expect(freezeChannel(policy, 'RTM')).toEqual({ destination: { teamId: '00000000-0000-0000-0000-000000000001', channelId: '19:incidents@thread.tacv2' }, source: 'policy' });
    const doc = sample();
    delete doc.teams;
    expect(freezeChannel(Policy.parse(doc), 'RTM')).toEqual({ destination: undefined, source: 'settings' });
    expect(freezeChannel(Policy.parse(doc), 'Nowhere')).toEqual({ destination: undefined, source: 'settings' });
  });

  it('says why an environment destination is not used', () => {
    const doc = sample();
    doc.environments.Prod = { ...doc.environments.Prod, teams: { teamId: TEAM } };
    const r = freezeChannel(Policy.parse(doc), 'Prod');
    expect(r).toMatchObject({ source: 'policy', problem: 'environments.Prod.teams names a Teams teamId without a channelId' });
  });
});

describe('policy:check explains the routing', () => {
  it('lists each service’s channel and on-call, the escalation people, the freeze channels, and warns about unusable entries', () => {
    const cli = path.join(root, 'dist', 'src', 'cli', 'policy-check.js');
    const doc = sample();
    doc.environments.Beta = { ...doc.environments.Beta, teams: { teamId: 'Beta team', channelId: '19:beta@thread.tacv2', notify: ['beta oncall'] } };
    const file = path.join(os.tmpdir(), `routing-policy-${process.pid}.json`);
    writeFileSync(file, JSON.stringify(doc));
    const out = execFileSync(process.execPath, [cli, file], { encoding: 'utf8' });
    expect(out).toContain(`admin-api@Prod: channel ${CHANNEL} of team ${TEAM}; on-call: sre-oncall@contoso.example`);
    expect(out).toContain("admin-api@Beta: the app's configured channel (TEAMS_TEAM_ID / TEAMS_CHANNEL_ID); on-call: nobody named");
    expect(out).toContain('escalation after 15 min without an Incident Commander (P1): sre-deputy@contoso.example');
    expect(out).toContain('deploy-freeze announcements: Alpha -> 19:alpha-incidents@thread.tacv2, Beta -> 19:incidents@thread.tacv2');
    expect(out).toContain('! the Teams destination of admin-api@Beta names a Teams teamId that must be the team (group) GUID');
    expect(out).toContain('! the on-call of admin-api@Beta: not an Entra object id or UPN, nobody is paged for beta oncall');
  });
});
