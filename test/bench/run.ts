/**
 * `npm run bench`: benchmarks that print figures as JSON lines (never pass/fail). Each suite
 * starts what it needs (Azurite on free ports, the dev host in-process).
 *   npm run bench                 all suites
 *   npm run bench -- devhost      only suites whose name contains "devhost"
 */
import { alertBenchmarks } from './alerts.bench.js';
import { coldImportBenchmarks } from './cold-import.bench.js';
import { devhostBenchmarks } from './devhost.bench.js';
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
];

async function main(): Promise<void> {
  const filter = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  // Standard output carries the figures only, one JSON line each: whatever the app under test
  // prints (the Teams local sink shows every message it would post) goes to standard error.
  const stdout = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr);
  const emit = (r: BenchResult): void => {
    stdout(JSON.stringify(r) + '\n');
  };
  for (const suite of suites) {
    if (filter.length && !filter.some((f) => suite.name.includes(f))) continue;
    await suite.run(emit);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
