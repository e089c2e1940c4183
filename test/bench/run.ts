/**
 * `npm run bench`: benchmarks that print figures as JSON lines (never pass/fail). Each suite
 * starts what it needs (Azurite on free ports, the dev host in-process).
 *   npm run bench                 all suites
 *   npm run bench -- devhost      only suites whose name contains "devhost"
 * Each suite runs in a process of its own: the app is loaded once per process and builds its
 * storage clients and reads its policy once, as in a Functions worker, so a suite that started its
 * own Azurite after another one would find the app still bound to the first. Load drivers run in
 * processes of their own too (test/bench/load-driver.ts).
 *
 * A figure with a goal carries `goals` (figure, goal, measured, met); at the end every goal is
 * printed again, one `{"bench":"goal"}` line each, after a `{"bench":"machine"}` line with the
 * machine's load before and after (figures from a loaded machine are noisy: compare ratios), and
 * as a table on standard error.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { alertBenchmarks } from './alerts.bench.js';
import { coldImportBenchmarks } from './cold-import.bench.js';
import { devhostBenchmarks } from './devhost.bench.js';
import { drillBenchmarks } from './drill.bench.js';
import { scaleBenchmarks } from './scale.bench.js';
import { smokeBenchmarks } from './smoke.bench.js';
import { sqlBenchmarks } from './sql.bench.js';
import type { Goal } from './stats.js';
import { teamsBenchmarks } from './teams.bench.js';

export interface BenchResult {
  bench: string;
  [figure: string]: unknown;
}

const suites: { name: string; run: (emit: (r: BenchResult) => void) => Promise<void> }[] = [
  { name: 'devhost', run: devhostBenchmarks },
  { name: 'alerts', run: alertBenchmarks },
  { name: 'scale', run: scaleBenchmarks },
  { name: 'smoke', run: smokeBenchmarks },
  { name: 'sql', run: sqlBenchmarks },
  { name: 'teams', run: teamsBenchmarks },
  { name: 'coldImport', run: coldImportBenchmarks },
  { name: 'drill', run: drillBenchmarks },
];

const SUITE_FLAG = '--suite=';

/** Runs one suite in a fresh process (this script, under the same loader); its figures go to our standard output, its goals to `goals`. */
function runInChild(name: string, goals: Goal[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1] ?? __filename, `${SUITE_FLAG}${name}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    createInterface({ input: child.stdout }).on('line', (line) => {
      process.stdout.write(line + '\n');
      try {
        const r = JSON.parse(line) as { goals?: Goal[] };
        if (Array.isArray(r.goals)) goals.push(...r.goals);
      } catch {
        // not a figure
      }
    });
    child.once('error', reject);
    // 'close': after its standard output has been read to the end.
    child.once('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`suite ${name} ended with ${signal ?? `exit code ${code}`}`))));
  });
}

const load = (): number[] => os.loadavg().map((l) => Math.round(l * 100) / 100);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const only = args.find((a) => a.startsWith(SUITE_FLAG))?.slice(SUITE_FLAG.length);
  if (only === undefined) {
    const filter = args.filter((a) => !a.startsWith('-'));
    const goals: Goal[] = [];
    const before = load();
    const failed: string[] = [];
    for (const suite of suites) {
      if (filter.length && !filter.some((f) => suite.name.includes(f))) continue;
      await runInChild(suite.name, goals).catch((err: unknown) => {
        failed.push(suite.name);
        process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      });
    }
    process.stdout.write(JSON.stringify({ bench: 'machine', cores: os.cpus().length, loadAvgBefore: before, loadAvgAfter: load(), failedSuites: failed }) + '\n');
    for (const g of goals) process.stdout.write(JSON.stringify({ bench: 'goal', ...g }) + '\n');
    const width = Math.max(...goals.map((g) => g.figure.length), 6);
    process.stderr.write(`\n${'figure'.padEnd(width)} | goal | measured | met\n`);
    for (const g of goals) process.stderr.write(`${g.figure.padEnd(width)} | ${g.goal} | ${g.measured} | ${g.met ? 'met' : 'MISSED'}\n`);
    if (failed.length) process.exitCode = 1;
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
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
