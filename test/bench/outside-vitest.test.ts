/**
 * The benches run under tsx, outside vitest (npm run bench), and vitest refuses to be imported
 * there: no module a bench reaches through the test tree may import it. (A vitest hook in a shared
 * harness broke the whole bench once while every test stayed green.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const benchDir = __dirname;
const testRoot = path.join(benchDir, '..');

/** Relative imports of a module that stay in test/ (the product's own modules never import vitest: lint keeps tests out of src). */
function testImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+'(\.[^']+)'/gm)) {
    const target = path.resolve(path.dirname(file), m[1] ?? '').replace(/\.js$/, '.ts');
    if (target.startsWith(testRoot + path.sep)) out.push(target);
  }
  return out;
}

function vitestUsers(entry: string): string[] {
  const seen = new Set<string>();
  const users: string[] = [];
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    if (/^\s*import\s+(?!type\b)[^;]*from\s+'vitest'/m.test(readFileSync(file, 'utf8'))) users.push(path.relative(testRoot, file));
    for (const next of testImports(file)) walk(next);
  };
  walk(entry);
  return users;
}

const benches = readdirSync(benchDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

describe('the benches, outside vitest', () => {
  it('are found', () => {
    expect(benches).toContain('run.ts');
  });

  it.each(benches)('%s reaches no module that imports vitest', (bench) => {
    expect(vitestUsers(path.join(benchDir, bench))).toEqual([]);
  });
});
