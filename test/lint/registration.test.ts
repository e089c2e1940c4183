/**
 * One way to register each kind of function: HTTP routes through httpRoute (src/app/routes.ts),
 * activities through registerActivity / configuredActivities (src/activities/define.ts), never
 * app.http or df.app.activity directly in a trigger file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { httpRoute } from '../../src/app/routes.js';

const root = path.join(__dirname, '..', '..');
const files = readdirSync(path.join(root, 'functions')).filter((f) => f.endsWith('.ts'));

describe('registration', () => {
  it('trigger files register routes and activities through the helpers only', () => {
    const direct = files.filter((f) => /\bapp\.http\(|\.app\.activity\(|app\.activity\(/.test(readFileSync(path.join(root, 'functions', f), 'utf8')));
    expect(files.length).toBeGreaterThan(10);
    expect(direct).toEqual([]);
  });

  it('a guarded route must carry one of its access action\'s function names (what a function key opens)', () => {
    expect(() => httpRoute('incidentsList', { route: 'x', methods: ['POST'], authLevel: 'function', access: 'declare' }, () => Promise.reject(new Error('not called')))).toThrow(
      'Route incidentsList is guarded by "declare" but is not one of its functions (ACCESS_ACTIONS.declare: incidentsDeclare).',
    );
  });
});
