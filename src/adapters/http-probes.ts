/**
 * Smoke probes over HTTP(S) with node:http / node:https (not fetch: its first use loads undici,
 * tens of milliseconds that would land in the first SSE measurement, and it hides the socket
 * timing). Every exchange has a deadline and a bound on the bytes it reads; a fresh connection
 * per request (no keep-alive pool), so each measurement includes what a new client pays.
 * Durations come from the monotonic clock (performance.now), never from wall time.
 */
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { performance } from 'node:perf_hooks';
import { readHealthBody } from '../domain/health-body.js';
import { getField, missingFields } from '../domain/json-fields.js';
import { diffConfig } from '../domain/parity.js';
import {
  checkName,
  type Check,
  type ContractEndpointResult,
  type HealthEndpointResult,
  type Measured,
  type PageResult,
  type ParityMeasure,
  type ProbeError,
  type SseMeasure,
} from '../domain/smoke-checks.js';
import { gapStats, median, SseByteParser } from '../domain/sse.js';
import type { ProbeContext, ProbeTarget, SmokeProbes } from '../ports/smoke-probes.js';
import { lazy } from './lazy.js';
import { errorText } from '../domain/errors.js';

type HealthCheck = Extract<Check, { kind: 'health' }>;
type SseCheck = Extract<Check, { kind: 'sse' }>;
type ContractCheck = Extract<Check, { kind: 'contract' }>;
type PagesCheck = Extract<Check, { kind: 'pages' }>;
type ParityCheck = Extract<Check, { kind: 'parity' }>;

const httpModule = lazy(() => require('node:http') as typeof import('node:http'));
const httpsModule = lazy(() => require('node:https') as typeof import('node:https'));

const USER_AGENT = 'incident-autopilot-smoke/1';
const SAMPLE_CHARS = 500;

const round1 = (n: number): number => Math.round(n * 10) / 10;

function send(url: URL, options: RequestOptions): ClientRequest {
  const mod = url.protocol === 'https:' ? httpsModule() : httpModule();
  // agent: false = a new connection, closed afterwards, for every probe.
  return mod.request(url, { ...options, agent: false });
}

/** A network error as a probe error (Node error codes are stable; messages carry host:port only). */
export function probeErrorOf(err: unknown): ProbeError {
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = `${code ? `${code}: ` : ''}${e instanceof Error ? e.message : String(err)}`.slice(0, 300);
  if (/^HPE_|^ERR_HTTP|^ERR_INVALID/.test(code)) return { code: 'protocol', message };
  return { code: 'connect', message };
}

export interface ExchangeOptions {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Deadline for the whole exchange: connection, headers and body. */
  timeoutMs: number;
  maxBytes: number;
  /** Past the bound: an error (the body is unusable) or a truncated read (search what was read). */
  overflow: 'error' | 'truncate';
}

export interface Exchange {
  status: number | null;
  contentType: string | null;
  headersMs: number | null;
  latencyMs: number | null;
  body: Buffer;
  bytesRead: number;
  truncated: boolean;
  error: ProbeError | null;
}

