/**
 * The target database through mssql/tedious: stored procedures only, typed parameters, a small
 * pool per target, bounded retries of transient errors, and no second send of a write whose first
 * attempt may have landed.
 *
 * Writes follow one rule: the adapter never sends a write again before it has read back (audit
 * rows under the request id) that the earlier attempt did not land. A server-reported transient
 * error (failover 40613, deadlock victim 1205, throttling) means the procedure's transaction did
 * not commit, so after that read the write is retried here. A request timeout or a connection lost
 * mid-request is ambiguous: the adapter reads back once and either returns the rows it finds or
 * throws kind 'ambiguous', and the caller decides when to act again (after Durable's retry delay,
 * so an orphaned request has finished or rolled back by then).
 */
import type { config as MssqlConfig, ConnectionPool, IResult, Request as MssqlRequest } from 'mssql';
import type { SqlTarget } from '../config/sql.js';
import {
  TargetConfigError,
  type AuditEntry,
  type ConfigEntry,
  type FlagValue,
  type SetConfigValueCommand,
  type SetFlagCommand,
  type TargetConfigErrorKind,
  type TargetConfigStore,
} from '../ports/target-config.js';
import { lazy } from './lazy.js';
import { sqlEntraCredential, TOKEN_UNAVAILABLE } from './sql-entra.js';
import { telemetry } from './telemetry.js';
import { errorText } from '../domain/errors.js';

const mssql = lazy(() => require('mssql') as typeof import('mssql'));
const tedious = lazy(() => require('tedious') as typeof import('tedious'));

/** SqlClient's transient error numbers (reference/azure-facts.md section 7). */
export const TRANSIENT_SQL_ERRORS: ReadonlySet<number> = new Set([
  1204, 1205, 1222, 49918, 49919, 49920, 4060, 4221, 40143, 40613, 40501, 40540, 40197, 10929, 10928, 10060, 10054, 10053, 997, 233,
]);
/** Permission denied: EXECUTE (229), column (230), database (262), action (297), VIEW STATE (300), database access (916). */
const PERMISSION_ERRORS: ReadonlySet<number> = new Set([229, 230, 262, 297, 300, 916]);
/** The target lacks the procedure or its signature differs: 2812 no such procedure, 201 missing parameter, 8144/8145 unknown parameter. */
const SCHEMA_ERRORS: ReadonlySet<number> = new Set([2812, 201, 8144, 8145]);
const LOGIN_FAILED = 18456;
/** Connection failures before a request was sent: safe to retry. */
const CONNECT_CODES = new Set(['ETIMEOUT', 'ESOCKET', 'ECONNCLOSED', 'ECONNRESET', 'ECONNREFUSED', 'ENOTOPEN', 'EINSTLOOKUP', 'EINVALIDSTATE']);
/** A request that was sent and then lost its answer. */
const LOST_ANSWER_CODES = new Set(['ETIMEOUT', 'ESOCKET', 'ECONNCLOSED', 'ECONNRESET', 'EPIPE', 'ECANCEL']);

/** Rows a list procedure may return before the adapter stops trusting the answer's size. */
const MAX_LIST_ROWS = 5000;

export interface SqlStoreOptions {
  /** Attempts per call for transient errors (1 = no retry). */
  maxAttempts: number;
  /** First backoff delay; doubles per attempt, with jitter, capped at 5 s. */
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Where driver-level warnings go (a dropped connection, a pool error). */
  warn?: (message: string) => void;
  /**
   * The platform's managed identity endpoint setting that is set (App Service sets IDENTITY_ENDPOINT,
   * older hosts MSI_ENDPOINT), or undefined: no managed identity is enabled. The composition root
   * reads it; Entra failures use it to tell a setup problem (not retried) from a transient one.
   */
  identityEndpoint?: 'IDENTITY_ENDPOINT' | 'MSI_ENDPOINT';
}

interface Classified {
  kind: TargetConfigErrorKind;
  number: number | undefined;
  message: string;
}

interface ErrorLike {
  name?: string;
  code?: string;
  number?: number;
  message?: string;
  originalError?: ErrorLike;
  errors?: ErrorLike[];
}

