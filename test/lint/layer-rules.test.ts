/**
 * The layer rules of eslint.config.mjs: each refusal fires on a deliberately bad import from an
 * existing file of the layer (linted as that file's text, so the type-aware rules have a project),
 * and every layer's real files pass them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importProblems, repoRoot, slow } from '../harness/lint.js';


/** [layer file, bad import, what the refusal says]. */
const bad: [string, string, string][] = [
  ['functions/alerts.ts', '../src/adapters/storage.js', 'functions/ must not import adapters'],
  ['functions/alerts.ts', '../src/ports/teams.js', 'functions/ must not import ports'],
  ['functions/alerts.ts', '../src/devhost/clock.js', 'functions/ must not import devhost'],
  ['functions/alerts.ts', '../src/cli/evidence.js', 'functions/ must not import cli'],
  ['orchestrations/incident.ts', '../src/config/policy.js', 'Orchestrators must not import src/config'],
  ['orchestrations/incident.ts', '../src/adapters/storage.js', 'Orchestrators reach external systems only through activities'],
  ['orchestrations/incident.ts', '../src/app/stores.js', 'Orchestrators reach external systems only through activities'],
  ['orchestrations/incident.ts', '../src/activities/sql.js', 'Orchestrators import activity contracts (*.contracts.ts) only'],
  ['orchestrations/incident.ts', '@azure/data-tables', 'Orchestrators must not import SDKs'],
  ['src/durable/custom-status.ts', '../adapters/storage.js', 'Orchestrators reach external systems only through activities'],
  ['src/domain/severity.ts', '../config/policy.js', 'src/domain must not import config'],
  ['src/domain/severity.ts', '../ports/teams.js', 'src/domain must not import ports'],
  ['src/domain/severity.ts', '../activities/smoke.contracts.js', 'src/domain must not import activities'],
  ['src/domain/severity.ts', '../adapters/storage.js', 'src/domain must not import adapters'],
  ['src/domain/severity.ts', '../app/stores.js', 'src/domain must not import app'],
  ['src/domain/messages/render.ts', '../../config/teams.js', 'src/domain must not import config'],
  ['src/domain/severity.ts', 'node:fs', 'src/domain must not use Node built-ins'],
  ['src/domain/severity.ts', '@azure/storage-blob', 'src/domain must not import an SDK'],
  ['src/domain/severity.ts', 'durable-functions', 'src/domain must not import durable-functions'],
  ['src/config/teams.ts', '../adapters/storage.js', 'src/config must not import adapters'],
  ['src/config/teams.ts', '../ports/teams.js', 'src/config must not import ports'],
  ['src/config/teams.ts', '../activities/teams.contracts.js', 'src/config must not import activities'],
  ['src/config/teams.ts', '../app/teams.js', 'src/config must not import app'],
  ['src/config/teams.ts', '@azure/identity', 'src/config must not import an SDK'],
  ['src/ports/teams.ts', '../config/teams.js', 'src/ports must not import config'],
  ['src/ports/teams.ts', '../adapters/graph-teams.js', 'src/ports must not import adapters'],
  ['src/ports/teams.ts', '@microsoft/microsoft-graph-client', 'src/ports must not import an SDK'],
  ['src/activities/sql.ts', '../adapters/sql.js', 'src/activities must not import adapters'],
  ['src/activities/sql.ts', '../app/ledger.js', 'src/activities must not import app'],
  ['src/activities/sql.ts', '../http/envelope.js', 'src/activities must not import app'],
  ['src/activities/sql.ts', 'mssql', 'src/activities must not import an SDK'],
  ['src/adapters/arm.ts', '../app/stores.js', 'src/adapters must not import app'],
  ['src/adapters/arm.ts', '../activities/sql.contracts.js', 'src/adapters must not import activities'],
  ['src/adapters/arm.ts', '../devhost/clock.js', 'src/adapters must not import devhost'],
  ['src/app/intake.ts', '../devhost/clock.js', 'src/app must not import devhost'],
  ['src/app/intake.ts', '../../functions/alerts.js', 'src/app must not import functions'],
  ['src/app/intake.ts', '../../orchestrations/incident.js', 'src/app must not import orchestrations'],
  ['src/http/envelope.ts', '../devhost/clock.js', 'src/app must not import devhost'],
  ['src/cli/evidence.ts', '../devhost/clock.js', 'src/cli must not import devhost'],
  ['src/devhost/cli.ts', '../../functions/alerts.js', 'src/devhost must not import functions'],
  ['src/devhost/cli.ts', '../../orchestrations/incident.js', 'src/devhost must not import orchestrations'],
  ['src/lab/target-app.ts', '../app/stores.js', 'src/lab must not import app'],
  ['src/lab/target-app.ts', '../devhost/clock.js', 'The lab must not import the dev host'],
];

describe('layer import rules', slow, () => {
  it.each(bad)('%s may not import %s', async (file, spec, expected) => {
    const found = await importProblems(`import * as bad from '${spec}';\nexport const b = bad;\n`, file);
    expect(found.join('\n')).toContain(expected);
  });

  /** A real file of each layer, with its real imports: none is refused. */
  const real = [
    'functions/alerts.ts',
    'orchestrations/incident.ts',
    'src/durable/custom-status.ts',
    'src/domain/incident.ts',
    'src/config/app-service.ts',
    'src/ports/app-service.ts',
    'src/activities/teams.ts',
    'src/adapters/storage.ts',
    'src/app/stores.ts',
    'src/http/envelope.ts',
    'src/cli/evidence.ts',
    'src/devhost/host.ts',
    'src/lab/lab.ts',
  ];
  it.each(real)('%s as it is passes', async (file) => {
    expect(await importProblems(readFileSync(path.join(repoRoot, file), 'utf8'), file)).toEqual([]);
  });
});
