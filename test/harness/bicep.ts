/**
 * The Bicep compiler for the template tests: the pinned NuGet package that `npm run infra:build`
 * restores (tools/infra-build.ts). CI has the .NET SDK (.ci/run), so there a missing compiler fails
 * the tests; elsewhere they are skipped with the reason in their names.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bicepPath, compileBicep, compileCopies, hasDotnet, repoRoot } from '../../tools/infra-build.js';
import type { ArmTemplate } from './arm.js';

export const bicepAvailable = existsSync(bicepPath()) || hasDotnet();
export const bicepRequired = process.env.CI === 'true';
/** For it.skipIf / describe.skipIf: skip only outside CI, and only without the compiler. */
export const skipWithoutBicep = !bicepAvailable && !bicepRequired;

/**
 * Compiles infra/main.bicep (or the main.bicep of a copy of infra/) into a temporary folder,
 * failing on any warning like `npm run infra:build` (a deliberately broken copy may be allowed its
 * warnings).
 */
export function compileMain(infraDir = path.join(repoRoot, 'infra'), options: { allowWarnings?: boolean } = {}): ArmTemplate {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'bicep-')), 'main.json');
  return compileBicep(path.join(infraDir, 'main.bicep'), out, options).template as ArmTemplate;
}

/** Compiles the main.bicep of each copy of infra/ in `dir/<name>/` at once; returns the templates by name. */
export function compileMainCopies(dir: string, names: string[]): Map<string, ArmTemplate> {
  compileCopies(dir);
  return new Map(names.map((n) => [n, JSON.parse(readFileSync(path.join(dir, n, 'main.json'), 'utf8')) as ArmTemplate]));
}

export function readJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(path.join(repoRoot, ...parts), 'utf8')) as T;
}

export { repoRoot };
