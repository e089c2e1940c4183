/**
 * SQL containment actions and reads (RB-02 section 7, RB-03 section 12), as activity contracts the
 * incident orchestration calls. The target database is named by an app setting
 * (SQL_CONNECTION_<NAME>, from the policy), never by a connection string in the input.
 *
 * Writes (`sqlSetFlag`, `sqlSetConfigValue`) run at most once per incident step (RequestId =
 * incident id + step, recorded in the step ledger) and return an ActionOutcome:
 *   planned  mode 'plan': what would change, nothing written
 *   done     changed now or by an earlier attempt of the same step; changes = the audit trail's before -> after
 *   skipped  already in the wanted state
 *   refused  unknown flag/key, permission denied, login failed, not configured, the value changed
 *            since it was inspected, or the procedure rejected the call (reason says which)
 * They throw only for transient trouble (Durable retries them; the retry reconciles first).
 */
import { z } from 'zod';
import { SQL_CONNECTION_SETTING } from '../config/sql.js';
import { ActionMode, ActionOutcome } from '../domain/actions.js';
import { defineActivity, type RetryPolicy } from './define.js';

export const ConnectionSetting = z.string().regex(SQL_CONNECTION_SETTING, 'must name an app setting SQL_CONNECTION_<NAME>');

const Step = {
  incidentId: z.string().min(1).max(128),
  /** Unique within the incident, e.g. "contain/flag/EnableLegacyHttpSse@Prod". */
  step: z.string().min(1).max(200),
  mode: ActionMode.default('execute'),
  connectionSetting: ConnectionSetting,
  /** Written as @Actor (the bot's name in the policy, `bot.actor`); default: the SQL_ACTOR setting. */
  actor: z.string().trim().min(1).max(128).optional(),
};

const Scope = z.string().min(1).max(50);
const Key = z.string().min(1).max(200);

export const SetFlagInput = z.object({
  ...Step,
  flagKey: Key,
  scope: Scope,
  isEnabled: z.boolean(),
  /** Omitted: the flag keeps its current target role. null: everyone. */
  targetRole: z.string().min(1).max(100).nullable().optional(),
  /** Why (written to the audit trail), e.g. "Emergency disable after regression". */
  description: z.string().min(1).max(400),
});
export type SetFlagInput = z.input<typeof SetFlagInput>;

export const SetConfigValueInput = z.object({
  ...Step,
  configKey: Key,
  scope: Scope,
  /** The value to set, typically the previous one from the audit trail's `before`. */
  value: z.string().max(4000).nullable(),
  /** Omitted: keep the key's current value type / tags. */
  valueType: z.string().min(1).max(50).optional(),
  tags: z.string().max(400).nullable().optional(),
  description: z.string().min(1).max(400),
  /**
   * Guard for reverts: act only if the current value is still this one (the value that was
   * inspected when the revert was proposed). Otherwise refused: someone changed it meanwhile.
   */
  expectedCurrent: z.string().max(4000).nullable().optional(),
});
export type SetConfigValueInput = z.input<typeof SetConfigValueInput>;

const Refused = z.object({ kind: z.literal('refused'), summary: z.string(), reason: z.string() });

export const AuditEntry = z.object({
  auditId: z.string(),
  at: z.string(),
  actor: z.string(),
  requestId: z.string(),
  entityType: z.string(),
  entityKey: z.string(),
  scope: z.string(),
  field: z.string(),
  action: z.string(),
  before: z.string().nullable(),
  after: z.string().nullable(),
  description: z.string().nullable(),
});

export const ReadRecentChangesInput = z.object({
  connectionSetting: ConnectionSetting,
  /** The orchestration's current time (context.df.currentUtcDateTime), so replays ask the same window. */
  asOf: z.iso.datetime({ offset: true }),
  hours: z.number().positive().max(168).default(12),
  /** Omitted: every scope. */
  scope: Scope.optional(),
  /** Newest rows first; long before/after values are cut at 1000 characters (activity results stay small). */
  maxRows: z.number().int().min(1).max(200).default(50),
  /** The incident asking (telemetry: the activity's span carries it); the read does not depend on it. */
  incidentId: Step.incidentId.optional(),
});
export type ReadRecentChangesInput = z.input<typeof ReadRecentChangesInput>;

export const ReadRecentChangesOutput = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('ok'),
    since: z.string(),
    /** Newest first. */
    events: z.array(AuditEntry),
    /** More rows matched than `maxRows`. */
    truncated: z.boolean(),
    summary: z.string(),
  }),
  Refused,
]);
export type ReadRecentChangesOutput = z.infer<typeof ReadRecentChangesOutput>;

export const FlagValue = z.object({
  flagKey: z.string(),
  scope: z.string(),
  isEnabled: z.boolean(),
  targetRole: z.string().nullable(),
  description: z.string().nullable(),
  updatedAt: z.string().nullable(),
  updatedBy: z.string().nullable(),
});

export const ConfigEntry = z.object({
  configKey: z.string(),
  scope: z.string(),
  value: z.string().nullable(),
  valueType: z.string(),
  tags: z.string().nullable(),
  description: z.string().nullable(),
  updatedAt: z.string().nullable(),
  updatedBy: z.string().nullable(),
});

export const ReadCurrentValuesInput = z.object({
  connectionSetting: ConnectionSetting,
  scope: Scope,
  /** Omitted: every flag of the scope (at most 500). */
  flagKeys: z.array(Key).max(100).optional(),
  /** Omitted: every config key of the scope (at most 500). */
  configKeys: z.array(Key).max(100).optional(),
});
export type ReadCurrentValuesInput = z.input<typeof ReadCurrentValuesInput>;

export const ReadCurrentValuesOutput = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('ok'),
    scope: z.string(),
    flags: z.array(FlagValue),
    config: z.array(ConfigEntry),
    /** Keys asked for that the target does not have. */
    missing: z.object({ flags: z.array(z.string()), config: z.array(z.string()) }),
    truncated: z.boolean(),
  }),
  Refused,
]);
export type ReadCurrentValuesOutput = z.infer<typeof ReadCurrentValuesOutput>;

/**
 * Retries of transient failures. The first retry waits long enough for an orphaned request (one
 * whose answer was lost) to finish or roll back before the step reconciles and maybe acts again.
 */
const SQL_RETRY: RetryPolicy = { firstRetryMs: 5_000, maxAttempts: 4, backoff: 2, maxRetryMs: 30_000 };

export const sqlSetFlag = defineActivity({ name: 'sqlSetFlag', input: SetFlagInput, output: ActionOutcome, retry: SQL_RETRY });
export const sqlSetConfigValue = defineActivity({ name: 'sqlSetConfigValue', input: SetConfigValueInput, output: ActionOutcome, retry: SQL_RETRY });
export const sqlReadRecentChanges = defineActivity({
  name: 'sqlReadRecentChanges',
  input: ReadRecentChangesInput,
  output: ReadRecentChangesOutput,
  retry: SQL_RETRY,
});
export const sqlReadCurrentValues = defineActivity({
  name: 'sqlReadCurrentValues',
  input: ReadCurrentValuesInput,
  output: ReadCurrentValuesOutput,
  retry: SQL_RETRY,
});
