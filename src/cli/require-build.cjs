#!/usr/bin/env node
// `node src/cli/require-build.cjs <dist/...js>`: the npm scripts that run a built command-line tool
// (policy:check, evidence, report:png) call this first, so that running one before a build says
// what to do instead of failing with a MODULE_NOT_FOUND stack. Plain CommonJS: it runs unbuilt.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: it runs before any build */
const { existsSync } = require('node:fs');
const path = require('node:path');

const target = process.argv[2];
if (!target) {
  process.stderr.write('usage: node src/cli/require-build.cjs <built file>\n');
  process.exit(2);
}
if (!existsSync(path.resolve(target))) {
  process.stderr.write(`${target} is not built yet: run npm run build first (npm start, npm test, npm run demo and npm run drill build on their own).\n`);
  process.exit(2);
}
