/**
 * `npm run fuzz`: throws generated alert payloads (test/fuzz/payloads.ts: mutations of the real
 * samples plus structural attacks) at POST /api/alerts of a running host, and prints the answers'
 * counts by status, every 5xx, and the incidents started (by which payloads). Exit code 1 when
 * any answer is a 5xx, a payload that can never be processed started an incident, or an answer
 * is not what the payload must get (a 4xx for those, a 2xx for alerts in the common schema).
 *
 *   npm start                                   # in another terminal (or any deployed app)
 *   npm run fuzz                                # 10,000 payloads to http://127.0.0.1:7071
 *   npm run fuzz -- --n 500 --seed 7 --url https://<app>.azurewebsites.net --key <function key>
 *
 * Options: --n (10000), --seed (a new one each run, printed), --url (http://127.0.0.1:7071),
 * --key (a key that opens the alerts function and GET /api/incidents, or FUZZ_KEY), --concurrency
 * (8), --route service@environment (admin-api@Beta: what routed payloads name; the sample and
 * test policies both route it), --id-pool (40 distinct alert ids per sample per run).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { fuzzPayloads, type Payload } from './payloads.js';

export interface FuzzOptions {
  n: number;
  seed: number;
  url: string;
  key?: string | undefined;
  concurrency: number;
  route: string;
  idPool: number;
}

export interface FuzzAnswer {
  index: number;
  label: string;
  expect: Payload['expect'];
  status: number;
  kind: string | null;
  incidentId: string | null;
  error: string | null;
}

export interface FuzzReport {
  options: FuzzOptions;
  seconds: number;
  byStatus: Record<string, number>;
  byKind: Record<string, number>;
  serverErrors: FuzzAnswer[];
  /** Accepted-by-construction payloads that were refused, and the reverse. */
  unexpected: FuzzAnswer[];
  /** Incidents the answers say were declared, by valid payloads. */
  declared: string[];
  /** Incidents answered as declared or correlated to a payload that can never be processed. */
  fromInvalid: FuzzAnswer[];
  /** Incidents that appeared on GET /api/incidents during the run that no valid payload declared. */
  unexplained: string[];
}

function headers(key: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return { ...(key ? { 'x-functions-key': key } : {}), ...extra };
}

