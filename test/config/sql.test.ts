/** SQL settings (connection strings), error classification and request ids: pure logic. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifySqlError } from '../../src/adapters/sql.js';
import { requestIdFor } from '../../src/activities/sql.js';
import { parseConnectionString, readSqlSettings, readSqlTarget } from '../../src/config/sql.js';

describe('readSqlTarget', () => {
  it('reads an Azure SQL connection string with a managed identity', () => {
    const env = {
      SQL_CONNECTION_PROD: 'Server=tcp:sql-prod.database.windows.net,1433;Initial Catalog=portal;Authentication="Active Directory Default";Encrypt=True;Connection Timeout=30',
    };
    expect(readSqlTarget(env, 'SQL_CONNECTION_PROD')).toEqual({
      ok: true,
      target: {
        setting: 'SQL_CONNECTION_PROD',
        server: 'sql-prod.database.windows.net',
        port: 1433,
        database: 'portal',
        auth: { kind: 'entra-default', clientId: undefined },
        encrypt: true,
        trustServerCertificate: false,
        connectTimeoutMs: 30_000,
        requestTimeoutMs: 15_000,
        poolMax: 2,
        appName: 'incident-autopilot',
      },
    });
  });

  it('takes a user-assigned identity client id from User Id, and reads SQL logins, strict encryption and limits', () => {
    const mi = readSqlTarget({ SQL_CONNECTION_A: 'Server=db;Database=d;Authentication=Active Directory Managed Identity;User Id=0000-client' }, 'SQL_CONNECTION_A');
    expect(mi.ok && mi.target.auth).toEqual({ kind: 'entra-managed-identity', clientId: '0000-client' });
    const login = readSqlTarget(
      { SQL_CONNECTION_B: "Data Source=10.0.0.4,14333;Database=d;UID=bot;PWD='p;w=d''s';Encrypt=strict;Command Timeout=5;Max Pool Size=3" },
      'SQL_CONNECTION_B',
    );
    expect(login.ok && login.target).toMatchObject({ port: 14333, auth: { kind: 'sql-login', user: 'bot', password: "p;w=d's" }, encrypt: 'strict', requestTimeoutMs: 5000, poolMax: 3 });
  });

  it('lists every problem at once, by name, without echoing any value', () => {
    const env = {
      SQL_CONNECTION_BAD: 'Server=host\\inst;Pasword=hunter2-secret;Encrypt=sometimes;Command Timeout=0;Max Pool Size=50',
    };
    const read = readSqlTarget(env, 'SQL_CONNECTION_BAD');
    expect(read.ok).toBe(false);
    const issues = read.ok ? [] : read.issues;
    expect(issues.map((i) => i.path)).toEqual([
      'SQL_CONNECTION_BAD',
      'SQL_CONNECTION_BAD.Server',
      'SQL_CONNECTION_BAD.Database',
      'SQL_CONNECTION_BAD.Authentication',
      'SQL_CONNECTION_BAD.Encrypt',
      'SQL_CONNECTION_BAD.Max Pool Size',
      'SQL_CONNECTION_BAD.Command Timeout',
    ]);
    expect(issues[0]?.message).toContain('part 2 has an unsupported key');
    expect(JSON.stringify(issues)).not.toContain('hunter2-secret');
    // An unquoted password with ";" and "=" in it: its pieces are not echoed as key names.
    const split = readSqlTarget({ SQL_CONNECTION_S: 'Server=a;Database=b;User Id=u;Password=abc;xyzzy=plugh;frob' }, 'SQL_CONNECTION_S');
    const text = JSON.stringify(split.ok ? null : split.issues);
    expect(text).toContain('part 5 has an unsupported key');
    expect(text).toContain('part 6 has no');
    for (const piece of ['xyzzy', 'plugh', 'frob']) expect(text).not.toContain(piece);
  });

  it('only reads settings named SQL_CONNECTION_*, and says when one is unset', () => {
    expect(readSqlTarget({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' }, 'AzureWebJobsStorage')).toMatchObject({ ok: false, issues: [{ code: 'invalid_setting_name' }] });
    expect(readSqlTarget({}, 'SQL_CONNECTION_X')).toMatchObject({ ok: false, issues: [{ path: 'SQL_CONNECTION_X', code: 'missing' }] });
  });

  it('parses any value written with ADO.NET quoting back to itself', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.constantFrom('"', "'"), (value, q) => {
        const quoted = q + value.split(q).join(q + q) + q;
        const parsed = parseConnectionString(`Server=a;Password=${quoted};Database=b`);
        expect(parsed.issues).toEqual([]);
        expect(parsed.values).toEqual({ server: 'a', password: value, database: 'b' });
      }),
    );
  });

  it('never echoes a value in its problems, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 12, maxLength: 30 }).filter((s) => /^[A-Za-z0-9;=]+$/.test(s)), fc.string({ maxLength: 60 }), (secret, noise) => {
        const read = readSqlTarget({ SQL_CONNECTION_P: `${noise};Password=${secret};${noise}` }, 'SQL_CONNECTION_P');
        const text = read.ok ? '' : JSON.stringify(read.issues);
        // Pieces with a digit and a letter cannot occur in the fixed wording of the messages.
        for (const piece of secret.split(/[;=]/).filter((p) => p.length >= 4 && /\d/.test(p) && /[A-Za-z]/.test(p))) expect(text).not.toContain(piece);
      }),
    );
  });
});

describe('readSqlSettings', () => {
  it('defaults the actor and attempts, and reports bad values', () => {
    expect(readSqlSettings({})).toEqual({ ok: true, settings: { actor: 'incident-autopilot', maxAttempts: 3 } });
    expect(readSqlSettings({ SQL_ACTOR: 'rollback-bot', SQL_MAX_ATTEMPTS: '5' })).toEqual({ ok: true, settings: { actor: 'rollback-bot', maxAttempts: 5 } });
    expect(readSqlSettings({ SQL_MAX_ATTEMPTS: '99' })).toMatchObject({ ok: false, issues: [{ path: 'SQL_MAX_ATTEMPTS' }] });
  });
});

describe('classifySqlError', () => {
  const requestError = (number: number) => ({ name: 'RequestError', code: 'EREQUEST', number, message: `error ${number}` });
  it.each([
    [40613, 'transient'],
    [1205, 'transient'],
    [40501, 'transient'],
    [229, 'permission'],
    [18456, 'login'],
    [50003, 'rejected'],
    [2812, 'rejected'],
  ])('SQL error %i is %s', (number, kind) => {
    expect(classifySqlError(requestError(number), true).kind).toBe(kind);
  });

  it('treats a lost answer as ambiguous for a write and transient for a read', () => {
    const timeout = { name: 'RequestError', code: 'ETIMEOUT', message: 'Timeout: Request failed to complete in 1000ms' };
    expect(classifySqlError(timeout, true).kind).toBe('ambiguous');
    expect(classifySqlError(timeout, false).kind).toBe('transient');
    expect(classifySqlError({ name: 'RequestError', code: 'ECONNRESET', message: 'socket hang up' }, true).kind).toBe('ambiguous');
  });

  it('treats connection failures before sending as transient, and a failed login by its number', () => {
    expect(classifySqlError({ name: 'ConnectionError', code: 'ETIMEOUT', message: 'Failed to connect' }, true).kind).toBe('transient');
    expect(classifySqlError({ name: 'ConnectionError', code: 'ESOCKET', message: 'ECONNREFUSED' }, true).kind).toBe('transient');
    expect(classifySqlError({ name: 'ConnectionError', code: 'ELOGIN', message: 'Login failed' }, true).kind).toBe('login');
    expect(classifySqlError({ name: 'ConnectionError', code: 'ELOGIN', message: 'not available' }, true, 40613).kind).toBe('transient');
    expect(classifySqlError({ name: 'ConnectionError', code: 'EENCRYPT', message: 'no TLS' }, true).kind).toBe('config');
  });

  it('unwraps an Entra token failure (mssql ConnectionError around tedious AggregateError) and keeps its reason', () => {
    const credential = new Error('ManagedIdentityCredential: no managed identity endpoint found.');
    const tokenError = Object.assign(new Error('Security token could not be authenticated or authorized.'), { name: 'ConnectionError', code: 'EFEDAUTH' });
    const aggregate = new AggregateError([tokenError, credential]);
    const wrapped = { name: 'ConnectionError', message: aggregate.message, originalError: aggregate };
    const c = classifySqlError(wrapped, true);
    expect(c.kind).toBe('login');
    expect(c.message).toBe('Security token could not be authenticated or authorized.: ManagedIdentityCredential: no managed identity endpoint found.');
  });
});

describe('requestIdFor', () => {
  it('is incident id + step, hashed to fit 200 characters when long, and stable', () => {
    expect(requestIdFor('inc-1', 'contain/flag/X@Prod')).toBe('inc-1/contain/flag/X@Prod');
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 128 }), fc.string({ minLength: 1, maxLength: 200 }), (incident, step) => {
        const id = requestIdFor(incident, step);
        expect(id.length).toBeLessThanOrEqual(200);
        expect(requestIdFor(incident, step)).toBe(id);
        if (incident.length + step.length + 1 > 200) expect(id).not.toBe(requestIdFor(incident, `${step}x`));
      }),
    );
  });
});
