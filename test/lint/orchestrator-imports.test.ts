/**
 * What lint cannot see: an orchestrator module loading an adapter, the composition root or an SDK
 * through a chain of imports (orchestrations/incident.ts -> an activity contract -> a settings
 * module -> an adapter once did). This walks the runtime import graph (type-only imports are
 * erased by the compiler, so they load nothing) from every orchestrator module.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..', '..');

/** Folders and packages an orchestrator may never load, however indirectly. */
const FORBIDDEN_FOLDERS = ['src/adapters/', 'src/app/', 'src/http/', 'src/devhost/', 'src/lab/', 'src/cli/', 'functions/'];
const ALLOWED_PACKAGES = new Set(['zod', 'durable-functions', '@azure/functions']);

/** The module specifiers a file loads at run time (import type and all-type imports excluded). */
function runtimeImports(source: string, fileName = 'x.ts'): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const out: string[] = [];
  for (const node of file.statements) {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (!clause.name && clause.namedBindings !== undefined && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) out.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause;
      const typeOnly = node.isTypeOnly || (clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) out.push(node.moduleSpecifier.text);
    }
  }
  return out;
}

/** Every forbidden module reachable from `entry`, each with the chain of imports that reaches it. */
function leaks(entry: string, read: (file: string) => string | undefined): string[] {
  const found: string[] = [];
  const seen = new Set<string>([entry]);
  const queue: { file: string; chain: string[] }[] = [{ file: entry, chain: [entry] }];
  while (queue.length) {
    const { file, chain } = queue.shift()!;
    const source = read(file);
    if (source === undefined) continue;
    for (const spec of runtimeImports(source, file)) {
      if (!spec.startsWith('.')) {
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!ALLOWED_PACKAGES.has(pkg)) found.push([...chain, spec].join(' -> '));
        continue;
      }
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts');
      if (FORBIDDEN_FOLDERS.some((f) => target.startsWith(f))) found.push([...chain, target].join(' -> '));
      if (!seen.has(target)) {
        seen.add(target);
        queue.push({ file: target, chain: [...chain, target] });
      }
    }
  }
  return found;
}

const readRepo = (file: string): string | undefined => {
  try {
    return readFileSync(path.join(root, file), 'utf8');
  } catch {
    return undefined;
  }
};

const orchestrators = readdirSync(path.join(root, 'orchestrations')).filter((f) => f.endsWith('.ts')).map((f) => `orchestrations/${f}`);

describe('orchestrator modules load no adapter, composition root or SDK, however indirectly', () => {
  it('there are orchestrator modules to walk', () => {
    expect(orchestrators).toContain('orchestrations/incident.ts');
  });

  it.each(orchestrators)('%s', (entry) => {
    expect(leaks(entry, readRepo)).toEqual([]);
  });

  it('finds a leak three imports deep (the one lint missed)', () => {
    const files: Record<string, string> = {
      'orchestrations/x.ts': "import { contract } from '../src/activities/x.contracts.js';\nimport type { Only } from '../src/adapters/types.js';",
      'src/activities/x.contracts.ts': "import { settings } from '../config/x.js';\nexport { type T } from '../app/types.js';",
      'src/config/x.ts': "import { storageTarget } from '../adapters/storage.js';\nimport { z } from 'zod';",
      'src/adapters/storage.ts': "import { TableClient } from '@azure/data-tables';",
    };
    expect(leaks('orchestrations/x.ts', (f) => files[f])).toEqual([
      'orchestrations/x.ts -> src/activities/x.contracts.ts -> src/config/x.ts -> src/adapters/storage.ts',
      'orchestrations/x.ts -> src/activities/x.contracts.ts -> src/config/x.ts -> src/adapters/storage.ts -> @azure/data-tables',
    ]);
  });

  it('finds an SDK loaded through a domain module, and a re-export', () => {
    const files: Record<string, string> = {
      'orchestrations/y.ts': "import { a } from '../src/domain/a.js';",
      'src/domain/a.ts': "export { b } from './b.js';",
      'src/domain/b.ts': "import * as sql from 'mssql';",
    };
    expect(leaks('orchestrations/y.ts', (f) => files[f])).toEqual(['orchestrations/y.ts -> src/domain/a.ts -> src/domain/b.ts -> mssql']);
  });
});
