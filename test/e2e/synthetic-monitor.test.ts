/**
 * End to end on the dev host: a service whose alerts are not wired up at all (no alert is ever
 * posted), taken down. The synthetic monitor's timer (on the policy's schedule, every 2 minutes
 * here, on the manual clock) runs its smoke checks, declares the incident through the alert intake
 * at the second red run, and when the service comes back raises the recovery signal into it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV, MINUTE, ProductWorld, SERVICE } from '../harness/product.js';

let w: ProductWorld;

beforeAll(async () => {
  w = await ProductWorld.start({ synthetic: { schedule: '0 */2 * * * *', failuresToDeclare: 2 } });
});
afterAll(async () => {
  await w?.stop();
});

interface Listed {
  incidentId: string;
  status: string;
  severity: string;
  summary: string;
  source: string;
}

async function open(): Promise<Listed[]> {
  return (await w.host.json<{ items: Listed[] }>(`/api/incidents?service=${SERVICE}&environment=${ENV}&status=open`)).body.items;
}

describe('synthetic monitor', () => {
  it('declares a service taken down within two runs, and raises the recovery signal when it comes back', async () => {
    // Healthy: the runs are green, nothing is declared.
    await w.advance(4 * MINUTE, MINUTE);
    expect(await open()).toEqual([]);

    w.breakProduction();
    await w.advance(2 * MINUTE, MINUTE); // the first red run
    expect(await open()).toEqual([]);
    await w.advance(2 * MINUTE, MINUTE); // the second: declared
    const [incident, ...more] = await open();
    expect(more).toEqual([]);
    expect(incident).toMatchObject({ status: 'open', severity: 'P1', source: 'alert' });
    expect(incident!.summary).toMatch(/^Detected by the synthetic monitor: admin-api@Prod smoke checks red/);
    const id = incident!.incidentId;
    const thread = await w.teams(id);
    expect(thread[0]).toMatchObject({ op: 'post', kind: 'declared' });
    expect(thread[0]?.headline).toContain('Detected by the synthetic monitor: admin-api@Prod smoke checks red');

    // Still down: the incident knows, nothing more is declared.
    await w.advance(2 * MINUTE, MINUTE);
    expect((await open()).map((i) => i.incidentId)).toEqual([id]);

    // Back up: the next run is green and the monitor's alert is resolved into the incident.
    w.target.reset();
    await w.advance(2 * MINUTE, MINUTE);
    const read = await w.until(id, (r) => r.timeline.some((t) => t.kind === 'recovery-signal'), 'the recovery signal');
    expect(read.timeline.filter((t) => t.kind === 'recovery-signal').map((t) => t.text)).toEqual([
      expect.stringContaining('Detected by the synthetic monitor: admin-api@Prod smoke checks red') as unknown,
    ]);
  });
});
