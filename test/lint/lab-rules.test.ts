/** The product must not import the lab (src/lab), and the lab must not import the dev host: the rules fire on bad imports and stay quiet on good ones. */
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

async function problems(code: string, file: string): Promise<string[]> {
  // Linted as the text of an existing file, so the type-aware rules have a project.
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

/** An existing file of each product layer, and the relative path from it to src/lab. */
const productFiles: [string, string][] = [
  ['functions/alerts.ts', '../src/lab/target-app.js'],
  ['orchestrations/incident.ts', '../src/lab/target-app.js'],
  ['src/app/intake.ts', '../lab/target-app.js'],
  ['src/domain/severity.ts', '../lab/target-app.js'],
  ['src/adapters/arm.ts', '../lab/target-app.js'],
  ['src/activities/sql.ts', '../lab/target-app.js'],
  ['src/config/teams.ts', '../lab/target-app.js'],
  ['src/cli/evidence.ts', '../lab/target-app.js'],
];

describe('the lab stays out of the product', () => {
  it.each(productFiles)('%s may not import the lab', async (file, spec) => {
    const found = await problems(`import { TargetApp } from '${spec}';\nexport const t = TargetApp;\n`, file);
    expect(found.join('\n')).toContain('Product code must not import the lab');
  });

  it('the dev host may import the lab', async () => {
    const found = await problems(`import { TargetApp } from '../lab/target-app.js';\nexport const t = TargetApp;\n`, 'src/devhost/cli.ts');
    expect(found.join('\n')).not.toContain('must not import the lab');
  });

  it('the lab may not import the dev host', async () => {
    const found = await problems(`import { ManualClock } from '../devhost/clock.js';\nexport const c = ManualClock;\n`, 'src/lab/target-app.ts');
    expect(found.join('\n')).toContain('The lab must not import the dev host');
  });

  it('product code that imports no lab module passes', async () => {
    // (A module none of the cases above replaced: lintText swaps a file's text in the shared program.)
    const found = await problems(`import { appNow } from './clock.js';\nexport const at: string = appNow().toISOString();\n`, 'src/app/approvals.ts');
    expect(found).toEqual([]);
  });
});
