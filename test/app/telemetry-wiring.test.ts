/**
 * wireAppTelemetry (src/app/telemetry-wiring.ts): telemetry's code loads in the hooks, and when it
 * does not load an invocation runs all the same, without its span, saying why in its log.
 */
import { describe, expect, it } from 'vitest';
import { wireAppTelemetry } from '../../src/app/telemetry-wiring.js';
import type { Hooks, PreInvocation } from '../../src/app/telemetry-hooks.js';

describe('wireAppTelemetry', () => {
  it('runs an invocation without its span when telemetry does not load, logs why, and tries the load again next time', async () => {
    const pre: ((c: PreInvocation) => Promise<void> | void)[] = [];
    const hooks: Hooks = { appStart: () => undefined, preInvocation: (h) => pre.push(h), appTerminate: () => undefined };
    let loads = 0;
    wireAppTelemetry(hooks, () => {
      loads++;
      return Promise.reject(new Error('telemetry module missing'));
    });
    const errors: string[] = [];
    const handler = (): string => 'answered';
    const c = { invocationContext: { error: (line: string) => errors.push(line) }, inputs: [], functionHandler: handler } as unknown as PreInvocation;
    for (const h of pre) await h(c);
    expect(c.functionHandler).toBe(handler);
    expect(errors).toEqual(['Telemetry did not load (telemetry module missing); this invocation runs without its span.']);
    for (const h of pre) await h(c);
    expect(loads).toBe(2);
  });
});
