/**
 * Builds the conformance host for each app the suite runs (NuGet restore on the first run), once,
 * before the test files start: two files building the same output at once would collide.
 */
import path from 'node:path';
import { repoRoot } from '../../harness/devhost.js';
import { buildHost, dotnetAvailable } from './build.js';

export default function setup(): void {
  if (!dotnetAvailable()) {
    if (process.env.CI) throw new Error('The conformance suite needs the .NET SDK under CI (dotnet was not found).');
    return;
  }
  for (const app of [repoRoot, path.join(repoRoot, 'test', 'fixtures', 'conformance-app')]) buildHost(app);
}
