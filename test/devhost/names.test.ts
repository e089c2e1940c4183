/** The dev host refuses function names the Functions host would refuse, instead of letting them work locally. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadApp } from '../../src/devhost/app-loader.js';
import { repoRoot } from '../harness/devhost.js';

describe('function names', () => {
  it('refuses a name with a dot, saying what Azure allows', async () => {
    await expect(loadApp(path.join(repoRoot, 'test', 'fixtures', 'bad-name-app'))).rejects.toThrow(
      /The function name "appService\.readReleaseState" is invalid: Azure Functions names must match/,
    );
  });
});
