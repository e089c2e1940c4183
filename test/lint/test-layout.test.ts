/**
 * The tests mirror the source (issue 20): a test's folder says what it tests. Every folder under
 * test/ is either a source layer (src/<layer>, functions, orchestrations; sub-folders mirror the
 * layer's own) or one of the few kinds of test that cross layers, named here with what they hold.
 * A new folder that is neither fails this test, which is where to decide where it belongs.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..', '..');

/** Folders that hold tests of more than one layer, or what tests need. */
const CROSS_CUTTING: Record<string, string> = {
  e2e: 'whole incidents through the product and the wire fakes',
  conformance: 'the orchestrations on the real Durable engine (its own vitest config)',
  bench: 'benchmarks (npm run bench) and their statistics',
  infra: 'the Bicep template, host.json and the settings catalogue',
  lint: 'the layer rules and this layout',
  docs: 'the README held to the code',
  fuzz: 'payload generators shared by the fuzz tests',
  fixtures: 'data the tests read',
  fakes: 'wire fakes of systems we cannot run',
  harness: 'helpers that start Azurite, the dev host and the product',
};

const folders = (dir: string): string[] =>
  readdirSync(dir).filter((name) => name !== 'node_modules' && name !== '__snapshots__' && statSync(path.join(dir, name)).isDirectory());

const exists = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** Test folders (relative to `repo`) that mirror no source folder and are no cross-cutting kind. */
function strayFolders(repo: string): string[] {
  const tests = path.join(repo, 'test');
  // functions/ and orchestrations/ sit at the root; the other layers under src/.
  const sourceOf = (layer: string, rest: string[]): string =>
    layer === 'functions' || layer === 'orchestrations' ? path.join(repo, layer, ...rest) : path.join(repo, 'src', layer, ...rest);
  const strays: string[] = [];
  const walk = (layer: string, rest: string[]): void => {
    for (const sub of folders(path.join(tests, layer, ...rest))) {
      const next = [...rest, sub];
      if (exists(sourceOf(layer, next))) walk(layer, next);
      else strays.push(path.join('test', layer, ...next));
    }
  };
  for (const name of folders(tests)) {
    if (name in CROSS_CUTTING) continue;
    if (exists(sourceOf(name, []))) walk(name, []);
    else strays.push(path.join('test', name));
  }
  return strays;
}

describe('the test folders', () => {
  it('are each a source layer (mirrored below it too) or a named cross-cutting kind', () => {
    expect(strayFolders(root), 'move these tests beside what they test, or name the kind in CROSS_CUTTING').toEqual([]);
  });

  it('refuse a folder that says nothing about what it tests, and one that mirrors nothing', () => {
    const repo = mkdtempSync(path.join(tmpdir(), 'layout-'));
    try {
      for (const dir of ['src/domain/messages', 'functions', 'test/domain/messages/__snapshots__', 'test/functions', 'test/unit', 'test/domain/stuff', 'test/e2e']) mkdirSync(path.join(repo, dir), { recursive: true });
      expect(strayFolders(repo).sort()).toEqual([path.join('test', 'domain', 'stuff'), path.join('test', 'unit')]);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
