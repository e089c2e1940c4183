/**
 * Settings are parsed by src/config and read from the process in one place: src/app/settings.ts,
 * which takes one snapshot of the environment per process and hands typed settings down. Nothing
 * else of the composition root (src/app), no parser (src/config: it parses what it is given), nothing
 * below the root (activities, adapters, ports, domain, the replay helpers, orchestrators) and no
 * trigger file (functions/startup.ts included: it asks src/app/settings.ts) reads process.env; below
 * the root nothing takes an `env` parameter either.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..', '..');
/** The one reader of the process's environment in the product. */
const THE_READER = 'src/app/settings.ts';
const BELOW_THE_ROOT = ['src/activities', 'src/adapters', 'src/ports', 'src/domain', 'src/durable', 'src/http', 'orchestrations', 'functions'];
const READS_ENV = /process\.env|NodeJS\.ProcessEnv/;
const READS_PROCESS_ENV = /process\.env/;

interface Source {
  file: string;
  text: string;
}

function sources(dir: string): Source[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .map((file) => ({ file, text: readFileSync(path.join(root, file), 'utf8') }));
}

/** The files that break the rule: below the root, any mention of the environment; in src/app and src/config, a read of process.env outside THE_READER. */
function settingsReaders(files: readonly Source[]): string[] {
  return files
    .filter(({ file, text }) => {
      if (BELOW_THE_ROOT.some((d) => file.startsWith(`${d}/`))) return READS_ENV.test(text);
      if (file.startsWith('src/app/') || file.startsWith('src/config/')) return file !== THE_READER && READS_PROCESS_ENV.test(text);
      return false;
    })
    .map((s) => s.file);
}

describe('settings reach code below the composition root as typed values', () => {
  const below = BELOW_THE_ROOT.flatMap(sources);
  const composition = [...sources('src/app'), ...sources('src/config')];

  it('finds the files', () => {
    expect(below.length).toBeGreaterThan(100);
    expect(composition.map((s) => s.file)).toContain(THE_READER);
  });

  it('no file below src/app reads process.env or takes an env parameter', () => {
    expect(settingsReaders(below)).toEqual([]);
  });

  it('in src/app and src/config, only src/app/settings.ts reads process.env', () => {
    expect(settingsReaders(composition)).toEqual([]);
    expect(READS_PROCESS_ENV.test(composition.find((s) => s.file === THE_READER)!.text)).toBe(true);
  });

  it('fails on a second reader of process.env in src/app or src/config, and on env below the root', () => {
    const bad: Source[] = [
      { file: 'src/app/health.ts', text: 'export const commit = () => process.env.APP_COMMIT;' },
      { file: 'src/app/sql.ts', text: 'export function store(setting: string, env = process.env) { return env[setting]; }' },
      { file: 'src/config/teams.ts', text: 'export function readTeamsSettings(env: NodeJS.ProcessEnv = process.env) { return env; }' },
      { file: 'functions/startup.ts', text: "if (process.env.POLICY_PATH) console.log('policy');" },
      { file: 'src/activities/sql.ts', text: 'export function run(env: NodeJS.ProcessEnv) { return env.SQL_ACTOR; }' },
    ];
    expect(settingsReaders(bad)).toEqual(bad.map((s) => s.file));
    // What the rule allows: the one reader, typed settings in the root, a parser's parameter in src/config.
    const fine: Source[] = [
      { file: THE_READER, text: 'export const appSettings = () => parseAppSettings({ ...process.env });' },
      { file: 'src/app/health.ts', text: 'export const commit = (s: AppSettings = appSettings()) => s.commit;' },
      { file: 'src/config/teams.ts', text: 'export function readTeamsSettings(env: NodeJS.ProcessEnv) { return env.TEAMS_DELIVERY; }' },
    ];
    expect(settingsReaders(fine)).toEqual([]);
  });
});
