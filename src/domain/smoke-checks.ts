/**
 * Smoke checks as data: what to probe (the check configuration, which the per-environment policy
 * file embeds), the thresholds that judge the measurements (per environment), and what a probe
 * reports back (results, archived as evidence).
 *
 * Split of responsibilities: a probe measures and records facts that depend only on the check's
 * own expectations (status matched, fields missing, marker found, which config keys drifted and
 * how critical each key is); environment thresholds (SSE budgets, slow responses) are applied by
 * the pure judge in smoke-verdict.ts, so the same measurements can be judged for Prod or Beta.
 */
import { z } from 'zod';
import { DEFAULT_REDACT, KeyPattern } from './parity.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** A path on the target, appended to its base URL ("/healthz", "/api/flags?top=5"). */
export const ProbePath = z
  .string()
  .max(2048)
  .regex(/^\/[^\s#]*$/, 'must start with "/" and contain no spaces or fragment');

const TimeoutMs = z.number().int().min(1).max(300_000);
const MaxBytes = z
  .number()
  .int()
  .min(1)
  .max(64 * MiB);

/** Static, non-secret request headers (secrets come from app settings, see TargetAuth). */
const StaticHeaders = z
  .record(
    z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'must be an HTTP header name'),
    z
      .string()
      .max(4096)
      .regex(/^[^\r\n]*$/, 'must be one line'),
  )
  .refine((h) => !Object.keys(h).some((k) => /^(authorization|cookie|proxy-authorization)$/i.test(k)), {
    message: 'credentials do not belong in the policy file: use the target auth (an app setting) instead',
  })
  .default({});

const CheckName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^\r\n]*$/);

export const HealthCheck = z.object({
  kind: z.literal('health'),
  /** Shown in reasons and evidence; defaults to the kind. */
  name: CheckName.optional(),
  /** Liveness endpoint; null skips it. */
  healthPath: ProbePath.nullable().default('/healthz'),
  /** Readiness endpoint (dependencies); null skips it. */
  readyPath: ProbePath.nullable().default('/ready'),
  headers: StaticHeaders,
  timeoutMs: TimeoutMs.default(5_000),
  maxBytes: MaxBytes.default(64 * KiB),
}).strict();

export const SseCheck = z.object({
    kind: z.literal('sse'),
    name: CheckName.optional(),
    path: ProbePath.default('/sse'),
    headers: StaticHeaders,
    /**
     * How long the stream is watched, from the request. It must exceed the critical gap
     * threshold (15 s) for such a gap to be observable; the default leaves room for it.
     */
    windowMs: z.number().int().min(50).max(300_000).default(20_000),
    /** Connection and response headers must arrive within this (and within the window). */
    connectTimeoutMs: TimeoutMs.default(5_000),
    /**
     * First-event times measured on this many connections (the first is the observed stream,
     * the others are opened one after another while it is watched); the verdict uses their median.
     */
    ttfbSamples: z.number().int().min(1).max(10).default(3),
    /** Comment lines (": ping") count as heartbeats: many servers send keep-alives that way. */
    countComments: z.boolean().default(true),
    /** Bound on the bytes read from the observed stream; the observation stops there. */
    maxBytes: MaxBytes.default(1 * MiB),
  }).strict();

const HttpMethod = z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const StatusList = z
  .union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1).max(20)])
  .transform((s) => (Array.isArray(s) ? s : [s]));

export const ContractEndpoint = z.object({
  name: CheckName.optional(),
  method: HttpMethod.default('GET'),
  path: ProbePath,
  headers: StaticHeaders,
  /** A JSON body, sent as application/json. Smoke checks should be read-only: prefer GET. */
  body: z.json().optional(),
  expectStatus: StatusList.default([200]),
  /** Media type the response must have (parameters such as charset are ignored); null: any. */
  expectContentType: z
    .string()
    .max(200)
    .nullable()
    .default('application/json'),
  /**
   * Fields the JSON body must have: dotted paths, array items by index ("items.0.id" or
   * "items[0].id"). A field that is present with the value null counts as present.
   */
  requiredFields: z.array(z.string().min(1).max(300)).max(100).default([]),
}).strict();
export type ContractEndpoint = z.output<typeof ContractEndpoint>;

