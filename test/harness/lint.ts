/**
 * Linting a made-up import as if it were in a given file of the repository, for the tests of the
 * layer rules (eslint.config.mjs): which no-restricted-imports refusals it draws.
 */
import path from 'node:path';
import { ESLint } from 'eslint';

export const repoRoot = path.join(__dirname, '..', '..');
const eslint = new ESLint({ cwd: repoRoot });

// Type-aware linting builds a TypeScript program for the first file: seconds alone, far more on a
// loaded machine. The rules are what is tested, not how fast they run.
export const slow = { timeout: 180_000 };

/** The import refusals `code` draws as the content of `file` (a path relative to the repository). */
export async function importProblems(code: string, file: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}
