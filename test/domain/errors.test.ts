import { describe, expect, it } from 'vitest';
import { errorLine, errorText, isTransient, PermanentError, TransientError } from '../../src/domain/errors.js';

describe('errorText: one way to read a caught value', () => {
  it('reads an Error, a string, an object with a message, anything else as JSON', () => {
    expect(errorText(new RangeError('too deep'))).toBe('too deep');
    expect(errorText('plain text')).toBe('plain text');
    expect(errorText({ message: 'crossed a queue', code: 'X' })).toBe('crossed a queue');
    expect(errorText({ code: 42 })).toBe('{"code":42}');
    expect(errorText(undefined)).toBe('');
    expect(errorText(null)).toBe('null');
  });

  it('never throws, even on a value JSON cannot write', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(errorText(cyclic)).toBe('[object Object]');
    expect(errorText(10n)).toBe('[object BigInt]');
  });

  it('errorLine keeps the first line only', () => {
    expect(errorLine(new Error('first\n    at stack line'))).toBe('first');
  });
});

describe('typed failures', () => {
  it('are told apart by type, and keep the status and cause', () => {
    const cause = new Error('503 from the service');
    const t = new TransientError('try again', { cause, status: 503 });
    const p = new PermanentError('refused', { status: 403 });
    expect(isTransient(t)).toBe(true);
    expect(isTransient(p)).toBe(false);
    expect(isTransient(new Error('status code: 503'))).toBe(false);
    expect([t.status, t.cause, t.name]).toEqual([503, cause, 'TransientError']);
    expect([p.status, p.name]).toEqual([403, 'PermanentError']);
  });
});