/**
 * What an mssql/tedious error means for us. `phase` tells whether the request had been sent:
 * a lost answer to a sent write is ambiguous; for a read it is just transient.
 */
export function classifySqlError(err: unknown, write: boolean, loginNumber?: number): Classified {
  const e = (err ?? {}) as ErrorLike;
  // mssql wraps tedious' error (originalError); tedious wraps an Entra token failure in an
  // AggregateError of [its ConnectionError, the credential's error].
  const chain: ErrorLike[] = [e];
  for (let i = 0; i < chain.length && chain.length < 6; i++) {
    const c = chain[i];
    if (c?.originalError) chain.push(c.originalError);
    if (Array.isArray(c?.errors)) chain.push(...c.errors.slice(0, 2));
  }
  const number = chain.map((c) => c.number).find((n): n is number => typeof n === 'number' && n > 0);
  const code = chain.map((c) => c.code).find((c): c is string => typeof c === 'string' && c !== '');
  const isConnection = chain.some((c) => c.name === 'ConnectionError');
  const messages = chain.map((c) => (c.message ?? '').split('\n')[0]?.trim() ?? '').filter((m, i, all) => m !== '' && all.indexOf(m) === i);
  const message = (messages.join(': ') || String(err)).slice(0, 400);
  const kindOf = (n: number): TargetConfigErrorKind =>
    TRANSIENT_SQL_ERRORS.has(n) ? 'transient' : PERMISSION_ERRORS.has(n) ? 'permission' : n === LOGIN_FAILED ? 'login' : 'rejected';
  if (number !== undefined) return { kind: kindOf(number), number, message };
  if (isConnection) {
    if (code === 'ELOGIN') return { kind: loginNumber !== undefined && TRANSIENT_SQL_ERRORS.has(loginNumber) ? 'transient' : 'login', number: loginNumber, message };
    // The identity endpoint down or too slow is an outage (retried); a refusal is a setup problem.
    if (code === 'EFEDAUTH') return { kind: chain.some((c) => c.name === TOKEN_UNAVAILABLE) ? 'transient' : 'login', number: undefined, message };
    if (code === 'EENCRYPT' || code === 'EINVALIDCONFIG') return { kind: 'config', number: undefined, message };
    if (code && CONNECT_CODES.has(code)) return { kind: 'transient', number: undefined, message };
  }
  // tarn's acquire timeout: every pooled connection was busy or could not be created in time.
  if (e.name === 'TimeoutError') return { kind: 'transient', number: undefined, message };
  if (e.name === 'RequestError' && code && LOST_ANSWER_CODES.has(code)) return { kind: write ? 'ambiguous' : 'transient', number: undefined, message };
  if (code === 'EINVALIDSTATE') return { kind: 'transient', number: undefined, message };
  // Anything else: a write might have happened; a read can simply be tried again later.
  return { kind: write ? 'ambiguous' : 'transient', number: undefined, message };
}

type Param = [name: string, type: (m: typeof import('mssql')) => import('mssql').ISqlType, value: unknown];

function text(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v);
}

const iso = text;

function toAudit(r: Record<string, unknown>): AuditEntry {
  return {
    auditId: String(r.AuditId),
    at: iso(r.CreatedAt) ?? '',
    actor: text(r.Actor) ?? '',
    requestId: text(r.RequestId) ?? '',
    entityType: text(r.EntityType) ?? '',
    entityKey: text(r.EntityKey) ?? '',
    scope: text(r.Scope) ?? '',
    field: text(r.Field) ?? '',
    action: text(r.Action) ?? '',
    before: text(r.BeforeValue),
    after: text(r.AfterValue),
    description: text(r.Description),
  };
}