export const ContractCheck = z.object({
  kind: z.literal('contract'),
  name: CheckName.optional(),
  endpoints: z.array(ContractEndpoint).min(1).max(50),
  timeoutMs: TimeoutMs.default(10_000),
  maxBytes: MaxBytes.default(1 * MiB),
}).strict();

export const DEFAULT_PAGE_ROUTES = ['/config', '/flags', '/jobs', '/evidence', '/dashboard'] as const;

export const PagesCheck = z.object({
  kind: z.literal('pages'),
  name: CheckName.optional(),
  /** Text every page must contain (e.g. the SPA root element), unless a page names its own. */
  marker: z.string().min(1).max(1000),
  pages: z
    .array(z.object({ path: ProbePath, marker: z.string().min(1).max(1000).optional(), expectStatus: StatusList.default([200]) }).strict())
    .min(1)
    .max(50)
    .default(DEFAULT_PAGE_ROUTES.map((path) => ({ path, expectStatus: [200] }))),
  headers: StaticHeaders,
  timeoutMs: TimeoutMs.default(10_000),
  /** The marker must appear within this many bytes; reading stops at the bound (or at the marker). */
  maxBytes: MaxBytes.default(2 * MiB),
}).strict();

export const ParityCheck = z.object({
  kind: z.literal('parity'),
  name: CheckName.optional(),
  path: ProbePath.default('/config/effective'),
  /** Dotted path of the part of the response to compare (e.g. "values"); the whole body by default. */
  select: z.string().min(1).max(300).optional(),
  /** The expected effective configuration (nested objects or flat "Section:Key" names). */
  expected: z.record(z.string(), z.json()),
  /** Keys whose drift is critical: names or globs ("Network:*", "Cors:**", "Features:EnableLegacy*"). */
  critical: z.array(KeyPattern).max(500).default([]),
  /** Keys not compared at all (build stamps, timestamps). */
  ignore: z.array(KeyPattern).max(500).default([]),
  /** Severity of drift on keys not listed in `critical`. */
  unlisted: z.enum(['critical', 'non-critical']).default('non-critical'),
  /** Keys whose values never appear in results: case-insensitive substrings of the key. */
  redact: z.array(z.string().min(1).max(100)).max(100).default([...DEFAULT_REDACT]),
  /** Compare scalars by their text ("10" equals 10, "True" equals true), as configuration providers do. */
  looseScalars: z.boolean().default(true),
  headers: StaticHeaders,
  timeoutMs: TimeoutMs.default(10_000),
  maxBytes: MaxBytes.default(1 * MiB),
}).strict();

/** One smoke check. The policy file embeds these (input form: defaults filled in on parse). */
export const Check = z.discriminatedUnion('kind', [HealthCheck, SseCheck, ContractCheck, PagesCheck, ParityCheck]);
export type Check = z.output<typeof Check>;
export type CheckInput = z.input<typeof Check>;
export type CheckKind = Check['kind'];

/**
 * Credentials for probing a target, never in the policy itself: the value is read from an app
 * setting at run time (a Key Vault reference in Azure). Only settings named SMOKE_* can be used,
 * so a policy cannot send the storage connection string or another secret to a probed host.
 */
export const TargetAuth = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  z.object({
    kind: z.literal('setting'),
    setting: z.string().regex(/^SMOKE_[A-Z0-9_]{1,64}$/, 'must be an app setting named SMOKE_*'),
    header: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,100}$/)
      .default('authorization'),
    /** Prefix for the value ("Bearer" gives "Bearer <value>"); null sends the value as is. */
    scheme: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,30}$/)
      .nullable()
      .default('Bearer'),
  }).strict(),
]);
export type TargetAuth = z.output<typeof TargetAuth>;

const BaseUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .refine((u) => !/[?#]/.test(u), { message: 'must not contain a query or fragment' })
  .refine((u) => !/^[a-z]+:\/\/[^/]*@/i.test(u), { message: 'must not contain credentials' })
  .transform((u) => u.replace(/\/+$/, ''));

/** A place the checks run against: one instance or slot of a service. */
export const SmokeTarget = z.object({
  /** "api/production", "api/staging", "web/production". */
  label: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[^\r\n]*$/),
  baseUrl: BaseUrl,
  auth: TargetAuth.default({ kind: 'none' }),
  checks: z.array(Check).max(100),
});
export type SmokeTarget = z.output<typeof SmokeTarget>;
export type SmokeTargetInput = z.input<typeof SmokeTarget>;

/**
 * Environment thresholds (RB-03 section 3 and 8, RB-02 section 3). Defaults are Prod's. A breach
 * of `sse.ttfbMs` is critical in Prod and RTM and a warning in Alpha and Beta (see
 * smokeThresholdsFor); a gap above `sse.criticalGapMs` is critical everywhere ("on any instance").
 */
export const SmokeThresholds = z
  .object({
    sse: z
      .object({
        /** Median first-event time budget (ms). */
        ttfbMs: z.number().positive().max(600_000).default(200),
        /** Heartbeat budget: a longer gap is a warning. */
        heartbeatMs: z.number().positive().max(3_600_000).default(10_000),
        /** A longer gap is critical. */
        criticalGapMs: z.number().positive().max(3_600_000).default(15_000),
        ttfbBreach: z.enum(['critical', 'warning']).default('critical'),
      })
      .prefault({}),
    http: z
      .object({
        /** A contract endpoint or page answering slower than this is a warning (p95 JSON budget). */
        slowMs: z.number().positive().max(600_000).default(600),
      })
      .prefault({}),
  })
  .refine((t) => t.sse.heartbeatMs <= t.sse.criticalGapMs, { message: 'sse.heartbeatMs must not exceed sse.criticalGapMs', path: ['sse'] });
export type SmokeThresholds = z.output<typeof SmokeThresholds>;
export type SmokeThresholdsInput = z.input<typeof SmokeThresholds>;

export const Environment = z.enum(['Alpha', 'Beta', 'RTM', 'Prod']);
export type Environment = z.infer<typeof Environment>;

/** RB-03 thresholds per environment: Prod (and RTM, which gates Prod) strictest. */
export function smokeThresholdsFor(env: Environment): SmokeThresholds {
  const strict = env === 'Prod' || env === 'RTM';
  return SmokeThresholds.parse({ sse: { ttfbBreach: strict ? 'critical' : 'warning' } });
}

// ---------------------------------------------------------------------------------------------
// Results

export const ProbeErrorCode = z.enum([
  /** Nothing (or not everything) arrived within the timeout. */
  'timeout',
  /** Connection refused / reset, DNS failure, TLS failure. */
  'connect',
  /** The body was larger than the check's bound; reading stopped there. */
  'too_large',
  /** The response could not be read as required (not HTTP, broken chunking). */
  'protocol',
  /** The probe refused to run: host not allowed, auth setting missing. */
  'refused',
  /** A bug on our side while probing. */
  'internal',
]);
export type ProbeErrorCode = z.infer<typeof ProbeErrorCode>;

export const ProbeError = z.object({ code: ProbeErrorCode, message: z.string().max(500) });
export type ProbeError = z.infer<typeof ProbeError>;

export const Finding = z.object({
  severity: z.enum(['critical', 'warning']),
  /** Stable code for dashboards and tests ("sse.ttfb", "contract.missing_fields"). */
  code: z.string(),
  message: z.string(),
});
export type Finding = z.infer<typeof Finding>;

/** What one HTTP exchange measured. */
export const HttpMeasure = z.object({
  method: z.string(),
  path: z.string(),
  /** null when no response arrived. */
  status: z.number().int().nullable(),
  contentType: z.string().nullable(),
  /** From the request to the response headers (ms, monotonic clock). */
  headersMs: z.number().nullable(),
  /** From the request to the end of the body as read (ms). */
  latencyMs: z.number().nullable(),
  bytesRead: z.number().int().min(0),
  /** Reading stopped at the check's bound before the body ended. */
  truncated: z.boolean(),
  error: ProbeError.nullable(),
});
export type HttpMeasure = z.infer<typeof HttpMeasure>;

export const HealthState = z.enum(['green', 'degraded', 'red', 'unknown']);
export type HealthState = z.infer<typeof HealthState>;

export const HealthEndpointResult = HttpMeasure.extend({
  role: z.enum(['liveness', 'readiness']),
  /** The body's overall status, normalised; null when the body states none. */
  bodyStatus: HealthState.nullable(),
  rawStatus: z.string().nullable(),
  components: z.array(z.object({ name: z.string(), status: HealthState, raw: z.string().nullable() })).max(50),
  /** Start of a failing response's body (error envelopes), for evidence. */
  bodySample: z.string().nullable(),
});
export type HealthEndpointResult = z.infer<typeof HealthEndpointResult>;

export const SseMeasure = z.object({
  path: z.string(),
  status: z.number().int().nullable(),
  contentType: z.string().nullable(),
  headersMs: z.number().nullable(),
  /** Median of the first-event times of all samples (ms from the request); null when none came. */
  ttfbMs: z.number().nullable(),
  ttfbSamplesMs: z.array(z.number().nullable()).max(10),
  /** Events dispatched on the observed stream (comments excluded). */
  events: z.number().int(),
  comments: z.number().int(),
  /** Gaps between consecutive heartbeats (events, and comments when they count) after the first event. */
  gaps: z.object({ count: z.number().int(), medianMs: z.number().nullable(), p95Ms: z.number().nullable(), maxMs: z.number().nullable() }),
  /** The longest gaps, longest first: where they ended (ms from the request) and how long they were. */
  largestGaps: z.array(z.object({ endedAtMs: z.number(), gapMs: z.number() })).max(5),
  /** Silence from the last heartbeat (or the first event) to the end of the observation. */
  trailingSilenceMs: z.number().nullable(),
  observedMs: z.number(),
  /**
   * window: watched to the end; server-closed: the server ended the stream early; too_large: the
   * byte bound was reached; rejected: the answer was not an event stream; error: the connection
   * failed (see error).
   */
  endedBy: z.enum(['window', 'server-closed', 'too_large', 'rejected', 'error']),
  bytesRead: z.number().int(),
  lastEventId: z.string().nullable(),
  error: ProbeError.nullable(),
});
export type SseMeasure = z.infer<typeof SseMeasure>;

export const ContractEndpointResult = HttpMeasure.extend({
  name: z.string(),
  expectStatus: z.array(z.number().int()),
  statusOk: z.boolean(),
  /** null when no content type was expected. */
  contentTypeOk: z.boolean().nullable(),
  /** null when the body was not parsed (no JSON expected and no fields required). */
  jsonOk: z.boolean().nullable(),
  missingFields: z.array(z.string()),
  bodySample: z.string().nullable(),
});
export type ContractEndpointResult = z.infer<typeof ContractEndpointResult>;

export const PageResult = HttpMeasure.extend({
  expectStatus: z.array(z.number().int()),
  statusOk: z.boolean(),
  marker: z.string(),
  markerFound: z.boolean(),
});
export type PageResult = z.infer<typeof PageResult>;

export const DriftEntry = z.object({
  key: z.string(),
  change: z.enum(['changed', 'missing', 'unexpected']),
  severity: z.enum(['critical', 'non-critical']),
  /** Values are shown as compact JSON text (cut at 200 chars), or "(redacted)". */
  expected: z.string().nullable(),
  actual: z.string().nullable(),
});
export type DriftEntry = z.infer<typeof DriftEntry>;

export const ParityMeasure = HttpMeasure.extend({
  jsonOk: z.boolean().nullable(),
  keysCompared: z.number().int(),
  /** Drift entries, critical first, at most 100 (counts cover all). */
  drift: z.array(DriftEntry).max(100),
  criticalDrift: z.number().int(),
  nonCriticalDrift: z.number().int(),
});
export type ParityMeasure = z.infer<typeof ParityMeasure>;

const ResultBase = {
  /** The target's label ("api/production"). */
  target: z.string(),
  baseUrl: z.string(),
  /** The check's name (its kind unless named). */
  check: z.string(),
  /** When the orchestrator asked for the check (orchestration time, ISO). */
  requestedAt: z.string(),
  /** How long the probe took (monotonic clock). */
  durationMs: z.number(),
  /** pass: nothing found; warn: warnings only; fail: a critical finding; error: could not measure. */
  outcome: z.enum(['pass', 'warn', 'fail', 'error']),
  findings: z.array(Finding),
};

export const HealthResult = z.object({ kind: z.literal('health'), ...ResultBase, endpoints: z.array(HealthEndpointResult).max(2) });
export const SseResult = z.object({ kind: z.literal('sse'), ...ResultBase, sse: SseMeasure });
export const ContractResult = z.object({ kind: z.literal('contract'), ...ResultBase, endpoints: z.array(ContractEndpointResult).max(50) });
export const PagesResult = z.object({ kind: z.literal('pages'), ...ResultBase, pages: z.array(PageResult).max(50) });
export const ParityResult = z.object({ kind: z.literal('parity'), ...ResultBase, parity: ParityMeasure });

export const CheckResult = z.discriminatedUnion('kind', [HealthResult, SseResult, ContractResult, PagesResult, ParityResult]);
export type CheckResult = z.infer<typeof CheckResult>;
export type HealthResult = z.infer<typeof HealthResult>;
export type SseResult = z.infer<typeof SseResult>;
export type ContractResult = z.infer<typeof ContractResult>;
export type PagesResult = z.infer<typeof PagesResult>;
export type ParityResult = z.infer<typeof ParityResult>;

/** The measurement part of a result (what a probe returns before it is judged). */
export type Measured<R extends CheckResult = CheckResult> = R extends CheckResult ? Omit<R, 'outcome' | 'findings'> : never;

export function checkName(check: Check): string {
  return check.name ?? check.kind;
}

/**
 * The result of a check that was not run (refused before any request, or a probe bug): every
 * request it would have made carries the error, so the judge reports it like an unreachable
 * endpoint, and the outcome is `error`.
 */
export function notMeasured(
  check: Check,
  base: { target: string; baseUrl: string; requestedAt: string },
  error: ProbeError,
): Measured {
  const common = { ...base, check: checkName(check), durationMs: 0 };
  const req = (method: string, path: string): HttpMeasure => ({
    method,
    path,
    status: null,
    contentType: null,
    headersMs: null,
    latencyMs: null,
    bytesRead: 0,
    truncated: false,
    error,
  });
  switch (check.kind) {
    case 'health': {
      const endpoints: HealthEndpointResult[] = [];
      const rest = { bodyStatus: null, rawStatus: null, components: [], bodySample: null };
      if (check.healthPath) endpoints.push({ ...req('GET', check.healthPath), role: 'liveness', ...rest });
      if (check.readyPath) endpoints.push({ ...req('GET', check.readyPath), role: 'readiness', ...rest });
      return { kind: 'health', ...common, endpoints };
    }
    case 'sse':
      return {
        kind: 'sse',
        ...common,
        sse: {
          path: check.path,
          status: null,
          contentType: null,
          headersMs: null,
          ttfbMs: null,
          ttfbSamplesMs: [],
          events: 0,
          comments: 0,
          gaps: { count: 0, medianMs: null, p95Ms: null, maxMs: null },
          largestGaps: [],
          trailingSilenceMs: null,
          observedMs: 0,
          endedBy: 'error',
          bytesRead: 0,
          lastEventId: null,
          error,
        },
      };
    case 'contract':
      return {
        kind: 'contract',
        ...common,
        endpoints: check.endpoints.map((e) => ({
          ...req(e.method, e.path),
          name: e.name ?? `${e.method} ${e.path}`,
          expectStatus: e.expectStatus,
          statusOk: false,
          contentTypeOk: e.expectContentType === null ? null : false,
          jsonOk: null,
          missingFields: [],
          bodySample: null,
        })),
      };
    case 'pages':
      return {
        kind: 'pages',
        ...common,
        pages: check.pages.map((p) => ({ ...req('GET', p.path), expectStatus: p.expectStatus, statusOk: false, marker: p.marker ?? check.marker, markerFound: false })),
      };
    case 'parity':
      return {
        kind: 'parity',
        ...common,
        parity: { ...req('GET', check.path), jsonOk: null, keysCompared: 0, drift: [], criticalDrift: 0, nonCriticalDrift: 0 },
      };
  }
}