/** One bounded HTTP exchange. Never rejects: failures are in `error`. */
export function exchange(o: ExchangeOptions): Promise<Exchange> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const chunks: Buffer[] = [];
    let bytes = 0;
    let status: number | null = null;
    let contentType: string | null = null;
    let headersMs: number | null = null;
    let settled = false;
    let req: ClientRequest | undefined;
    let res: IncomingMessage | undefined;

    const finish = (error: ProbeError | null, truncated = false): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const latencyMs = status === null ? null : round1(performance.now() - t0);
      // Destroying the request closes the socket: nothing more is read from an oversized or hanging answer.
      res?.destroy();
      req?.destroy();
      resolve({ status, contentType, headersMs, latencyMs, body: Buffer.concat(chunks), bytesRead: bytes, truncated, error });
    };

    const timer = setTimeout(() => {
      finish({
        code: 'timeout',
        message:
          status === null
            ? `no response to ${o.method} ${o.url.pathname} within ${o.timeoutMs} ms`
            : `the body of ${o.method} ${o.url.pathname} was not complete within ${o.timeoutMs} ms (${bytes} bytes read)`,
      });
    }, o.timeoutMs);

    try {
      req = send(o.url, {
        method: o.method,
        headers: { 'user-agent': USER_AGENT, 'accept-encoding': 'identity', ...o.headers },
      });
    } catch (err) {
      finish({ code: 'internal', message: `could not send ${o.method} ${o.url.pathname}: ${errorText(err)}`.slice(0, 300) });
      return;
    }
    req.on('error', (err) => finish(probeErrorOf(err)));
    req.on('response', (response) => {
      res = response;
      headersMs = round1(performance.now() - t0);
      status = response.statusCode ?? null;
      contentType = headerText(response.headers['content-type']);
      const declared = Number(response.headers['content-length']);
      if (o.overflow === 'error' && Number.isFinite(declared) && declared > o.maxBytes) {
        finish({ code: 'too_large', message: `${o.method} ${o.url.pathname} declares ${declared} bytes, more than the bound of ${o.maxBytes}` }, true);
        return;
      }
      response.on('data', (chunk: Buffer) => {
        if (settled) return;
        const room = o.maxBytes - bytes;
        if (chunk.length > room) {
          chunks.push(chunk.subarray(0, room));
          bytes += room;
          if (o.overflow === 'error') {
            finish({ code: 'too_large', message: `the body of ${o.method} ${o.url.pathname} exceeds ${o.maxBytes} bytes; reading stopped there` }, true);
          } else {
            finish(null, true);
          }
          return;
        }
        chunks.push(chunk);
        bytes += chunk.length;
      });
      response.on('end', () => finish(null));
      response.on('error', (err) => finish(probeErrorOf(err)));
      response.on('close', () => {
        if (!response.complete) finish({ code: 'protocol', message: `the connection closed before the body of ${o.method} ${o.url.pathname} ended` });
      });
    });
    req.end(o.body);
  });
}

function headerText(v: string | string[] | undefined): string | null {
  if (v === undefined) return null;
  return (Array.isArray(v) ? v.join(', ') : v).slice(0, 200);
}

function mediaType(contentType: string | null): string | null {
  return contentType?.split(';')[0]?.trim().toLowerCase() ?? null;
}

function sample(body: Buffer): string | null {
  if (body.length === 0) return null;
  const text = body.subarray(0, SAMPLE_CHARS * 4).toString('utf8');
  return text.length > SAMPLE_CHARS ? `${text.slice(0, SAMPLE_CHARS)}…` : text;
}

function urlOf(target: ProbeTarget, path: string): URL {
  return new URL(target.baseUrl + path);
}

// ---------------------------------------------------------------------------------------------
// health

