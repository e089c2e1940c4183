/**
 * Settings of the SQL actions. Each target database is one app setting holding an ADO.NET-style
 * connection string, named SQL_CONNECTION_<NAME> (the policy says which setting an environment
 * uses), so the secret part (a SQL password, if any) lives in App Settings / Key Vault references
 * and never in the policy or an activity input. Problems are listed all at once and never echo a
 * value.
 *
 *   Server=tcp:myserver.database.windows.net,1433;Database=app;Authentication=Active Directory Default
 *   Server=tcp:myserver.database.windows.net,1433;Database=app;Authentication=Active Directory Default;User Id=<client id of a user-assigned identity>
 *   Server=tcp:myserver.database.windows.net,1433;Database=app;Authentication=Active Directory Managed Identity;User Id=<client id>
 *   Server=tcp:10.0.0.4,1433;Database=app;User Id=autopilot;Password=...;Encrypt=true
 */
import { z } from 'zod';
import type { Issue } from './issues.js';
import { toIssues } from './issues.js';

/** Activity inputs may only name settings of this shape, so they cannot point at another secret. */
export const SQL_CONNECTION_SETTING = /^SQL_CONNECTION_[A-Z0-9_]{1,64}$/;

export type SqlAuth =
  | { kind: 'sql-login'; user: string; password: string }
  /** Entra: DefaultAzureCredential (managed identity in Azure), optionally a user-assigned identity's client id. */
  | { kind: 'entra-default'; clientId: string | undefined }
  /**
   * Entra: the managed identity only (ManagedIdentityCredential), as SqlClient does for
   * "Active Directory Managed Identity" / "Active Directory MSI": no environment or developer
   * credentials are tried, so the database never sees another principal than the app's identity.
   */
  | { kind: 'entra-managed-identity'; clientId: string | undefined };

export interface SqlTarget {
  /** The setting name, used in every message instead of the connection string. */
  setting: string;
  server: string;
  port: number;
  database: string;
  auth: SqlAuth;
  /** true: TLS required (the server must offer it); 'strict': TDS 8 (TLS before anything); false: none. */
  encrypt: boolean | 'strict';
  trustServerCertificate: boolean;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  poolMax: number;
  appName: string;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
export const DEFAULT_POOL_MAX = 2;

/** Keys we understand (lower case, spaces removed) and what they mean. */
const KEY_ALIASES: Record<string, string> = {
  server: 'server',
  datasource: 'server',
  address: 'server',
  addr: 'server',
  networkaddress: 'server',
  database: 'database',
  initialcatalog: 'database',
  userid: 'user',
  uid: 'user',
  user: 'user',
  password: 'password',
  pwd: 'password',
  authentication: 'authentication',
  encrypt: 'encrypt',
  trustservercertificate: 'trustServerCertificate',
  connecttimeout: 'connectTimeout',
  connectiontimeout: 'connectTimeout',
  timeout: 'connectTimeout',
  commandtimeout: 'commandTimeout',
  maxpoolsize: 'maxPoolSize',
  applicationname: 'appName',
  app: 'appName',
  // Accepted and ignored: harmless keys the Azure portal puts in its sample strings.
  persistsecurityinfo: '',
  multipleactiveresultsets: '',
  pooling: '',
  minpoolsize: '',
};

export interface ParsedConnectionString {
  values: Record<string, string>;
  issues: Issue[];
}

/**
 * ADO.NET syntax: `key=value` pairs separated by `;`, keys case-insensitive, values optionally
 * quoted with " or ' (a doubled quote inside stands for one).
 */
export function parseConnectionString(text: string, path = 'connection string'): ParsedConnectionString {
  const values: Record<string, string> = {};
  const issues: Issue[] = [];
  let i = 0;
  let part = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && (text[i] === ';' || /\s/.test(text[i] ?? ''))) i++;
    if (i >= n) break;
    part++;
    const eq = text.indexOf('=', i);
    const semi = text.indexOf(';', i);
    if (eq < 0 || (semi >= 0 && semi < eq)) {
      // Probably the tail of an unquoted value that contains ";": say where, never what.
      issues.push({ path, code: 'invalid_format', message: `part ${part} has no "=" (quote values that contain ";")` });
      if (semi < 0) break;
      i = semi + 1;
      continue;
    }
    const rawKey = text.slice(i, eq).trim();
    i = eq + 1;
    while (i < n && text[i] === ' ') i++;
    let value = '';
    const quote = text[i];
    if (quote === '"' || quote === "'") {
      i++;
      for (;;) {
        if (i >= n) {
          issues.push({ path, code: 'invalid_format', message: `the value of "${rawKey}" has no closing quote` });
          break;
        }
        if (text[i] === quote) {
          if (text[i + 1] === quote) {
            value += quote;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i];
        i++;
      }
      while (i < n && text[i] !== ';') i++;
    } else {
      const end = text.indexOf(';', i);
      value = (end < 0 ? text.slice(i) : text.slice(i, end)).trim();
      i = end < 0 ? n : end;
    }
    const normal = rawKey.toLowerCase().replace(/\s+/g, '');
    const key = KEY_ALIASES[normal];
    if (key === undefined) {
      // Named by position only: a "key" may be a fragment of an unquoted password.
      issues.push({ path, code: 'unknown_key', message: `part ${part} has an unsupported key (supported: Server, Database, Authentication, User Id, Password, Encrypt, TrustServerCertificate, Connect Timeout, Command Timeout, Max Pool Size, Application Name)` });
    } else if (key !== '') {
      values[key] = value;
    }
  }
  return { values, issues };
}

