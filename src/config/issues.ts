/** zod problems as data: where (a readable path) and what, ready for an error envelope or a CLI. */
import type { z } from 'zod';

export interface Issue {
  path: string;
  code: string;
  message: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

export function toIssues(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({ path: formatPath(i.path), code: i.code, message: i.message }));
}

/** One line per problem: "policy.services[0].slots: Required". */
export function describeIssues(issues: readonly Issue[], prefix = ''): string {
  return issues.map((i) => `${prefix}${i.path}: ${i.message}`).join('\n');
}
