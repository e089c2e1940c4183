/**
 * One way to register each kind of function: HTTP routes through httpRoute (src/app/routes.ts),
 * activities through activityHandlers (src/activities/define.ts), never app.http or
 * df.app.activity directly in a trigger file; and activity handlers and contracts are loaded on
 * the first invocation, so no activity file imports one (or the app's composition of one, or a
 * contract: activities are registered by name with activityNamed) statically.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { httpRoute } from '../../src/app/routes.js';

const root = path.join(__dirname, '..', '..');
const files = readdirSync(path.join(root, 'functions')).filter((f) => f.endsWith('.ts'));
const source = (f: string) => readFileSync(path.join(root, 'functions', f), 'utf8');

/** The value imports of a file (type-only imports load nothing): what each names, from where. */
function valueImports(text: string): { from: string; names: string }[] {
  return [...text.matchAll(/^import\s+(?!type\b)([^;]*?)\s+from\s+'([^']+)';/gm)].map((m) => ({ names: m[1] ?? '', from: m[2] ?? '' }));
}

/** What is wrong with a trigger file's activity registration (none: it goes through activityHandlers, handlers loaded lazily). */
function activityRegistrationProblems(text: string): string[] {
  const problems: string[] = [];
  if (/\bapp\.activity\(/.test(text)) problems.push('registers an activity with df.app.activity: use activityHandlers');
  for (const i of valueImports(text)) {
    if (/\/src\/activities\/[^/]+\.contracts\.js$/.test(i.from)) problems.push(`imports the contracts ${i.from} statically: register by name, activityNamed(name, async () => (await import(...)).contract)`);
    if (/\/src\/activities\/(?!define\.js$)[^/]+(?<!\.contracts\.js)$/.test(i.from)) problems.push(`imports the handler module ${i.from} statically: load it in activityHandlers(async () => ... import(...))`);
    const names = i.names.replace(/\btype\s+\w+/g, '');
    if (/\w*Activities\b/.test(names) && !/\bactivityHandlers\b/.test(names)) problems.push(`imports activity handlers (${names.trim()}) from ${i.from} statically: load them in activityHandlers`);
  }
  return problems;
}

describe('registration', () => {
  it('trigger files register routes and activities through the helpers only', () => {
    const direct = files.filter((f) => /\bapp\.http\(|\.app\.activity\(|app\.activity\(/.test(source(f)));
    expect(files.length).toBeGreaterThan(10);
    expect(direct).toEqual([]);
  });

  it('activity files register through activityHandlers and load their handlers on the first invocation', () => {
    const activityFiles = files.filter((f) => /\bactivityHandlers\(/.test(source(f)));
    expect(activityFiles.length).toBeGreaterThanOrEqual(9);
    for (const f of activityFiles) expect(source(f), f).toMatch(/\bactivityNamed\('/);
    const problems = activityFiles.map((f) => ({ file: f, problems: activityRegistrationProblems(source(f)) }));
    expect(problems.filter((p) => p.problems.length)).toEqual([]);
  });

  it('refuses a trigger file that bypasses the helper or loads a handler at import', () => {
    expect(activityRegistrationProblems(`import * as df from 'durable-functions';\ndf.app.activity('sqlSetFlag', { handler: () => null });`)).toEqual(['registers an activity with df.app.activity: use activityHandlers']);
    expect(activityRegistrationProblems(`import { createIncidentActivities } from '../src/activities/incident.js';`)).toEqual([
      "imports the handler module ../src/activities/incident.js statically: load it in activityHandlers(async () => ... import(...))",
      'imports activity handlers ({ createIncidentActivities }) from ../src/activities/incident.js statically: load them in activityHandlers',
    ]);
    expect(activityRegistrationProblems(`import { appSqlActivities } from '../src/app/sql.js';`)).toEqual(['imports activity handlers ({ appSqlActivities }) from ../src/app/sql.js statically: load them in activityHandlers']);
    expect(activityRegistrationProblems(`import { sqlSetFlag } from '../src/activities/sql.contracts.js';`)).toEqual([
      'imports the contracts ../src/activities/sql.contracts.js statically: register by name, activityNamed(name, async () => (await import(...)).contract)',
    ]);
    expect(activityRegistrationProblems(`import { activityHandlers, activityNamed } from '../src/activities/define.js';\nimport type { SqlActivities } from '../src/activities/sql.js';`)).toEqual([]);
  });

  it('a guarded route must carry one of its access action\'s function names (what a function key opens)', () => {
    expect(() => httpRoute('incidentsList', { route: 'x', methods: ['POST'], authLevel: 'function', access: 'declare' }, () => Promise.reject(new Error('not called')))).toThrow(
      'Route incidentsList is guarded by "declare" but is not one of its functions (ACCESS_ACTIONS.declare: incidentsDeclare).',
    );
  });
});
