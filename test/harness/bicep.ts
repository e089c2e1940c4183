/**
 * The Bicep compiler for the template tests: the pinned NuGet package that `npm run infra:build`
 * restores (tools/infra-build.ts). CI has the .NET SDK (.ci/run), so there a missing compiler fails
 * the tests; elsewhere they are skipped with the reason in their names.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

/** A deliberate break of infra/ (one text replacement in one file) and the check that must catch it. */
export interface InfraBreak {
  check: string;
  file: string;
  from: string | RegExp;
  to: string;
  run: (t: ArmTemplate) => string[];
}

/**
 * One copy of infra/ per break, each with its replacement applied (a break that no longer applies
 * is an error, not a silent pass), all compiled by one compiler process; the templates in the
 * breaks' order.
 */
export function compileBrokenCopies(breaks: readonly InfraBreak[]): ArmTemplate[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'infra-broken-'));
  breaks.forEach((b, i) => {
    const copy = path.join(dir, String(i));
    cpSync(path.join(repoRoot, 'infra'), copy, { recursive: true });
    const file = path.join(copy, b.file);
    const before = readFileSync(file, 'utf8');
    const after = before.replace(b.from, b.to);
    if (after === before) throw new Error(`the break "${b.check}" does not apply to ${b.file}`);
    writeFileSync(file, after);
  });
  compileCopies(dir);
  return breaks.map((_, i) => JSON.parse(readFileSync(path.join(dir, String(i), 'main.json'), 'utf8')) as ArmTemplate);
}

export function readJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(path.join(repoRoot, ...parts), 'utf8')) as T;
}

export { repoRoot };
