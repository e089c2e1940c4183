/**
 * A load driver in a process of its own (`node <loader> load-driver.ts <spec.json>`), so that the
 * requests it makes, their JSON and its timers do not share the event loop of the host it
 * measures. The spec names the URL, the bodies and how to send them; it prints one JSON line:
 * each request's latency and answer, in the order sent.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface DriverSpec {
  url: string;
  /** Request bodies, sent in this order (JSON text). */
  bodies: string[];
  /** Requests in flight at once (1: one at a time). */
  inFlight: number;
}

export interface DriverAnswer {
  ms: number;
  status: number;
  /** The answer's `kind`, or `error:<code>`. */
  kind: string;
  incidentId: string | null;
}

export interface DriverResult {
  wallMs: number;
  answers: DriverAnswer[];
}

async function main(): Promise<void> {
  const spec = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as DriverSpec;
  const answers: DriverAnswer[] = new Array<DriverAnswer>(spec.bodies.length);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: spec.inFlight }, async () => {
      while (next < spec.bodies.length) {
        const i = next++;
        const s = performance.now();
        const res = await fetch(spec.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: spec.bodies[i] });
        const text = await res.text();
        const ms = performance.now() - s;
        const body = (text ? JSON.parse(text) : {}) as { kind?: string; incidentId?: string | null; error?: { code?: string } };
        answers[i] = { ms, status: res.status, kind: body.kind ?? `error:${body.error?.code ?? '?'}`, incidentId: body.incidentId ?? null };
      }
    }),
  );
  const result: DriverResult = { wallMs: performance.now() - t0, answers };
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`load driver failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
