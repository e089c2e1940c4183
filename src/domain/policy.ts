/**
 * The policy's value types: environments and their thresholds, services and how alerts map to
 * them, the severity mapping, timeboxes, Teams destinations, approvers and the escalation chain.
 * Domain types (the runbook, severity, routing and messages speak them); src/config/policy.ts
 * reads and checks the policy file made of them. Every object is strict, so a misspelt key is
 * refused rather than ignored.
 */
import { z } from 'zod';
import { AzureSeverity } from './alert-schema.js';
import { RollbackTarget } from './app-service-target.js';
import { Check, TargetAuth } from './smoke-checks.js';
import { parseNcrontab } from './ncrontab.js';
import { errorText } from './errors.js';

export const SeverityLevel = z.enum(['P1', 'P2', 'P3']);
export type SeverityLevel = z.infer<typeof SeverityLevel>;

const name = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'use letters, digits, "-" or "_" (max 64), starting with a letter');
const minutes = z.number().positive().max(7 * 24 * 60);
const regexText = z.string().min(1).superRefine((s, ctx) => {
  try {
    new RegExp(s, 'i');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${errorText(err)}` });
  }
});
const armId = z.string().regex(/^\/subscriptions\/[^/]+(\/.*)?$/i, 'must be an ARM resource id starting with /subscriptions/');
const https = z.url({ protocol: /^https?$/ });
const upnOrId = z.string().min(3).max(256);

/** RB-03 section 3 defaults (Prod); each environment may relax them. */
export const Thresholds = z.object({
  readyRedMinutes: minutes.default(5),
  error5xxPercent: z.number().min(0).max(100).default(1),
  error5xxMinutes: minutes.default(5),
  p95JsonMs: z.number().positive().default(600),
  p95Minutes: minutes.default(10),
  sseTtfbMs: z.number().positive().default(200),
  sseTtfbMinutes: minutes.default(10),
  heartbeatMs: z.number().positive().default(10_000),
  heartbeatGapCriticalMs: z.number().positive().default(15_000),
  flapCount: z.number().int().positive().default(3),
  flapWindowMinutes: minutes.default(10),
}).strict();
export type Thresholds = z.infer<typeof Thresholds>;

export const TeamsDestination = z.object({
  teamId: z.string().min(1).optional(),
  channelId: z.string().min(1).optional(),
  /** People (Entra object ids or UPNs) notified through the activity feed. */
  notify: z.array(upnOrId).default([]),
}).strict();
export type TeamsDestination = z.infer<typeof TeamsDestination>;

/** The subject-matter experts of RB-03 section 4, paged by the triage row the alert matched (src/domain/roles.ts). */
export const SmeKind = z.enum(['devLead', 'architect', 'dba', 'security']);
export type SmeKind = z.infer<typeof SmeKind>;

/**
 * Who is paged for which incident role (RB-03 section 4, RB-02 section 4). Each list is in order:
 * the first person is paged at the declaration; for the IC the others are the backups, paged when
 * no IC is assigned within the IC timebox. Someone named here who acknowledges without naming a
 * role takes the role the rota gives them.
 */
export const Rota = z.object({
  /** Incident Commander: the Release Manager, then the backups (RB-03: SRE on-call). */
  ic: z.array(upnOrId).max(10).default([]),
  /** Deputy / Ops Lead: the SRE on call. */
  deputy: z.array(upnOrId).max(10).default([]),
  scribe: z.array(upnOrId).max(10).default([]),
  comms: z.array(upnOrId).max(10).default([]),
  /** SMEs by kind; paged when the incident's triage row needs them (auth failures: security, latency: DBA...). */
  sme: z.object({ devLead: z.array(upnOrId).max(10).optional(), architect: z.array(upnOrId).max(10).optional(), dba: z.array(upnOrId).max(10).optional(), security: z.array(upnOrId).max(10).optional() }).strict().default({}),
  /** The severities the rota pages people for (a P3 pages nobody by default). */
  severities: z.array(SeverityLevel).default(['P1', 'P2']),
}).strict();
export type Rota = z.infer<typeof Rota>;

/**
 * The synthetic monitor of an environment (README "Signals"): a timer runs the smoke checks of
 * every service here that has endpoints, on this NCRONTAB schedule (UTC, second 0), and declares an
 * incident through the alert intake after `failuresToDeclare` red runs in a row.
 */
export const SyntheticMonitor = z
  .object({
    schedule: z
      .string()
      .default('0 */2 * * * *')
      .superRefine((text, ctx) => {
        const parsed = parseNcrontab(text);
        if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
        else if (!parsed.schedule.sets[0]![0] || parsed.schedule.sets[0]!.filter(Boolean).length !== 1) {
          ctx.addIssue({ code: 'custom', message: 'the seconds field must be 0: the monitor runs at most once a minute, at second 0' });
        }
      }),
    /** Red runs in a row before an incident is declared (RB-03: a service down, not a blip). */
    failuresToDeclare: z.number().int().min(1).max(20).default(2),
    /** Severity of a declared incident; default: the environment's triggerSeverity (a service down is an RB-03 trigger). */
    severity: SeverityLevel.optional(),
  })
  .strict();
export type SyntheticMonitor = z.infer<typeof SyntheticMonitor>;

const azureRegion = z.string().regex(/^[a-z][a-z0-9]{2,30}$/, 'must be an Azure region name such as "westeurope" (lowercase, no spaces)');

/**
 * How the runbook reads Azure Monitor in this environment (README "Signals"): where the metrics
 * live, how long a metric must stay under its threshold to count as recovered, what to do at a
 * deadline and at the end of the monitoring window, and the synthetic monitor.
 */
export const EnvironmentSignals = z
  .object({
    /** Region of the metrics data plane (https://<region>.metrics.monitor.azure.com) for services here; a service may name its own. */
    region: azureRegion.optional(),
    /** How far back the readers look (metrics series, logs). */
    lookbackMinutes: minutes.max(24 * 60).default(30),
    /** A fired metric must stay under its threshold this long to count as recovered (RB-03 section 3: 5 min). */
    holdMinutes: minutes.max(24 * 60).default(5),
    /** Before an automatic rollback at a deadline, look again: recovered meanwhile -> no blind rollback (recorded with the figures). */
    lookAgainBeforeDeadline: z.boolean().default(true),
    /** An alert still active when the monitoring window ends: extend the window, or keep the incident open for a person. */
    alertAtWindowEnd: z.enum(['extend', 'keep-open']).default('extend'),
    extendMinutes: minutes.default(15),
    /** Extensions before the incident is kept open and escalated instead. */
    maxExtensions: z.number().int().min(0).max(10).default(2),
    /** Timeout of each reader call (metrics, logs, alerts). */
    timeoutMs: z.number().int().min(1000).max(60_000).default(10_000),
    synthetic: SyntheticMonitor.optional(),
  })
  .strict();
export type EnvironmentSignals = z.infer<typeof EnvironmentSignals>;

const Comparison = z.enum(['GreaterThan', 'GreaterThanOrEqual', 'LessThan', 'LessThanOrEqual']);

/** A metric the runbook watches besides the one an alert fired on. */
export const MetricWatch = z
  .object({
    /** How messages name it ("5xx rate"). */
    name: z.string().min(1).max(64),
    namespace: z.string().min(1).max(128).default('Microsoft.Web/sites'),
    metric: z.string().min(1).max(128),
    /** Divide by this metric of the same resource and multiply by 100: a percentage (Http5xx per Requests). */
    per: z.string().min(1).max(128).optional(),
    aggregation: z.enum(['Total', 'Average', 'Maximum', 'Minimum', 'Count']).default('Total'),
    /** The breach: value `operator` threshold (e.g. GreaterThan 1). */
    operator: Comparison.default('GreaterThan'),
    threshold: z.number(),
    unit: z.string().min(1).max(16).default('count'),
  })
  .strict();
export type MetricWatch = z.infer<typeof MetricWatch>;

const kql = z.string().min(1).max(8000);

/** Where a service's signals are read (README "Signals"); every field has a default for App Service + Application Insights. */
export const ServiceSignals = z
  .object({
    /** The service's Azure resources (ARM ids) whose metrics are read; default: the API rollback target's site. */
    resourceIds: z.array(armId).max(20).default([]),
    region: azureRegion.optional(),
    /** Metrics watched besides the alert's own; default: the 5xx rate (Http5xx per Requests) against the environment's error5xxPercent. */
    metrics: z.array(MetricWatch).max(10).optional(),
    /** Application Insights (its component's ARM id) or a Log Analytics workspace (its GUID), for the triage queries. */
    logs: z
      .object({
        appInsights: armId.optional(),
        workspaceId: z.uuid({ error: 'must be a Log Analytics workspace id (a GUID)' }).optional(),
        /** The workspace's ARM id, for portal links (with workspaceId). */
        workspaceResourceId: armId.optional(),
        /** Override the triage queries (KQL); each must answer the columns the README names. */
        queries: z.object({ topErrorCodes: kql.optional(), failingRequests: kql.optional(), p95ByRoute: kql.optional() }).strict().default({}),
      })
      .strict()
      .refine((l) => Boolean(l.appInsights) !== Boolean(l.workspaceId), 'give exactly one of appInsights (a component id) or workspaceId')
      .optional(),
    /** Where active alerts are listed (resource groups or resources); default: match.targetResourceIds and resourceIds. */
    alertScopes: z.array(armId).max(20).optional(),
  })
  .strict();
export type ServiceSignals = z.infer<typeof ServiceSignals>;

export const EnvironmentActions = z
  .object({
    restart: z.boolean().default(false),
    /** Scale the App Service plan out to this many instances (the bound: never more). */
    scaleOut: z.object({ instances: z.number().int().min(2).max(100) }).strict().optional(),
    trafficRule: z.boolean().default(false),
  })
  .strict();
export type EnvironmentActions = z.infer<typeof EnvironmentActions>;

/** An App Service access restriction the runbook may propose for the 429 and abuse rows (a person decides). */
export const TrafficRulePolicy = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,31}$/, 'must be a short rule name (letters, digits, space . _ -)'),
    action: z.enum(['Deny', 'Allow']).default('Deny'),
    /** CIDR ("203.0.113.0/24") or, with tag ServiceTag, a service tag. */
    ipAddress: z.string().min(1).max(200),
    tag: z.enum(['Default', 'ServiceTag', 'XffProxy']).default('Default'),
    priority: z.number().int().min(1).max(2147483647).default(100),
    description: z.string().max(500).nullable().default(null),
  })
  .strict();

/** A channel named by the policy (a Teams team GUID and channel id; checked where it is used, like `teams`). */
export const ChannelTarget = z.object({
  teamId: z.string().min(1),
  channelId: z.string().min(1),
}).strict();
export type ChannelTarget = z.infer<typeof ChannelTarget>;

/**
 * Who hears about an incident besides its thread (README "Communications"): RB-02 section 4's
 * release channel, the stakeholders' summary on its own cadence, and the status page. Each is
 * optional; the status page's address and signing secret are settings (STATUS_PAGE_*), not policy.
 */
export const Communications = z.object({
  /** RB-02: the release channel; the rollback start and success messages are posted here as well as in the incident thread. */
  releaseChannel: ChannelTarget.optional(),
  /** A plain-language summary for stakeholders on its own cadence per severity (none for a severity without one), and a final one at resolution. */
  stakeholders: z.object({
    teamId: z.string().min(1),
    channelId: z.string().min(1),
    everyMinutes: z.object({ P1: minutes.optional(), P2: minutes.optional(), P3: minutes.optional() }).strict(),
  }).strict().optional(),
  /** The public status page: `component` is the name the status page service knows the service by. */
  statusPage: z.object({
    component: z.string().trim().min(1).max(100),
    /** The severities the status page is told about (one it was told about is followed to its resolution whatever the severity becomes). */
    severities: z.array(SeverityLevel).min(1).default(['P1', 'P2']),
  }).strict().optional(),
}).strict();
export type Communications = z.infer<typeof Communications>;

export const Environment = z.object({
  /** The severity RB-03's P1 triggers get here (Prod: P1; lower environments usually P2). */
  triggerSeverity: SeverityLevel.default('P1'),
  thresholds: Thresholds.default(Thresholds.parse({})),
  teams: TeamsDestination.optional(),
  approvers: z.array(upnOrId).optional(),
  /** Who is paged for IC, Deputy, Scribe, Comms and the SMEs. */
  rota: Rota.optional(),
  /**
   * RB-02's Decision Owner (Director of Software Engineering): the only person who may override a
   * P1 default here (choose a containment other than the proposal or a rollback, or downgrade a
   * P1). Without one, the approver list governs as for every decision.
   */
  decisionOwner: upnOrId.optional(),
  /** The release channel, the stakeholders' summary and the status page (none by default). */
  communications: Communications.optional(),
  signals: EnvironmentSignals.prefault({}),
  /**
   * The containment actions beyond flag/config revert and LKG that the runbook may carry out here
   * (README "Containment actions"): restart the API's App Service, scale its plan out to
   * `scaleOut.instances`, apply the service's `trafficRule`. Each is off unless named.
   */
  actions: EnvironmentActions.prefault({}),
}).strict();
export type Environment = z.infer<typeof Environment>;

export const Timebox = z.object({
  /** Acknowledgement expected within (else escalate). */
  ackMinutes: minutes,
  /** An Incident Commander assigned within (RB-03: 15 min; else the IC backups and the chain are paged). Default 15. */
  icMinutes: minutes.optional(),
  /** Containment decision expected within (RB-03: 10 min). */
  decisionMinutes: minutes,
  /** What happens when nobody decides in time. */
  noDecision: z.enum(['rollback', 'escalate']),
  /** Containment must re-stabilise within, else roll back (RB-03: 15 min). */
  containmentMinutes: minutes,
  /** Rollback target (RB-02: 30 min). */
  recoveryMinutes: minutes,
  /** Monitoring window after recovery (RB-03: 30-60 min). */
  monitoringMinutes: minutes,
  /** Status update cadence in Teams. */
  updateEveryMinutes: minutes,
}).strict();
export type Timebox = z.infer<typeof Timebox>;

/** RB-03 section 3: the triggers that make an incident P1 (in Prod; each environment's triggerSeverity). */
export const P1_TRIGGER_KINDS = [
  'ready-red',
  'availability-down',
  'error-rate',
  'latency-p95',
  'sse-ttfb',
  'heartbeat-gap',
  'cors-denied',
  'security-exposure',
  'parity-critical',
] as const;
/** RB-03's P2 examples. */
export const P2_TRIGGER_KINDS = ['feature-errors', 'single-node-flap', 'rate-limit', 'auth-failures'] as const;

export const TriggerKind = z.enum([...P1_TRIGGER_KINDS, ...P2_TRIGGER_KINDS]);
export type TriggerKind = z.infer<typeof TriggerKind>;

/** The units a trigger's measured value can come in; triggers not listed are not measured. */
const UNITS_OF: Partial<Record<TriggerKind, { what: string; units: string[] }>> = {
  'error-rate': { what: 'a share of requests', units: ['percent', 'ratio'] },
  'latency-p95': { what: 'a time', units: ['ms', 's'] },
  'sse-ttfb': { what: 'a time', units: ['ms', 's'] },
  'heartbeat-gap': { what: 'a time', units: ['ms', 's'] },
};

export const TriggerRule = z
  .object({
    trigger: TriggerKind,
    /** Any of these identifies the trigger; all given ones must match. */
    match: z
      .object({
        rulePattern: regexText.optional(),
        metricPattern: regexText.optional(),
        monitoringService: z.string().optional(),
        property: z.object({ name: z.string().min(1), value: z.string() }).strict().optional(),
      })
      .strict()
      .refine((m) => Object.values(m).some((v) => v !== undefined), 'give at least one of rulePattern, metricPattern, monitoringService, property'),
    /**
     * Unit of the alert's measured value, for comparison with the thresholds. Without one, the
     * value is taken in the trigger's own unit: percent for error-rate, ms for the times.
     * "ratio" is a fraction (0.027 = 2.7 %).
     */
    unit: z.enum(['ms', 's', 'percent', 'ratio', 'count']).optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    const fits = UNITS_OF[rule.trigger];
    if (rule.unit && fits && !fits.units.includes(rule.unit)) {
      ctx.addIssue({ code: 'custom', path: ['unit'], message: `${rule.trigger} measures ${fits.what} (${fits.units.map((u) => `"${u}"`).join(' or ')}), not "${rule.unit}"` });
    }
  });
export type TriggerRule = z.infer<typeof TriggerRule>;

export const Endpoints = z.object({
  /** Production base URL of the API (https://...). */
  baseUrl: https,
  /**
   * Base URL of the staging slot. Never probed (after a rollback swap it holds the bad build on
   * purpose); kept so a policy can say where staging is. Builds are read per rollback target.
   */
  stagingBaseUrl: https.optional(),
  webBaseUrl: https.optional(),
  /**
   * Further production instances of the API with their own URL (a second region, a per-instance
   * host name behind Front Door): each gets the same checks as `baseUrl`, in the same fan-out, and
   * a failure on any one is a failure of the service.
   */
  instances: z
    .array(z.object({ name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, 'must be a short name (letters, digits, . _ -)'), baseUrl: https }).strict())
    .max(20)
    .default([])
    .refine((list) => new Set(list.map((i) => i.name.toLowerCase())).size === list.length, 'instance names must be unique'),
  health: z.string().startsWith('/').default('/healthz'),
  ready: z.string().startsWith('/').default('/ready'),
  sse: z.string().startsWith('/').optional(),
  /**
   * Further smoke checks (contract, pages, parity; see the README's smoke-check section). They run
   * against `baseUrl`, except `pages` checks, which run against `webBaseUrl` when it is set.
   */
  checks: z.array(Check).max(100).default([]),
  /** Credentials for the probes, read from an app setting named SMOKE_* (never the value itself). */
  auth: TargetAuth.optional(),
}).strict();

export const ServiceEntry = z
  .object({
    service: name,
    environment: name,
    description: z.string().max(500).optional(),
    /** What users lose when it breaks (RB-03 "Impact: api/web/jobs"). */
    impact: z.array(z.enum(['api', 'web', 'jobs', 'sse', 'db'])).default(['api']),
    /** How alerts find this service; the first entry that matches wins (properties, then targets, then rules). */
    match: z
      .object({
        targetResourceIds: z.array(armId).default([]),
        rulePatterns: z.array(regexText).default([]),
        /** Custom properties on the alert rule or action group, e.g. { "service": "admin-api", "environment": "Prod" }. */
        properties: z.record(z.string(), z.string()).default({}),
      })
      .strict()
      .default({ targetResourceIds: [], rulePatterns: [], properties: {} }),
    /**
     * How to put this service back on its last known good release: the API by slot swap, the web
     * by slot swap or a republish hook (see the App Service section of the README).
     */
    rollback: z.object({ api: RollbackTarget.optional(), web: RollbackTarget.optional() }).strict().optional(),
    endpoints: Endpoints.optional(),
    sql: z
      .object({
        /** App setting holding the target database's connection string (never the string itself). */
        connectionSetting: z.string().regex(/^SQL_CONNECTION_[A-Za-z0-9_]+$/, 'must be an app setting named SQL_CONNECTION_<NAME>'),
        /** @Scope passed to the stored procedures (defaults to the environment name). */
        scope: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    /** Feature flags and config keys the automation may change for this service. */
    flags: z.array(z.string().min(1)).default([]),
    configKeys: z.array(z.string().min(1)).default([]),
    /**
     * RB-02 section 9, after containment: while the config parity check finds critical drift,
     * reapply the intended values (its `expected`) of the drifting keys that are in `flags` or
     * `configKeys` through the stored procedures, and run the checks again; at most `attempts`
     * times, within `timeboxMinutes` of the first reapply. Absent: parity drift is only reported.
     */
    /** The access restriction proposed for the 429 and abuse rows, where the environment allows it (`actions.trafficRule`). */
    trafficRule: TrafficRulePolicy.optional(),
    parityReapply: z
      .object({ attempts: z.number().int().min(1).max(10).default(3), timeboxMinutes: minutes.max(240).default(15) })
      .strict()
      .optional(),
    teams: TeamsDestination.optional(),
    approvers: z.array(upnOrId).optional(),
    /** Azure Monitor signals: metrics, logs and alerts the runbook reads (README "Signals"). */
    signals: ServiceSignals.optional(),
  })
  .strict();
export type ServiceEntry = z.infer<typeof ServiceEntry>;

export const EscalationStep = z.object({
  afterMinutes: minutes,
  notify: z.array(upnOrId).min(1),
  severities: z.array(SeverityLevel).default(['P1', 'P2']),
}).strict();

export const Policy = z
  .object({
    version: z.literal(1),
    bot: z.object({ actor: z.string().min(1).max(128).default('incident-bot') }).strict().default({ actor: 'incident-bot' }),
    environments: z.record(name, Environment).refine((e) => Object.keys(e).length > 0, 'declare at least one environment'),
    severity: z
      .object({
        azure: z.record(AzureSeverity, SeverityLevel).default({ Sev0: 'P1', Sev1: 'P1', Sev2: 'P2', Sev3: 'P3', Sev4: 'P3' }),
        /** For alerts without an Azure severity or whose context could not be read ("when unsure, higher"). */
        whenUnsure: SeverityLevel.default('P2'),
      })
      .strict()
      .default({ azure: { Sev0: 'P1', Sev1: 'P1', Sev2: 'P2', Sev3: 'P3', Sev4: 'P3' }, whenUnsure: 'P2' }),
    triggers: z.array(TriggerRule).default([]),
    timeboxes: z.object({ P1: Timebox, P2: Timebox, P3: Timebox }).strict(),
    teams: TeamsDestination.default({ notify: [] }),
    approvers: z.array(upnOrId).default([]),
    escalation: z.array(EscalationStep).default([]),
    postmortem: z.object({ dueBusinessDays: z.number().int().min(1).max(30).default(3) }).strict().default({ dueBusinessDays: 3 }),
    services: z.array(ServiceEntry),
  })
  .strict()
  .superRefine((policy, ctx) => {
    const seen = new Map<string, number>();
    policy.services.forEach((s, i) => {
      if (!Object.hasOwn(policy.environments, s.environment)) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', i, 'environment'],
          message: `unknown environment "${s.environment}"; declared: ${Object.keys(policy.environments).join(', ')}`,
        });
      }
      const key = `${s.service}@${s.environment}`.toLowerCase();
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['services', i], message: `${s.service} in ${s.environment} is declared twice (also services[${first}])` });
      } else seen.set(key, i);
      if (!s.match.targetResourceIds.length && !s.match.rulePatterns.length && !Object.keys(s.match.properties).length) {
        ctx.addIssue({ code: 'custom', path: ['services', i, 'match'], message: 'no way for an alert to match: give targetResourceIds, rulePatterns or properties' });
      }
    });
  });
export type Policy = z.infer<typeof Policy>;