export async function probeHealth(target: ProbeTarget, check: HealthCheck): Promise<HealthEndpointResult[]> {
  const endpoints: { role: 'liveness' | 'readiness'; path: string }[] = [];
  if (check.healthPath) endpoints.push({ role: 'liveness', path: check.healthPath });
  if (check.readyPath) endpoints.push({ role: 'readiness', path: check.readyPath });
  return Promise.all(
    endpoints.map(async ({ role, path }) => {
      const x = await exchange({
        url: urlOf(target, path),
        method: 'GET',
        headers: { accept: 'application/json, text/plain;q=0.9', ...check.headers, ...target.headers },
        timeoutMs: check.timeoutMs,
        maxBytes: check.maxBytes,
        overflow: 'error',
      });
      const body = x.error ? { status: null, rawStatus: null, components: [] } : readHealthBody(x.contentType, x.body.toString('utf8'));
      const ok = x.status !== null && x.status >= 200 && x.status <= 299;
      return {
        role,
        method: 'GET',
        path,
        status: x.status,
        contentType: x.contentType,
        headersMs: x.headersMs,
        latencyMs: x.latencyMs,
        bytesRead: x.bytesRead,
        truncated: x.truncated,
        error: x.error,
        bodyStatus: body.status,
        rawStatus: body.rawStatus,
        components: body.components,
        bodySample: ok || x.error ? null : sample(x.body),
      };
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// contract

export async function probeContract(target: ProbeTarget, check: ContractCheck): Promise<ContractEndpointResult[]> {
  return Promise.all(
    check.endpoints.map(async (e) => {
      const body = e.body === undefined ? undefined : Buffer.from(JSON.stringify(e.body));
      const x = await exchange({
        url: urlOf(target, e.path),
        method: e.method,
        headers: {
          accept: e.expectContentType ?? '*/*',
          ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}),
          ...e.headers,
          ...target.headers,
        },
        body,
        timeoutMs: check.timeoutMs,
        maxBytes: check.maxBytes,
        overflow: 'error',
      });
      const statusOk = x.status !== null && e.expectStatus.includes(x.status);
      const contentTypeOk = e.expectContentType === null ? null : !x.error && mediaType(x.contentType) === mediaType(e.expectContentType);
      const wantsJson = e.requiredFields.length > 0 || /json/i.test(e.expectContentType ?? '');
      let jsonOk: boolean | null = null;
      let missing: string[] = [];
      if (!x.error && wantsJson && e.method !== 'HEAD') {
        try {
          const doc = JSON.parse(x.body.toString('utf8')) as unknown;
          jsonOk = true;
          missing = missingFields(doc, e.requiredFields);
        } catch {
          jsonOk = false;
        }
      }
      const failed = !statusOk || jsonOk === false || contentTypeOk === false || missing.length > 0;
      return {
        name: e.name ?? `${e.method} ${e.path}`,
        method: e.method,
        path: e.path,
        status: x.status,
        contentType: x.contentType,
        headersMs: x.headersMs,
        latencyMs: x.latencyMs,
        bytesRead: x.bytesRead,
        truncated: x.truncated,
        error: x.error,
        expectStatus: e.expectStatus,
        statusOk,
        contentTypeOk,
        jsonOk,
        missingFields: missing,
        bodySample: failed && !x.error ? sample(x.body) : null,
      };
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// pages

export async function probePages(target: ProbeTarget, check: PagesCheck): Promise<PageResult[]> {
  return Promise.all(
    check.pages.map(async (p) => {
      const marker = p.marker ?? check.marker;
      const x = await exchange({
        url: urlOf(target, p.path),
        method: 'GET',
        headers: { accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8', ...check.headers, ...target.headers },
        timeoutMs: check.timeoutMs,
        maxBytes: check.maxBytes,
        overflow: 'truncate',
      });
      return {
        method: 'GET',
        path: p.path,
        status: x.status,
        contentType: x.contentType,
        headersMs: x.headersMs,
        latencyMs: x.latencyMs,
        bytesRead: x.bytesRead,
        truncated: x.truncated,
        error: x.error,
        expectStatus: p.expectStatus,
        statusOk: x.status !== null && p.expectStatus.includes(x.status),
        marker,
        markerFound: !x.error && x.body.includes(Buffer.from(marker, 'utf8')),
      };
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// parity

const MAX_DRIFT = 100;

export async function probeParity(target: ProbeTarget, check: ParityCheck): Promise<ParityMeasure> {
  const x = await exchange({
    url: urlOf(target, check.path),
    method: 'GET',
    headers: { accept: 'application/json', ...check.headers, ...target.headers },
    timeoutMs: check.timeoutMs,
    maxBytes: check.maxBytes,
    overflow: 'error',
  });
  const base = {
    method: 'GET',
    path: check.path,
    status: x.status,
    contentType: x.contentType,
    headersMs: x.headersMs,
    latencyMs: x.latencyMs,
    bytesRead: x.bytesRead,
    truncated: x.truncated,
    error: x.error,
  };
  const none = { jsonOk: null, keysCompared: 0, drift: [], criticalDrift: 0, nonCriticalDrift: 0 };
  if (x.error || x.status === null || x.status < 200 || x.status > 299) return { ...base, ...none };
  let doc: unknown;
  try {
    doc = JSON.parse(x.body.toString('utf8')) as unknown;
  } catch {
    return { ...base, ...none, jsonOk: false };
  }
  const actual = check.select ? getField(doc, check.select) : doc;
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return { ...base, ...none, jsonOk: false };
  const diff = diffConfig(check.expected, actual, check);
  return {
    ...base,
    jsonOk: true,
    keysCompared: diff.keysCompared,
    drift: diff.drift.slice(0, MAX_DRIFT),
    criticalDrift: diff.criticalDrift,
    nonCriticalDrift: diff.nonCriticalDrift,
  };
}

// ---------------------------------------------------------------------------------------------
// sse

interface StreamObservation {
  status: number | null;
  contentType: string | null;
  headersMs: number | null;
  /** ms from t0. */
  firstEventMs: number | null;
  events: number;
  comments: number;
  /** Heartbeat arrival times (ms from t0), from the first event on, one per chunk. */
  beats: number[];
  endedBy: SseMeasure['endedBy'];
  endMs: number;
  bytesRead: number;
  lastEventId: string | null;
  error: ProbeError | null;
}

interface ObserveOptions {
  url: URL;
  headers: Record<string, string>;
  t0: number;
  /** Absolute (performance.now) end of the observation. */
  until: number;
  connectTimeoutMs: number;
  countComments: boolean;
  maxBytes: number;
  /** Stop at the first event (TTFB samples). */
  firstEventOnly: boolean;
  onFirstEvent?: () => void;
}

function observeStream(o: ObserveOptions): Promise<StreamObservation> {
  return new Promise((resolve) => {
    const obs: StreamObservation = {
      status: null,
      contentType: null,
      headersMs: null,
      firstEventMs: null,
      events: 0,
      comments: 0,
      beats: [],
      endedBy: 'window',
      endMs: 0,
      bytesRead: 0,
      lastEventId: null,
      error: null,
    };
    const parser = new SseByteParser();
    let settled = false;
    let req: ClientRequest | undefined;
    let res: IncomingMessage | undefined;
    const timers: NodeJS.Timeout[] = [];

    const finish = (endedBy: SseMeasure['endedBy'], error: ProbeError | null = null): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      obs.endedBy = endedBy;
      obs.error = error;
      obs.endMs = round1(performance.now() - o.t0);
      res?.destroy();
      req?.destroy();
      resolve(obs);
    };

    const remaining = Math.max(0, o.until - performance.now());
    timers.push(setTimeout(() => finish('window'), remaining));
    timers.push(
      setTimeout(
        () => {
          if (obs.status === null) finish('error', { code: 'timeout', message: `no response to GET ${o.url.pathname} within ${o.connectTimeoutMs} ms` });
        },
        Math.min(o.connectTimeoutMs, remaining),
      ),
    );

    try {
      req = send(o.url, {
        method: 'GET',
        headers: { 'user-agent': USER_AGENT, 'accept-encoding': 'identity', accept: 'text/event-stream', 'cache-control': 'no-cache', ...o.headers },
      });
    } catch (err) {
      finish('error', { code: 'internal', message: `could not open ${o.url.pathname}: ${errorText(err)}`.slice(0, 300) });
      return;
    }
    req.on('error', (err) => finish('error', probeErrorOf(err)));
    req.on('response', (response) => {
      res = response;
      obs.headersMs = round1(performance.now() - o.t0);
      obs.status = response.statusCode ?? null;
      obs.contentType = headerText(response.headers['content-type']);
      if (obs.status !== 200 || !/^text\/event-stream\b/i.test(obs.contentType ?? '')) {
        finish('rejected');
        return;
      }
      response.on('data', (chunk: Buffer) => {
        if (settled) return;
        // One timestamp per chunk, taken before parsing: every item in it arrived at that moment.
        const at = performance.now() - o.t0;
        const room = o.maxBytes - obs.bytesRead;
        const slice = chunk.length > room ? chunk.subarray(0, room) : chunk;
        obs.bytesRead += slice.length;
        let beat = false;
        for (const item of parser.push(slice)) {
          if (item.type === 'event') {
            obs.events++;
            obs.lastEventId = item.lastEventId === '' ? obs.lastEventId : item.lastEventId;
            if (obs.firstEventMs === null) {
              obs.firstEventMs = round1(at);
              o.onFirstEvent?.();
            }
            beat = true;
          } else if (item.type === 'comment') {
            obs.comments++;
            if (o.countComments && obs.firstEventMs !== null) beat = true;
          }
        }
        if (beat) obs.beats.push(at);
        if (o.firstEventOnly && obs.firstEventMs !== null) finish('window');
        else if (chunk.length > room) finish('too_large');
      });
      response.on('end', () => finish('server-closed'));
      response.on('error', (err) => finish('error', probeErrorOf(err)));
      response.on('close', () => finish(response.complete ? 'server-closed' : 'error', response.complete ? null : { code: 'protocol', message: 'the connection closed mid-stream' }));
    });
    req.end();
  });
}

export async function probeSse(target: ProbeTarget, check: SseCheck): Promise<SseMeasure> {
  const url = urlOf(target, check.path);
  const headers = { ...check.headers, ...target.headers };
  const t0 = performance.now();
  const until = t0 + check.windowMs;
  let samples: Promise<(number | null)[]> = Promise.resolve([]);

  // Extra first-event samples, one after another, while the main stream is watched.
  const takeSamples = async (): Promise<(number | null)[]> => {
    const out: (number | null)[] = [];
    for (let i = 1; i < check.ttfbSamples; i++) {
      const s0 = performance.now();
      if (s0 >= until) {
        out.push(null);
        continue;
      }
      const seen = await observeStream({
        url,
        headers,
        t0: s0,
        until,
        connectTimeoutMs: check.connectTimeoutMs,
        countComments: false,
        maxBytes: check.maxBytes,
        firstEventOnly: true,
      });
      out.push(seen.firstEventMs);
    }
    return out;
  };

  const main = await observeStream({
    url,
    headers,
    t0,
    until,
    connectTimeoutMs: check.connectTimeoutMs,
    countComments: check.countComments,
    maxBytes: check.maxBytes,
    firstEventOnly: false,
    onFirstEvent: () => {
      samples = takeSamples();
    },
  });
  const extra = await samples;

  const beats = main.beats;
  const gaps: { endedAtMs: number; gapMs: number }[] = [];
  for (let i = 1; i < beats.length; i++) gaps.push({ endedAtMs: round1(beats[i] as number), gapMs: round1((beats[i] as number) - (beats[i - 1] as number)) });
  const stats = gapStats(gaps.map((g) => g.gapMs));
  const last = beats.at(-1);
  const ttfbSamples = main.firstEventMs === null ? [] : [main.firstEventMs, ...extra];
  // A sample that saw no event before the window closed counts as the whole window (a lower bound).
  const ttfb = ttfbSamples.length ? median(ttfbSamples.map((v) => v ?? check.windowMs)) : null;

  return {
    path: check.path,
    status: main.status,
    contentType: main.contentType,
    headersMs: main.headersMs,
    ttfbMs: ttfb === null ? null : round1(ttfb),
    ttfbSamplesMs: ttfbSamples,
    events: main.events,
    comments: main.comments,
    gaps: { count: stats.count, medianMs: stats.medianMs === null ? null : round1(stats.medianMs), p95Ms: stats.p95Ms, maxMs: stats.maxMs },
    largestGaps: [...gaps].sort((a, b) => b.gapMs - a.gapMs).slice(0, 5),
    trailingSilenceMs: last === undefined ? null : round1(main.endMs - last),
    observedMs: main.endMs,
    endedBy: main.endedBy,
    bytesRead: main.bytesRead,
    lastEventId: main.lastEventId,
    error: main.error,
  };
}

// ---------------------------------------------------------------------------------------------

export function createHttpProbes(): SmokeProbes {
  return {
    async probe(target: ProbeTarget, check: Check, context: ProbeContext): Promise<Measured> {
      const started = performance.now();
      const base = { target: target.label, baseUrl: target.baseUrl, check: checkName(check), requestedAt: context.requestedAt };
      const took = (): number => round1(performance.now() - started);
      switch (check.kind) {
        case 'health': {
          const endpoints = await probeHealth(target, check);
          return { kind: 'health', ...base, durationMs: took(), endpoints };
        }
        case 'sse': {
          const sse = await probeSse(target, check);
          return { kind: 'sse', ...base, durationMs: took(), sse };
        }
        case 'contract': {
          const endpoints = await probeContract(target, check);
          return { kind: 'contract', ...base, durationMs: took(), endpoints };
        }
        case 'pages': {
          const pages = await probePages(target, check);
          return { kind: 'pages', ...base, durationMs: took(), pages };
        }
        case 'parity': {
          const parity = await probeParity(target, check);
          return { kind: 'parity', ...base, durationMs: took(), parity };
        }
      }
    },
  };
}
