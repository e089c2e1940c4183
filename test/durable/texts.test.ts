import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundCustomStatus, CUSTOM_STATUS_MAX_UNITS, customStatusUnits, fitsCustomStatus } from '../../src/durable/custom-status.js';
import { failureSummary } from '../../src/durable/failure-text.js';

describe('custom status bound (the extension refuses 8,704 UTF-16 code units of JSON)', () => {
  it('measures UTF-16 code units of the JSON: an emoji is two', () => {
    expect(customStatusUnits('a'.repeat(8701))).toBe(8703);
    expect(fitsCustomStatus('a'.repeat(8701))).toBe(true);
    expect(fitsCustomStatus('a'.repeat(8702))).toBe(false);
    expect(fitsCustomStatus('😀'.repeat(4350))).toBe(true);
    expect(fitsCustomStatus('😀'.repeat(4351))).toBe(false);
  });

  it('leaves a status that fits alone', () => {
    const status = { phase: 'deciding', reasons: ['ready answered 503'] };
    expect(boundCustomStatus(status)).toEqual({ value: status, truncated: false });
  });

  it('cuts the long reasons and lists, keeps the short fields', () => {
    const status = { phase: 'verifying', decision: { choice: 'api-to-lkg' }, lastChecks: { reasons: Array.from({ length: 400 }, (_, i) => `check ${i}: ${'x'.repeat(60)}`) }, note: 'é'.repeat(9000) };
    const { value, truncated } = boundCustomStatus(status);
    expect(truncated).toBe(true);
    expect(customStatusUnits(value)).toBeLessThanOrEqual(CUSTOM_STATUS_MAX_UNITS);
    expect(value.phase).toBe('verifying');
    expect(value.decision).toEqual({ choice: 'api-to-lkg' });
    expect(value.note.endsWith('…')).toBe(true);
    expect(value.lastChecks.reasons.at(-1)).toMatch(/^\(\d+ more\)$/);
  });

  it('always fits, whatever the value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.integer({ min: 60, max: 2000 }), (v, max) => {
        expect(customStatusUnits(boundCustomStatus(v, max).value)).toBeLessThanOrEqual(max);
      }),
      { numRuns: 200 },
    );
  });
});

describe('failure summary (what a person reads of a failed step)', () => {
  it('keeps the first line of the message, without the extension\'s frame and details', () => {
    const real = `Activity function 'appService_apiToLkg' failed:  ARM answered 409: another swap is running\nsecond line \n {"$type":"System.Exception, System.Private.CoreLib","Message":" ARM answered 409"}`;
    expect(failureSummary(new Error(real))).toBe('ARM answered 409: another swap is running');
    const child = "Orchestrator function 'smokeSuite' failed: probe crashed \n Message: probe crashed, StackTrace:    at System.Threading.Tasks.Task.ThrowIfExceptional()";
    expect(failureSummary(new Error(child))).toBe('probe crashed');
    expect(failureSummary(new Error("Activity function 'x' failed: exploded \n at handler (a.js:1)"))).toBe('exploded');
    expect(failureSummary('plain text')).toBe('plain text');
    expect(failureSummary(new Error(''))).toBe('no error message');
    expect(failureSummary(new Error('y'.repeat(400))).length).toBe(300);
  });
});
