/**
 * Settings are parsed by src/config and read from the process by the composition root (src/app)
 * only: nothing below it (activities, adapters, ports, domain, the replay helpers, orchestrators)
 * and no trigger file takes `env` or reads process.env. They get typed settings handed down.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..', '..');
const BELOW_THE_ROOT = ['src/activities', 'src/adapters', 'src/ports', 'src/domain', 'src/durable', 'src/http', 'orchestrations', 'functions'];
const READS_ENV = /process\.env|NodeJS\.ProcessEnv/;

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

describe('settings reach code below the composition root as typed values', () => {
  const files = BELOW_THE_ROOT.flatMap(sources);

  it('finds the files', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it('no file below src/app reads process.env or takes an env parameter', () => {
    expect(files.filter((f) => READS_ENV.test(readFileSync(path.join(root, f), 'utf8')))).toEqual([]);
  });
});