function bool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (['true', 'yes', '1'].includes(v)) return true;
  if (['false', 'no', '0'].includes(v)) return false;
  return undefined;
}

function seconds(value: string | undefined, path: string, issues: Issue[], fallbackMs: number): number {
  if (value === undefined || value.trim() === '') return fallbackMs;
  const s = Number(value);
  if (!Number.isInteger(s) || s < 1 || s > 600) {
    issues.push({ path, code: 'invalid_number', message: 'must be whole seconds between 1 and 600' });
    return fallbackMs;
  }
  return s * 1000;
}

export type SqlTargetResult = { ok: true; target: SqlTarget } | { ok: false; issues: Issue[] };

/** Reads and validates the target named by `setting` (e.g. SQL_CONNECTION_PROD). */
export function readSqlTarget(env: NodeJS.ProcessEnv, setting: string): SqlTargetResult {
  if (!SQL_CONNECTION_SETTING.test(setting)) {
    return { ok: false, issues: [{ path: setting.slice(0, 80), code: 'invalid_setting_name', message: 'must be an app setting named SQL_CONNECTION_<NAME> (A-Z, 0-9, _)' }] };
  }
  const raw = env[setting]?.trim();
  if (!raw) return { ok: false, issues: [{ path: setting, code: 'missing', message: 'is not set (an ADO.NET connection string for the target database)' }] };
  const { values: v, issues } = parseConnectionString(raw, setting);

  let server = '';
  let port = 1433;
  const rawServer = v.server?.trim().replace(/^tcp:/i, '') ?? '';
  if (!rawServer) issues.push({ path: `${setting}.Server`, code: 'missing', message: 'is required (tcp:<host>,<port>)' });
  else if (rawServer.includes('\\')) issues.push({ path: `${setting}.Server`, code: 'unsupported', message: 'named instances are not supported: give host,port' });
  else {
    const [host, portText] = rawServer.split(',').map((s) => s.trim());
    server = host ?? '';
    if (portText !== undefined) {
      const p = Number(portText);
      if (!Number.isInteger(p) || p < 1 || p > 65535) issues.push({ path: `${setting}.Server`, code: 'invalid_port', message: 'has an invalid port' });
      else port = p;
    }
    if (!server) issues.push({ path: `${setting}.Server`, code: 'missing', message: 'has no host name' });
  }

  const database = v.database?.trim() ?? '';
  if (!database) issues.push({ path: `${setting}.Database`, code: 'missing', message: 'is required' });

  let auth: SqlAuth | undefined;
  const method = (v.authentication ?? '').trim().toLowerCase().replace(/\s+/g, ' ');
  if (method === 'active directory default' || method === 'active directory managed identity' || method === 'active directory msi') {
    if (v.password) issues.push({ path: `${setting}.Password`, code: 'unexpected', message: 'must not be set with Entra authentication' });
    auth = { kind: method === 'active directory default' ? 'entra-default' : 'entra-managed-identity', clientId: v.user?.trim() || undefined };
  } else if (method === '' || method === 'sql password' || method === 'sqlpassword') {
    if (!v.user || !v.password) {
      issues.push({
        path: `${setting}.Authentication`,
        code: 'missing',
        message: 'set Authentication=Active Directory Default (managed identity), or User Id and Password for a SQL login',
      });
    } else auth = { kind: 'sql-login', user: v.user, password: v.password };
  } else {
    issues.push({
      path: `${setting}.Authentication`,
      code: 'unsupported',
      message: 'must be "Active Directory Default", "Active Directory Managed Identity" or "Sql Password"',
    });
  }

  let encrypt: boolean | 'strict' = true;
  if (v.encrypt !== undefined) {
    const e = v.encrypt.trim().toLowerCase();
    if (e === 'strict') encrypt = 'strict';
    else if (e === 'mandatory') encrypt = true;
    else if (e === 'optional') encrypt = false;
    else {
      const b = bool(e);
      if (b === undefined) issues.push({ path: `${setting}.Encrypt`, code: 'invalid_value', message: 'must be true, false or strict' });
      else encrypt = b;
    }
  }
  const trust = v.trustServerCertificate === undefined ? false : bool(v.trustServerCertificate);
  if (trust === undefined) issues.push({ path: `${setting}.TrustServerCertificate`, code: 'invalid_value', message: 'must be true or false' });

  let poolMax = DEFAULT_POOL_MAX;
  if (v.maxPoolSize !== undefined) {
    const p = Number(v.maxPoolSize);
    if (!Number.isInteger(p) || p < 1 || p > 10) issues.push({ path: `${setting}.Max Pool Size`, code: 'invalid_number', message: 'must be 1 to 10' });
    else poolMax = p;
  }
  const connectTimeoutMs = seconds(v.connectTimeout, `${setting}.Connect Timeout`, issues, DEFAULT_CONNECT_TIMEOUT_MS);
  const requestTimeoutMs = seconds(v.commandTimeout, `${setting}.Command Timeout`, issues, DEFAULT_REQUEST_TIMEOUT_MS);

  if (issues.length || !auth) return { ok: false, issues };
  return {
    ok: true,
    target: {
      setting,
      server,
      port,
      database,
      auth,
      encrypt,
      trustServerCertificate: trust ?? false,
      connectTimeoutMs,
      requestTimeoutMs,
      poolMax,
      appName: v.appName?.trim() || 'incident-autopilot',
    },
  };
}

const optionalText = z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.string().trim().optional());

const schema = z.object({
  /** Written as @Actor on every change and so into the target's AuditEvent rows. */
  SQL_ACTOR: optionalText.pipe(z.string().max(128, 'must be at most 128 characters').optional()),
  /** Attempts per SQL call for transient errors (server-reported or connect), before the activity gives up and Durable retries. */
  SQL_MAX_ATTEMPTS: optionalText.pipe(z.coerce.number<string | undefined>().int().min(1).max(10).optional()),
});

export interface SqlSettings {
  actor: string;
  maxAttempts: number;
}

export const DEFAULT_SQL_ACTOR = 'incident-autopilot';

export function readSqlSettings(env: NodeJS.ProcessEnv): { ok: true; settings: SqlSettings } | { ok: false; issues: Issue[] } {
  const parsed = schema.safeParse(env);
  if (!parsed.success) return { ok: false, issues: toIssues(parsed.error) };
  return { ok: true, settings: { actor: parsed.data.SQL_ACTOR ?? DEFAULT_SQL_ACTOR, maxAttempts: parsed.data.SQL_MAX_ATTEMPTS ?? 3 } };
}