export class SqlTargetConfigStore implements TargetConfigStore {
  private pool: Promise<ConnectionPool> | undefined;
  /** The SQL error number a failed login reported (tedious keeps only its message). */
  private lastLoginError: number | undefined;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly target: SqlTarget,
    private readonly options: SqlStoreOptions,
  ) {
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  get name(): string {
    return this.target.setting;
  }

  async listFlags(query: { scope: string; flagKey?: string }): Promise<FlagValue[]> {
    const rows = await this.read('dbo.sp_Feature_List', [
      ['Scope', (m) => m.NVarChar(50), query.scope],
      ['FlagKey', (m) => m.NVarChar(200), query.flagKey ?? null],
    ]);
    return rows.map((r) => ({
      flagKey: text(r.FlagKey) ?? '',
      scope: text(r.Scope) ?? '',
      isEnabled: r.IsEnabled === true || r.IsEnabled === 1,
      targetRole: text(r.TargetRole),
      description: text(r.Description),
      updatedAt: iso(r.UpdatedAt),
      updatedBy: text(r.UpdatedBy),
    }));
  }

  async listConfig(query: { scope: string; configKey?: string }): Promise<ConfigEntry[]> {
    const rows = await this.read('dbo.sp_Config_List', [
      ['Scope', (m) => m.NVarChar(50), query.scope],
      ['ConfigKey', (m) => m.NVarChar(200), query.configKey ?? null],
    ]);
    return rows.map((r) => ({
      configKey: text(r.ConfigKey) ?? '',
      scope: text(r.Scope) ?? '',
      value: text(r.Value),
      valueType: text(r.ValueType) ?? '',
      tags: text(r.Tags),
      description: text(r.Description),
      updatedAt: iso(r.UpdatedAt),
      updatedBy: text(r.UpdatedBy),
    }));
  }

  async recentAudit(query: { sinceUtc: Date; scope?: string; maxRows: number }): Promise<AuditEntry[]> {
    const rows = await this.read('dbo.sp_Audit_Recent', [
      ['SinceUtc', (m) => m.DateTime2(3), query.sinceUtc],
      ['Scope', (m) => m.NVarChar(50), query.scope ?? null],
      ['MaxRows', (m) => m.Int(), query.maxRows],
    ]);
    return rows.slice(0, query.maxRows).map(toAudit);
  }

  async auditByRequestId(requestId: string): Promise<AuditEntry[]> {
    const rows = await this.read('dbo.sp_Audit_ByRequestId', [['RequestId', (m) => m.NVarChar(200), requestId]]);
    return rows.map(toAudit);
  }

  setFlag(c: SetFlagCommand): Promise<AuditEntry[]> {
    // Parameters exactly as RB-02 section 7 calls the procedure.
    return this.write('dbo.sp_Feature_Set', c.requestId, [
      ['FlagKey', (m) => m.NVarChar(200), c.flagKey],
      ['IsEnabled', (m) => m.Bit(), c.isEnabled],
      ['Scope', (m) => m.NVarChar(50), c.scope],
      ['TargetRole', (m) => m.NVarChar(100), c.targetRole],
      ['Description', (m) => m.NVarChar(400), c.description],
      ['Actor', (m) => m.NVarChar(128), c.actor],
      ['RequestId', (m) => m.NVarChar(200), c.requestId],
    ]);
  }

  setConfigValue(c: SetConfigValueCommand): Promise<AuditEntry[]> {
    return this.write('dbo.sp_Config_SetValue', c.requestId, [
      ['ConfigKey', (m) => m.NVarChar(200), c.configKey],
      ['Value', (m) => m.NVarChar(m.MAX), c.value],
      ['ValueType', (m) => m.NVarChar(50), c.valueType],
      ['Scope', (m) => m.NVarChar(50), c.scope],
      ['Description', (m) => m.NVarChar(400), c.description],
      ['Tags', (m) => m.NVarChar(400), c.tags],
      ['Actor', (m) => m.NVarChar(128), c.actor],
      ['RequestId', (m) => m.NVarChar(200), c.requestId],
    ]);
  }

  async ping(): Promise<{ latencyMs: number }> {
    const started = Date.now();
    await this.withRetries('SELECT 1', false, async () => {
      const pool = await this.connect();
      await telemetry().external('sql', 'SELECT 1', () => pool.request().batch('SELECT 1'));
    });
    return { latencyMs: Date.now() - started };
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await (await pool.catch(() => undefined))?.close().catch(() => undefined);
  }

  private async read(proc: string, params: Param[]): Promise<Record<string, unknown>[]> {
    const result = await this.withRetries(proc, false, () => this.execute(proc, params));
    const rows = (result.recordset ?? []) as Record<string, unknown>[];
    if (rows.length > MAX_LIST_ROWS) {
      throw new TargetConfigError('rejected', `${this.name}: ${proc} returned ${rows.length} rows; at most ${MAX_LIST_ROWS} are read.`);
    }
    return rows;
  }

  private async write(proc: string, requestId: string, params: Param[]): Promise<AuditEntry[]> {
    const max = Math.max(1, this.options.maxAttempts);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.execute(proc, params);
        return await this.auditByRequestId(requestId);
      } catch (err) {
        if (err instanceof TargetConfigError) throw err;
        const c = classifySqlError(err, true, this.lastLoginError);
        if (c.kind === 'ambiguous') {
          const found = await this.auditByRequestId(requestId).catch(() => []);
          if (found.length) return found;
          throw this.error(c, proc, `the call may or may not have happened (no audit row for request ${requestId} yet); read back before calling again`, err);
        }
        if (c.kind !== 'transient' || attempt >= max) throw this.error(c, proc, attempt > 1 ? `after ${attempt} attempts` : undefined, err);
        await this.sleep(this.backoff(attempt));
        // The server said no, but read back before sending the write again all the same.
        const found = await this.auditByRequestId(requestId);
        if (found.length) return found;
      }
    }
  }

  private async withRetries<T>(what: string, write: boolean, run: () => Promise<T>): Promise<T> {
    const max = Math.max(1, this.options.maxAttempts);
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        if (err instanceof TargetConfigError) throw err;
        const c = classifySqlError(err, write, this.lastLoginError);
        if (c.kind !== 'transient' || attempt >= max) throw this.error(c, what, attempt > 1 ? `after ${attempt} attempts` : undefined, err);
        await this.sleep(this.backoff(attempt));
      }
    }
  }

  private backoff(attempt: number): number {
    const base = Math.min(5000, (this.options.backoffMs ?? 250) * 2 ** (attempt - 1));
    return base / 2 + Math.random() * (base / 2);
  }

  private error(c: Classified, what: string, note: string | undefined, cause: unknown): TargetConfigError {
    const where = `${this.name} (${this.target.server}/${this.target.database})`;
    const sql = c.number !== undefined ? ` SQL error ${c.number}:` : '';
    const schema = c.number !== undefined && SCHEMA_ERRORS.has(c.number) ? ' The target lacks this procedure or signature: see infra/sql/.' : '';
    const identity = c.kind === 'login' && c.number !== undefined ? this.entraIdentity() : '';
    return new TargetConfigError(c.kind, `${what} on ${where} failed:${sql} ${c.message}${identity}${note ? ` (${note})` : ''}${schema}`, c.number, { cause });
  }

  /** Who an Entra login was for: Azure SQL's refusal names only '<token-identified principal>'. */
  private entraIdentity(): string {
    const a = this.target.auth;
    if (a.kind === 'sql-login') return '';
    const who = a.clientId ? `the identity with client id ${a.clientId}` : a.kind === 'entra-default' ? 'DefaultAzureCredential' : 'the system-assigned managed identity';
    return ` (Entra login as ${who})`;
  }

  private async execute(proc: string, params: Param[]): Promise<IResult<Record<string, unknown>>> {
    const m = mssql();
    const pool = await this.connect();
    const request: MssqlRequest = pool.request();
    for (const [name, type, value] of params) request.input(name, type(m), value);
    return telemetry().external('sql', proc, () => request.execute<Record<string, unknown>>(proc));
  }

  /** The pool, connected on first use; a failed connect is forgotten so the next call tries again. */
  private connect(): Promise<ConnectionPool> {
    this.pool ??= this.createPool().catch((err: unknown) => {
      this.pool = undefined;
      throw err;
    });
    return this.pool;
  }

  private async createPool(): Promise<ConnectionPool> {
    const m = mssql();
    const t = this.target;
    if (t.encrypt === true && typeof (tedious().Connection.prototype as unknown as Record<string, unknown>).performTlsNegotiation !== 'function') {
      throw new TargetConfigError('config', `${this.name}: this tedious version cannot be checked for TLS downgrade; set Encrypt=strict.`);
    }
    // Entra: the token may take most of the connect timeout; the rest is for the login around it.
    const authentication: MssqlConfig['authentication'] =
      t.auth.kind === 'sql-login'
        ? { type: 'default', options: { userName: t.auth.user, password: t.auth.password } }
        : { type: 'token-credential', options: { credential: sqlEntraCredential(t.auth, Math.floor(t.connectTimeoutMs * 0.8), this.options.identityEndpoint) } };
    const config: MssqlConfig = {
      server: t.server,
      port: t.port,
      database: t.database,
      authentication,
      connectionTimeout: t.connectTimeoutMs,
      requestTimeout: t.requestTimeoutMs,
      pool: {
        max: t.poolMax,
        min: 0,
        idleTimeoutMillis: 60_000,
        acquireTimeoutMillis: t.connectTimeoutMs + 5_000,
        createTimeoutMillis: t.connectTimeoutMs + 5_000,
      },
      options: {
        encrypt: t.encrypt as boolean,
        trustServerCertificate: t.trustServerCertificate,
        appName: t.appName,
        // The adapter has its own bounded retry; tedious's login retry would multiply it.
        maxRetriesOnTransientErrors: 0,
      },
      beforeConnect: (conn) => this.instrument(conn as unknown as TediousConnection),
    };
    const pool = new m.ConnectionPool(config);
    // mssql re-emits driver errors (a socket that died while idle or mid-request) on the pool;
    // without a listener Node would treat them as unhandled and end the process.
    pool.on('error', (err: unknown) => this.options.warn?.(`${this.name}: ${errorText(err)}`));
    // A refused login is named by its SQL error number (18456: the login or token was refused).
    await telemetry().external('sql', 'login', () => pool.connect(), () => (this.lastLoginError ? `login-${this.lastLoginError}` : 'error'));
    return pool;
  }

  /**
   * Per connection: remember the SQL error number of a failed login, and when encryption is
   * required, refuse to go on when the server's PRELOGIN does not offer it. tedious 19 only
   * starts TLS when the server answers ON or REQ and otherwise sends LOGIN7 (password or token)
   * in clear, so a man in the middle could strip encryption; this fails the connection before
   * LOGIN7 instead.
   */
  private instrument(conn: TediousConnection): void {
    const onError = (token: { number?: number }): void => {
      this.lastLoginError = token.number;
    };
    conn.on('errorMessage', onError);
    conn.once('connect', (err?: unknown) => {
      conn.removeListener('errorMessage', onError);
      if (!err) this.lastLoginError = undefined;
    });
    if (this.target.encrypt !== true) return;
    const negotiate = conn.performTlsNegotiation;
    if (typeof negotiate !== 'function') return;
    conn.performTlsNegotiation = function (this: TediousConnection, prelogin: { encryptionString?: string }, signal: AbortSignal) {
      if (prelogin.encryptionString !== 'ON' && prelogin.encryptionString !== 'REQ') {
        const err = Object.assign(new Error('The server did not offer encryption (PRELOGIN ENCRYPT_' + String(prelogin.encryptionString) + ') and Encrypt=true requires it; not sending credentials.'), {
          name: 'ConnectionError',
          code: 'EENCRYPT',
        });
        return Promise.reject(err);
      }
      return negotiate.call(this, prelogin, signal);
    };
  }
}

/** The parts of a tedious Connection the adapter touches (performTlsNegotiation is internal to tedious 19). */
interface TediousConnection {
  on(event: 'errorMessage', listener: (token: { number?: number }) => void): void;
  once(event: 'connect', listener: (err?: unknown) => void): void;
  removeListener(event: 'errorMessage', listener: (token: { number?: number }) => void): void;
  performTlsNegotiation?: (prelogin: { encryptionString?: string }, signal: AbortSignal) => Promise<void>;
}
