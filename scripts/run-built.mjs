#!/usr/bin/env node
/**
 * Runs one of the command-line tools from dist/ (`npm run evidence`, `npm run report:png`), or,
 * when the app is not built yet (a fresh clone), says so and how to build instead of failing
 * with Node's "Cannot find module" stack.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [tool, ...args] = process.argv.slice(2);
// The name the person typed (`npm run report:png`), when npm ran us.
const name = process.env.npm_lifecycle_event ?? tool ?? 'run-built';
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = path.join(root, 'dist', 'src', 'cli', `${tool}.js`);
if (!tool || !existsSync(file)) {
  process.stderr.write(
    `${name}: the app is not built yet (${path.relative(root, file)} does not exist).\n` +
      'Build it first with `npm run build` (`npm start` and `npm test` build it too), then run this command again.\n',
  );
  process.exit(2);
}
const run = spawnSync(process.execPath, [file, ...args], { stdio: 'inherit' });
if (run.error) {
  process.stderr.write(`${name}: could not start: ${run.error.message}\n`);
  process.exit(1);
}
process.exit(run.status ?? 1);
