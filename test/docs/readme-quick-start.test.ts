/**
 * The README's quick start leads with what shows the product working (issue 13): the demo first,
 * then an incident of your own in the lab, then drills; the npm scripts it names exist.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..', '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

const section = (from: string): string => {
  const start = readme.indexOf(`\n## ${from}\n`);
  expect(start, `no "## ${from}" section`).toBeGreaterThan(-1);
  const next = readme.indexOf('\n## ', start + 4);
  return readme.slice(start, next === -1 ? undefined : next);
};

describe('the README quick start', () => {
  it('is the first section, and its first commands are install, the demo and the tests', () => {
    expect(readme.indexOf('\n## ')).toBe(readme.indexOf('\n## Quick start\n'));
    const commands = section('Quick start')
      .split('\n')
      .filter((l) => /^ {4}npm /.test(l))
      .map((l) => l.trim().split(/\s+#/)[0]?.trim());
    expect(commands.slice(0, 3)).toEqual(['npm ci', 'npm run demo', 'npm test']);
  });

  it('goes on with the demo, your own incident in the lab, and drills, in that order', () => {
    const heads = section('Quick start')
      .split('\n')
      .filter((l) => l.startsWith('### '));
    expect(heads.slice(0, 3)).toEqual(['### 1. The demo: `npm run demo`', '### 2. Your own incident in the lab: `npm start -- --lab`', '### 3. Drills from real alerts']);
  });

  it('names only npm scripts that exist', () => {
    const named = [...section('Quick start').matchAll(/npm run (-s )?([\w:-]+)/g)].map((m) => m[2] as string);
    expect(named).toEqual(expect.arrayContaining(['demo', 'drill']));
    for (const n of named) expect(scripts[n], `npm run ${n}`).toBeDefined();
  });
});
