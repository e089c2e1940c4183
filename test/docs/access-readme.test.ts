/**
 * The README's role table is what operators set up in Azure (app roles, key names, the functions
 * each key goes on): it must say what src/app/access.ts enforces, row by row.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACCESS_ROLES, functionsOf, type AccessRoleName } from '../../src/app/access.js';

const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

describe('the README role table', () => {
  it.each(Object.keys(ACCESS_ROLES) as AccessRoleName[])('says what the role model says about %s', (role) => {
    const row = readme.split('\n').find((l) => l.startsWith(`| \`${role}\` |`));
    expect(row, `no README row for ${role}`).toBeDefined();
    const cells = (row ?? '').split('|').slice(1, -1).map((c) => c.trim());
    const spec = ACCESS_ROLES[role];
    expect(cells[1]).toBe(spec.description);
    expect(cells[2]).toBe(`\`${spec.appRole}\``);
    expect(cells[3]).toBe(`\`${spec.functionKey}\``);
    expect((cells[4] ?? '').split(',').map((f) => f.trim()).sort()).toEqual(functionsOf(role).sort());
  });
});
