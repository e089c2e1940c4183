/**
 * `npm run bench`: benchmarks that print figures as JSON lines (never pass/fail). Each suite
 * starts what it needs (Azurite on free ports, the dev host in-process).
 *   npm run bench                 all suites
 *   npm run bench -- devhost      only suites whose name contains "devhost"
 * Each suite runs in a process of its own: the app is loaded once per process and builds its
 * storage clients and reads its policy once, as in a Functions worker, so a suite that started its
 * own Azurite after another one would find the app still bound to the first.
 */
import { spawn } from 'node:child_process';
import { alertBenchmarks } from './alerts.bench.js';
import { coldImportBenchmarks } from './cold-import.bench.js';
import { devhostBenchmarks } from './devhost.bench.js';
import { drillBenchmarks } from './drill.bench.js';
import { smokeBenchmarks } from './smoke.bench.js';
import { sqlBenchmarks } from './sql.bench.js';
import { teamsBenchmarks } from './teams.bench.js';

export interface BenchResult {
  bench: string;
  [figure: string]: unknown;
}

const suites: { name: string; run: (emit: (r: BenchResult) => void) => Promise<void> }[] = [
  { name: 'devhost', run: devhostBenchmarks },
  { name: 'alerts', run: alertBenchmarks },
  { name: 'smoke', run: smokeBenchmarks },
  { name: 'sql', run: sqlBenchmarks },
  { name: 'teams', run: teamsBenchmarks },
  { name: 'coldImport', run: coldImportBenchmarks },
  { name: 'drill', run: drillBenchmarks },
];

const SUITE_FLAG = '--suite=';

/** Runs one suite in a fresh process (this script, under the same loader); its figures go to our standard output. */
function runInChild(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1] ?? __filename, `${SUITE_FLAG}${name}`], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`suite ${name} ended with ${signal ?? `exit code ${code}`}`))));
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const only = args.find((a) => a.startsWith(SUITE_FLAG))?.slice(SUITE_FLAG.length);
  if (only === undefined) {
    const filter = args.filter((a) => !a.startsWith('-'));
    for (const suite of suites) {
      if (filter.length && !filter.some((f) => suite.name.includes(f))) continue;
      await runInChild(suite.name);
    }
    return;
  }
  const suite = suites.find((s) => s.name === only);
  if (!suite) throw new Error(`no suite named ${only}`);
  // Standard output carries the figures only, one JSON line each: whatever the app under test
  // prints (the Teams local sink shows every message it would post) goes to standard error.
  const stdout = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr);
  const emit = (r: BenchResult): void => {
    stdout(JSON.stringify(r) + '\n');
  };
  await suite.run(emit);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
