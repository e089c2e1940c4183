/**
 * Handlers of the SQL activities (contracts in ./sql.contracts.ts), built from ports.
 *
 * A write step: read the current value (unknown flag/key: refused; already as wanted: skipped;
 * plan mode: report before -> after and stop), then call the procedure once per incident step
 * with RequestId = incident id + step, and report the audit trail's before -> after. An attempt
 * whose answer was lost is reconciled by reading the audit rows of its request id and the current
 * value, never by calling again blindly. Refusals are not recorded in the step ledger: nothing was
 * done, so the same step may be tried again once a person fixed the cause (a missing grant).
 */
import { createHash } from 'node:crypto';
import type { SqlSettings } from '../config/sql.js';
import type { ActionOutcome, Change } from '../domain/actions.js';
import { Refusal } from '../domain/refusal.js';
import type { StepLedger } from '../ports/ledger.js';
import { TargetConfigError, type AuditEntry, type ConfigEntry, type FlagValue, type TargetConfigStore } from '../ports/target-config.js';
import { once } from './once.js';
import {
  ReadCurrentValuesInput,
  ReadRecentChangesInput,
  SetConfigValueInput,
  SetFlagInput,
  type ReadCurrentValuesOutput,
  type ReadRecentChangesOutput,
} from './sql.contracts.js';

export interface SqlActivityPorts {
  ledger(): StepLedger;
  /** The store of a target; throws TargetConfigError('config') when its setting is missing or invalid. */
  store(connectionSetting: string): TargetConfigStore;
  /** Throws TargetConfigError('config') when the settings are invalid. */
  settings(): SqlSettings;
  now(): Date;
}

/** Thrown for failures worth a Durable retry; the message says what and where, never a secret. */
export class TransientSqlError extends Error {
  override name = 'TransientSqlError';
}

const MAX_REQUEST_ID = 200;
const MAX_LIST = 500;
const MAX_SHOWN_VALUE = 2000;

/** RequestId = incident id + step; a hash keeps it within the column when both are long. */
export function requestIdFor(incidentId: string, step: string): string {
  const id = `${incidentId}/${step}`;
  if (id.length <= MAX_REQUEST_ID) return id;
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 32);
  return `${id.slice(0, MAX_REQUEST_ID - hash.length - 1)}#${hash}`;
}

function shown(value: string | null): string | null {
  if (value === null || value.length <= MAX_SHOWN_VALUE) return value;
  return `${value.slice(0, MAX_SHOWN_VALUE)}…[${value.length - MAX_SHOWN_VALUE} more characters]`;
}

function quoted(value: string | null): string {
  if (value === null) return 'NULL';
  return value.length > 80 ? `"${value.slice(0, 77)}..."` : `"${value}"`;
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

function refusedFor(err: TargetConfigError, subject: string, store: string | undefined): ActionOutcome {
  const hint: Record<string, string> = {
    permission: ' Grant the app identity the incident_autopilot_executor role (infra/sql/).',
    login: ' Check that the app identity is a user of the database (infra/sql/) and the connection setting.',
    config: '',
    rejected: '',
  };
  return {
    kind: 'refused',
    summary: `Not changed: ${subject}${store ? ` on ${store}` : ''}: ${err.kind === 'permission' ? 'permission denied' : err.kind === 'login' ? 'cannot log in' : err.kind === 'config' ? 'not configured' : 'rejected by the database'}.`,
    reason: `${err.message}${hint[err.kind] ?? ''}`,
  };
}

/** Turns expected failures into outcomes and transient ones into a retryable error. */
async function guarded<T>(subject: string, refuse: (err: TargetConfigError | Refusal) => T, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof Refusal) return refuse(err);
    if (err instanceof TargetConfigError) {
      if (err.kind === 'transient' || err.kind === 'ambiguous') {
        throw new TransientSqlError(`${subject}: ${err.message}`, { cause: err });
      }
      return refuse(err);
    }
    throw err;
  }
}

function flagState(enabled: boolean): string {
  return enabled ? 'enabled' : 'disabled';
}

