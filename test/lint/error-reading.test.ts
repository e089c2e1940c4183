/**
 * One way to read a caught value (errorText / errorLine in src/domain/errors.ts) and no
 * classification by an error's text above the adapter that knows the system: product code has no
 * inline `(err as Error).message` and no regular expression over a caught error's text (the Durable
 * adapter's durableStatus reads its client's text: durable-functions gives the status nowhere else).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

const files = ['src', 'functions', 'orchestrations'].flatMap(sources);
const MESSAGE_REGEX = /\/[^/\n]*\/[gimsuy]*\.(?:test|exec)\((?:String\(err|err\.message|errorText\(|\(err as)/;

describe('reading errors', () => {
  it('finds the product files', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it('has no inline (err as Error) conversion', () => {
    const found = files.filter((f) => /as Error\)/.test(readFileSync(path.join(root, f), 'utf8')));
    expect(found).toEqual([]);
  });

  it('has no regular expression over a caught error\'s text (the Durable adapter reads its client\'s text in durableStatus only)', () => {
    const found = files.filter((f) => MESSAGE_REGEX.test(readFileSync(path.join(root, f), 'utf8')));
    expect(found).toEqual([]);
  });

  it('the check would see a bad line', () => {
    expect(MESSAGE_REGEX.test("if (/\\b404\\b/.test((err as Error).message)) return")).toBe(true);
    expect(MESSAGE_REGEX.test('const m = /status code: (\\d{3})/.exec(errorText(err));')).toBe(true);
  });
});