async function incidentIds(o: FuzzOptions): Promise<Set<string>> {
  const res = await fetch(`${o.url}/api/incidents?limit=500`, { headers: headers(o.key) });
  if (!res.ok) throw new Error(`GET /api/incidents answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  const body = (await res.json()) as { items: { incidentId: string }[] };
  return new Set(body.items.map((i) => i.incidentId));
}

async function send(o: FuzzOptions, p: Payload, index: number): Promise<FuzzAnswer> {
  let status = 0;
  let text = '';
  try {
    const res = await fetch(`${o.url}/api/alerts`, { method: 'POST', headers: headers(o.key, { 'content-type': p.contentType }), body: p.body });
    status = res.status;
    text = await res.text();
  } catch (err) {
    // A dropped connection counts as a server failure: the host did not answer.
    return { index, label: p.label, expect: p.expect, status: 599, kind: null, incidentId: null, error: `no answer: ${(err as Error).message}` };
  }
  let body: { kind?: string; incidentId?: string | null; error?: { code: string; message: string } } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = { error: { code: '(not json)', message: text.slice(0, 200) } };
  }
  return {
    index,
    label: p.label,
    expect: p.expect,
    status,
    kind: body.kind ?? null,
    incidentId: body.incidentId ?? null,
    error: body.error ? `${body.error.code}: ${body.error.message.slice(0, 200)}` : null,
  };
}

export async function runFuzz(o: FuzzOptions, log: (line: string) => void = () => undefined): Promise<FuzzReport> {
  const payloads = fc.sample(fuzzPayloads({ route: o.route, idPool: o.idPool, runId: o.seed.toString(36) }), { numRuns: o.n, seed: o.seed });
  const before = await incidentIds(o);
  const started = Date.now();
  const answers: FuzzAnswer[] = new Array<FuzzAnswer>(payloads.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < payloads.length) {
      const i = next++;
      answers[i] = await send(o, payloads[i] as Payload, i);
      if (++done % 1000 === 0) log(`  ${done} sent`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, worker));
  const seconds = (Date.now() - started) / 1000;
  const after = await incidentIds(o);

  const count = (pick: (a: FuzzAnswer) => string): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const a of answers) out[pick(a)] = (out[pick(a)] ?? 0) + 1;
    return Object.fromEntries(Object.entries(out).sort(([x], [y]) => (x < y ? -1 : 1)));
  };
  const ok = (a: FuzzAnswer): boolean => a.status >= 200 && a.status < 300;
  const declared = [...new Set(answers.filter((a) => a.expect === 'accepted' && a.kind === 'declared' && a.incidentId).map((a) => a.incidentId as string))];
  return {
    options: o,
    seconds,
    byStatus: count((a) => String(a.status)),
    byKind: count((a) => `${a.expect}: ${a.kind ?? a.error?.split(':')[0] ?? '-'}`),
    serverErrors: answers.filter((a) => a.status >= 500),
    unexpected: answers.filter((a) => a.status < 500 && (a.expect === 'refused' ? ok(a) : !ok(a))),
    declared,
    fromInvalid: answers.filter((a) => a.expect === 'refused' && a.incidentId !== null),
    unexplained: [...after].filter((id) => !before.has(id) && !declared.includes(id)),
  };
}

export function printReport(r: FuzzReport, out: (line: string) => void): void {
  const o = r.options;
  out(`fuzz: ${o.n} payloads to ${o.url}/api/alerts (seed ${o.seed}, ${o.concurrency} at a time) in ${r.seconds.toFixed(1)} s`);
  out('answers by status:');
  for (const [status, n] of Object.entries(r.byStatus)) out(`  ${status.padEnd(5)} ${String(n).padStart(6)}`);
  out('answers by payload (must get) and outcome:');
  for (const [kind, n] of Object.entries(r.byKind)) out(`  ${kind.padEnd(40)} ${String(n).padStart(6)}`);
  out(`5xx: ${r.serverErrors.length}`);
  for (const a of r.serverErrors.slice(0, 50)) out(`  #${a.index} ${a.status} ${a.label}: ${a.error ?? ''}`);
  out(`incidents started: ${r.declared.length + r.unexplained.length} (${r.declared.length} declared by valid alerts${r.declared.length ? `: ${r.declared.join(', ')}` : ''})`);
  out(`incidents from invalid payloads: ${r.fromInvalid.length + r.unexplained.length}`);
  for (const a of r.fromInvalid) out(`  #${a.index} ${a.label}: ${a.kind ?? ''} ${a.incidentId ?? ''}`);
  for (const id of r.unexplained) out(`  ${id}: on GET /api/incidents, declared by no valid payload`);
  out(`answers other than the payload must get: ${r.unexpected.length}`);
  for (const a of r.unexpected.slice(0, 50)) out(`  #${a.index} must be ${a.expect}, got ${a.status} ${a.kind ?? a.error ?? ''} (${a.label.slice(0, 120)})`);
}

export function failed(r: FuzzReport): boolean {
  return r.serverErrors.length > 0 || r.fromInvalid.length > 0 || r.unexplained.length > 0 || r.unexpected.length > 0;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string' },
      seed: { type: 'string' },
      url: { type: 'string' },
      key: { type: 'string' },
      concurrency: { type: 'string' },
      route: { type: 'string' },
      'id-pool': { type: 'string' },
    },
    strict: true,
  });
  const int = (v: string | undefined, fallback: number, name: string): number => {
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got ${v}`);
    return n;
  };
  const options: FuzzOptions = {
    n: int(values.n, 10_000, 'n'),
    seed: int(values.seed, randomBytes(4).readUInt32BE() >>> 1, 'seed'),
    url: (values.url ?? 'http://127.0.0.1:7071').replace(/\/+$/, ''),
    key: values.key ?? process.env.FUZZ_KEY,
    concurrency: int(values.concurrency, 8, 'concurrency'),
    route: values.route ?? 'admin-api@Beta',
    idPool: int(values['id-pool'], 40, 'id-pool'),
  };
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  say(`fuzz: generating ${options.n} payloads (seed ${options.seed}) for ${options.url} ...`);
  const report = await runFuzz(options, say);
  printReport(report, say);
  process.exitCode = failed(report) ? 1 : 0;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`fuzz: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}