export function createSqlActivities(ports: SqlActivityPorts) {
  function auditChanges(audit: AuditEntry[]): Change[] {
    return audit
      .filter((a) => a.action !== 'NoChange')
      .map((a) => {
        const isBit = a.entityType === 'FeatureFlag' && a.field === 'IsEnabled';
        const bit = (v: string | null): boolean | null => (v === null ? null : v === '1' || v.toLowerCase() === 'true');
        const target = `${a.entityType === 'FeatureFlag' ? 'flag' : 'config'}:${a.entityKey}@${a.scope}`;
        return { target, field: a.field, before: isBit ? bit(a.before) : shown(a.before), after: isBit ? bit(a.after) : shown(a.after) };
      });
  }

  /** done from the audit trail; when the procedure wrote no audit row, from the values read before. */
  function doneOutcome(audit: AuditEntry[], readBefore: Change[] | undefined, requestId: string, what: string, storeName: string): ActionOutcome {
    if (audit.length && audit.every((a) => a.action === 'NoChange')) {
      return { kind: 'skipped', summary: `${what}: already so when the procedure ran on ${storeName}.`, reason: `The audit row for request ${requestId} records no change.` };
    }
    const changes = audit.length ? auditChanges(audit) : (readBefore ?? []);
    const source = audit.length ? `audit request ${requestId}` : `no audit row for request ${requestId}: before -> after from the values read before the change`;
    return { kind: 'done', summary: `${what} on ${storeName} (${source}).`, changes, executionId: requestId };
  }

  /**
   * One change of a flag or config key, the same way for both: read the current row (a missing
   * one is refused: the bot creates nothing), nothing to do when it already is as wanted, a plan
   * says what would change; executed once per incident + step. What an earlier attempt did, or a
   * write whose answer was lost (ambiguous), is reconciled from the audit rows of its request id,
   * else from the value read now, before anything is written again.
   */
  async function changeOnce<T>(
    input: { incidentId: string; step: string; mode?: 'execute' | 'plan' | undefined; actor?: string | undefined },
    c: {
      store: TargetConfigStore;
      requestId: string;
      read: () => Promise<T | undefined>;
      diff: (current: T) => Change[];
      unknown: () => Refusal;
      alreadySo: (current: T, note?: string) => ActionOutcome;
      /** Throws a Refusal when the change must not go ahead. */
      check?: (current: T) => void;
      planned: (current: T) => string;
      /** The done summary when the change is found in the audit by request id (reconciled). */
      reconciledWhat: string;
      what: (current: T) => string;
      write: (current: T, actor: string) => Promise<AuditEntry[]>;
    },
  ): Promise<ActionOutcome> {
    if (input.mode === 'plan') {
      const current = await c.read();
      if (!current) throw c.unknown();
      const changes = c.diff(current);
      if (!changes.length) return c.alreadySo(current);
      c.check?.(current);
      return { kind: 'planned', summary: c.planned(current), changes };
    }
    const actor = input.actor ?? ports.settings().actor;
    const reconcile = async (): Promise<ActionOutcome | undefined> => {
      const audit = await c.store.auditByRequestId(c.requestId);
      if (audit.length) return doneOutcome(audit, undefined, c.requestId, c.reconciledWhat, c.store.name);
      const current = await c.read();
      if (current && c.diff(current).length === 0) return c.alreadySo(current, ` (no audit row for request ${c.requestId})`);
      return undefined;
    };
    const { outcome } = await once({
      ledger: ports.ledger(),
      key: { incidentId: input.incidentId, step: input.step },
      now: ports.now().toISOString(),
      reconcile,
      act: async () => {
        const current = await c.read();
        if (!current) throw c.unknown();
        const changes = c.diff(current);
        if (!changes.length) return c.alreadySo(current);
        c.check?.(current);
        try {
          return doneOutcome(await c.write(current, actor), changes, c.requestId, c.what(current), c.store.name);
        } catch (err) {
          if (err instanceof TargetConfigError && err.kind === 'ambiguous') {
            const found = await reconcile();
            if (found) return found;
          }
          throw err;
        }
      },
    });
    return outcome;
  }

  async function setFlag(raw: unknown): Promise<ActionOutcome> {
    const input = SetFlagInput.parse(raw);
    const subject = `flag ${input.flagKey} in ${input.scope}`;
    let storeName: string | undefined;
    const refuse = (err: TargetConfigError | Refusal): ActionOutcome =>
      err instanceof TargetConfigError ? refusedFor(err, subject, storeName) : { kind: 'refused', summary: `Not changed: ${subject}.`, reason: err.message };
    return guarded(subject, refuse, async () => {
      const store = ports.store(input.connectionSetting);
      storeName = store.name;
      const requestId = requestIdFor(input.incidentId, input.step);
      const verb = input.isEnabled ? 'Enable' : 'Disable';
      const read = async (): Promise<FlagValue | undefined> => {
        const rows = await store.listFlags({ scope: input.scope, flagKey: input.flagKey });
        return rows.find((r) => same(r.flagKey, input.flagKey) && same(r.scope, input.scope));
      };
      const wantedRole = (current: FlagValue): string | null => (input.targetRole === undefined ? current.targetRole : input.targetRole);
      const diff = (current: FlagValue): Change[] => {
        const target = `flag:${current.flagKey}@${current.scope}`;
        const changes: Change[] = [];
        if (current.isEnabled !== input.isEnabled) changes.push({ target, field: 'IsEnabled', before: current.isEnabled, after: input.isEnabled });
        if (current.targetRole !== wantedRole(current)) changes.push({ target, field: 'TargetRole', before: current.targetRole, after: wantedRole(current) });
        return changes;
      };
      const unknown = (): Refusal => new Refusal(`Flag ${input.flagKey} does not exist in scope ${input.scope} on ${store.name}; the bot does not create flags.`);
      const alreadySo = (current: FlagValue, note = ''): ActionOutcome => ({
        kind: 'skipped',
        summary: `Flag ${current.flagKey} in ${current.scope} is already ${flagState(current.isEnabled)}${current.targetRole ? ` for ${current.targetRole}` : ''}; nothing to do.`,
        reason: `Already in the wanted state${note}.`,
      });

      return changeOnce(input, {
        store,
        requestId,
        read,
        diff,
        unknown,
        alreadySo,
        planned: (current) => `Plan: ${verb.toLowerCase()} flag ${current.flagKey} in ${current.scope} on ${store.name} (now ${flagState(current.isEnabled)}); nothing was changed.`,
        reconciledWhat: `${verb}d flag ${input.flagKey} in ${input.scope}`,
        what: (current) => `${verb}d flag ${current.flagKey} in ${current.scope} (was ${flagState(current.isEnabled)})`,
        write: (current, actor) =>
          store.setFlag({
            flagKey: current.flagKey,
            isEnabled: input.isEnabled,
            scope: current.scope,
            targetRole: wantedRole(current),
            description: input.description,
            actor,
            requestId,
          }),
      });
    });
  }

  async function setConfigValue(raw: unknown): Promise<ActionOutcome> {
    const input = SetConfigValueInput.parse(raw);
    const subject = `config ${input.configKey} in ${input.scope}`;
    let storeName: string | undefined;
    const refuse = (err: TargetConfigError | Refusal): ActionOutcome =>
      err instanceof TargetConfigError ? refusedFor(err, subject, storeName) : { kind: 'refused', summary: `Not changed: ${subject}.`, reason: err.message };
    return guarded(subject, refuse, async () => {
      const store = ports.store(input.connectionSetting);
      storeName = store.name;
      const requestId = requestIdFor(input.incidentId, input.step);
      const read = async (): Promise<ConfigEntry | undefined> => {
        const rows = await store.listConfig({ scope: input.scope, configKey: input.configKey });
        return rows.find((r) => same(r.configKey, input.configKey) && same(r.scope, input.scope));
      };
      const wanted = (c: ConfigEntry) => ({
        value: input.value,
        valueType: input.valueType ?? c.valueType,
        tags: input.tags === undefined ? c.tags : input.tags,
      });
      const diff = (c: ConfigEntry): Change[] => {
        const w = wanted(c);
        const target = `config:${c.configKey}@${c.scope}`;
        const changes: Change[] = [];
        if (c.value !== w.value) changes.push({ target, field: 'Value', before: shown(c.value), after: shown(w.value) });
        if (c.valueType !== w.valueType) changes.push({ target, field: 'ValueType', before: c.valueType, after: w.valueType });
        if (c.tags !== w.tags) changes.push({ target, field: 'Tags', before: c.tags, after: w.tags });
        return changes;
      };
      const unknown = (): Refusal => new Refusal(`Config key ${input.configKey} does not exist in scope ${input.scope} on ${store.name}; the bot does not create keys.`);
      const alreadySo = (c: ConfigEntry, note = ''): ActionOutcome => ({
        kind: 'skipped',
        summary: `Config ${c.configKey} in ${c.scope} is already ${quoted(c.value)}; nothing to do.`,
        reason: `Already in the wanted state${note}.`,
      });
      /** The value moved since the revert was proposed: reverting now could undo someone's fix. */
      const checkExpected = (c: ConfigEntry): void => {
        if (input.expectedCurrent !== undefined && c.value !== input.expectedCurrent) {
          throw new Refusal(
            `Config ${c.configKey} in ${c.scope} changed since it was inspected: expected ${quoted(input.expectedCurrent)}, found ${quoted(c.value)} (last set by ${c.updatedBy ?? 'unknown'} at ${c.updatedAt ?? 'unknown'}). Decide again with the current value.`,
          );
        }
      };

      return changeOnce(input, {
        store,
        requestId,
        read,
        diff,
        unknown,
        alreadySo,
        check: checkExpected,
        planned: (current) => `Plan: set config ${current.configKey} in ${current.scope} on ${store.name} from ${quoted(current.value)} to ${quoted(input.value)}; nothing was changed.`,
        reconciledWhat: `Set config ${input.configKey} in ${input.scope} to ${quoted(input.value)}`,
        what: (current) => `Set config ${current.configKey} in ${current.scope} from ${quoted(current.value)} to ${quoted(input.value)}`,
        write: (current, actor) => {
          const w = wanted(current);
          return store.setConfigValue({
            configKey: current.configKey,
            value: w.value,
            valueType: w.valueType,
            scope: current.scope,
            description: input.description,
            tags: w.tags,
            actor,
            requestId,
          });
        },
      });
    });
  }

  async function readRecentChanges(raw: unknown): Promise<ReadRecentChangesOutput> {
    const input = ReadRecentChangesInput.parse(raw);
    const subject = 'recent flag/config changes';
    const refuse = (err: TargetConfigError | Refusal): ReadRecentChangesOutput => ({
      kind: 'refused',
      summary: `Could not read ${subject}.`,
      reason: err.message,
    });
    return guarded(subject, refuse, async () => {
      const store = ports.store(input.connectionSetting);
      const since = new Date(Date.parse(input.asOf) - input.hours * 3_600_000);
      const rows = await store.recentAudit({ sinceUtc: since, scope: input.scope, maxRows: input.maxRows + 1 });
      const truncated = rows.length > input.maxRows;
      const events = rows.slice(0, input.maxRows).map((a) => ({ ...a, before: shown(a.before), after: shown(a.after) }));
      const keys = new Set(events.map((e) => `${e.entityType}:${e.entityKey}@${e.scope}`));
      return {
        kind: 'ok',
        since: since.toISOString(),
        events,
        truncated,
        summary: `${events.length}${truncated ? '+' : ''} audited change(s) to ${keys.size} flag/config key(s) on ${store.name}${input.scope ? ` in ${input.scope}` : ''} in the last ${input.hours} h.`,
      };
    });
  }

  async function readCurrentValues(raw: unknown): Promise<ReadCurrentValuesOutput> {
    const input = ReadCurrentValuesInput.parse(raw);
    const refuse = (err: TargetConfigError | Refusal): ReadCurrentValuesOutput => ({
      kind: 'refused',
      summary: `Could not read the current flags/config of ${input.scope}.`,
      reason: err.message,
    });
    return guarded('current flags/config', refuse, async () => {
      const store = ports.store(input.connectionSetting);
      const pick = <T>(all: T[], keys: string[] | undefined, keyOf: (t: T) => string): { found: T[]; missing: string[] } => {
        if (!keys) return { found: all, missing: [] };
        const found = all.filter((t) => keys.some((k) => same(k, keyOf(t))));
        return { found, missing: keys.filter((k) => !all.some((t) => same(k, keyOf(t)))) };
      };
      // A single key is read by key; several (or all) with one call for the scope.
      const flagsAll =
        input.flagKeys?.length === 0
          ? []
          : input.flagKeys?.length === 1
            ? await store.listFlags({ scope: input.scope, flagKey: input.flagKeys[0] })
            : await store.listFlags({ scope: input.scope });
      const configAll =
        input.configKeys?.length === 0
          ? []
          : input.configKeys?.length === 1
            ? await store.listConfig({ scope: input.scope, configKey: input.configKeys[0] })
            : await store.listConfig({ scope: input.scope });
      const flags = pick(flagsAll, input.flagKeys, (f) => f.flagKey);
      const config = pick(configAll, input.configKeys, (c) => c.configKey);
      const truncated = flags.found.length > MAX_LIST || config.found.length > MAX_LIST;
      return {
        kind: 'ok',
        scope: input.scope,
        flags: flags.found.slice(0, MAX_LIST),
        config: config.found.slice(0, MAX_LIST).map((c) => ({ ...c, value: shown(c.value) })),
        missing: { flags: flags.missing, config: config.missing },
        truncated,
      };
    });
  }

  return { setFlag, setConfigValue, readRecentChanges, readCurrentValues };
}

export type SqlActivities = ReturnType<typeof createSqlActivities>;
