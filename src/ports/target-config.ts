/**
 * A target's runtime configuration: feature flags and config values in its SQL database, read and
 * changed only through its stored procedures. Every change is audited by the procedures (who,
 * what, when, before -> after) under the caller's request id, which is how a change is found again
 * after an interrupted call. Schema and procedures: infra/sql/.
 */

export interface FlagValue {
  flagKey: string;
  scope: string;
  isEnabled: boolean;
  /** The role the flag targets; null = everyone. */
  targetRole: string | null;
  description: string | null;
  updatedAt: string | null;
  updatedBy: string | null;
}

export interface ConfigEntry {
  configKey: string;
  scope: string;
  value: string | null;
  valueType: string;
  tags: string | null;
  description: string | null;
  updatedAt: string | null;
  updatedBy: string | null;
}

/** One AuditEvent row: one field of one flag or config key, before -> after. */
export interface AuditEntry {
  auditId: string;
  at: string;
  actor: string;
  requestId: string;
  /** "FeatureFlag" or "ConfigValue" with the reference schema. */
  entityType: string;
  entityKey: string;
  scope: string;
  /** "IsEnabled", "TargetRole", "Value", "ValueType", "Tags". */
  field: string;
  /** "Create", "Update" or "NoChange". */
  action: string;
  before: string | null;
  after: string | null;
  description: string | null;
}

export interface SetFlagCommand {
  flagKey: string;
  isEnabled: boolean;
  scope: string;
  targetRole: string | null;
  description: string;
  actor: string;
  requestId: string;
}

export interface SetConfigValueCommand {
  configKey: string;
  value: string | null;
  valueType: string;
  scope: string;
  description: string;
  tags: string | null;
  actor: string;
  requestId: string;
}

export type TargetConfigErrorKind =
  /** Worth retrying later: failover, throttling, deadlock, network, connect timeout. */
  | 'transient'
  /** A write may or may not have happened (request timeout, connection lost mid-request): read back before acting again. */
  | 'ambiguous'
  /** The identity may not execute the procedure (SQL error 229 and friends). */
  | 'permission'
  /** The identity cannot log in (18456, no Entra token). */
  | 'login'
  /** The procedure refused the call (THROW 50000+), or it or a parameter does not exist on the target. */
  | 'rejected'
  /** The connection setting is missing or invalid, or encryption could not be negotiated. */
  | 'config';

export class TargetConfigError extends Error {
  override name = 'TargetConfigError';
  constructor(
    readonly kind: TargetConfigErrorKind,
    message: string,
    readonly sqlNumber?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface TargetConfigStore {
  /** The app setting that names the target (for messages; never the connection string). */
  readonly name: string;
  /** Flags of a scope, or the one flag asked for (empty when unknown). */
  listFlags(query: { scope: string; flagKey?: string }): Promise<FlagValue[]>;
  listConfig(query: { scope: string; configKey?: string }): Promise<ConfigEntry[]>;
  /** Audit rows newer than `sinceUtc`, newest first, at most `maxRows`. */
  recentAudit(query: { sinceUtc: Date; scope?: string; maxRows: number }): Promise<AuditEntry[]>;
  auditByRequestId(requestId: string): Promise<AuditEntry[]>;
  /**
   * Calls the flag procedure and returns the audit rows written under the command's request id.
   * Throws TargetConfigError; kind 'ambiguous' when the call may have happened.
   */
  setFlag(command: SetFlagCommand): Promise<AuditEntry[]>;
  setConfigValue(command: SetConfigValueCommand): Promise<AuditEntry[]>;
  /** `SELECT 1`: the target answers and lets us in. */
  ping(): Promise<{ latencyMs: number }>;
}
