/**
 * A SQL Server that speaks just enough TDS 7.4 ([MS-TDS]) on 127.0.0.1 for the real mssql 12 /
 * tedious 19 client: PRELOGIN without encryption, LOGIN7 with a SQL login or an Entra token
 * (below), SQL batches (the
 * client's session SET statements and `SELECT 1`), RPC calls to the stored procedures of
 * ./sql-target.ts (and sp_executesql `SELECT 1;`, which is how mssql validates a pooled
 * connection), result sets, return status, errors, and ATTENTION (request cancel).
 *
 * Faults are injected per procedure: a SQL error (40613, 1205, 229, ...), a request that never
 * answers (so the client's request timeout fires and it sends ATTENTION), and a connection
 * dropped mid-request; each optionally after the procedure's effect was applied, which is what
 * makes a timeout or a dropped connection ambiguous for a write. Login can be made to fail.
 *
 * Entra (with `entra`): LOGIN7 asks for FEDAUTH with the MSAL workflow and carries no
 * credential; the fake answers FEDAUTHINFO (STS URL, SPN), the client gets a token for
 * `<SPN>/.default` from its credential and sends it in a FEDAUTH_TOKEN message, and the fake
 * accepts it only when its issuer (`entra.tokens`, the managed-identity endpoint of
 * ./arm-server.ts) issued it, for the SPN, and it has not expired; then LOGINACK and a
 * FEATUREEXTACK for FEDAUTH. Anything else gets 18456 with Azure SQL's wording (which does not say
 * why) and the reason in `loginAttempts[].refused`. The identity (appid, oid) that logged in is
 * recorded in `loginAttempts[].entra`.
 *
 * Tedious is configured with `encrypt: false` against it: the fake answers PRELOGIN with
 * ENCRYPT_NOT_SUP and never starts TLS (tedious only negotiates TLS when the server answers ON
 * or REQ, see Connection#performTlsNegotiation).
 */
import net from 'node:net';
import { FakeSqlTarget, SqlError, type Column, type ResultSet, type SqlValue } from './sql-target.js';
import { errorText } from '../domain/errors.js';

/** [MS-TDS] 2.2.3.1.1 packet types. */
const PKT = { SQL_BATCH: 0x01, RPC: 0x03, TABULAR_RESULT: 0x04, ATTENTION: 0x06, FEDAUTH_TOKEN: 0x08, LOGIN7: 0x10, PRELOGIN: 0x12 } as const;
/** [MS-TDS] 2.2.3.1.2 packet status bits. */
const STATUS_EOM = 0x01;
const STATUS_IGNORE = 0x02;
/** [MS-TDS] 2.2.7 token types. */
const TOKEN = {
  RETURNSTATUS: 0x79,
  COLMETADATA: 0x81,
  ERROR: 0xaa,
  LOGINACK: 0xad,
  FEATUREEXTACK: 0xae,
  ROW: 0xd1,
  ENVCHANGE: 0xe3,
  FEDAUTHINFO: 0xee,
  DONE: 0xfd,
  DONEPROC: 0xfe,
  DONEINPROC: 0xff,
} as const;
/** [MS-TDS] 2.2.7.6 DONE status bits. */
const DONE = { FINAL: 0x00, MORE: 0x01, ERROR: 0x02, COUNT: 0x10, ATTN: 0x20 } as const;
/** [MS-TDS] 2.2.5.4 data type ids. */
const TYPE = { INTN: 0x26, DATETIME2N: 0x2a, DATETIMEOFFSETN: 0x2b, BITN: 0x68, NVARCHAR: 0xe7, NCHAR: 0xef } as const;

const TDS_7_4 = 0x74000004;
/** Azure SQL's FEDAUTHINFO: the Entra authority of its tenant and its resource id. */
export const AZURE_SQL_SPN = 'https://database.windows.net/';
const STS_URL = 'https://login.microsoftonline.com/72f988bf-0000-4000-8000-0000000000aa';
/** [MS-TDS] 2.2.6.4 FeatureExt: FEDAUTH and its MSAL (ADAL) library. */
const FEATURE_FEDAUTH = 0x02;
const FEDAUTH_LIBRARY_MSAL = 0x02;
/** Azure SQL's message for any Entra login it refuses. */
const ENTRA_LOGIN_FAILED = "Login failed for user '<token-identified principal>'.";
const PACKET_SIZE = 4096;
/** SQL_Latin1_General_CP1_CI_AS as the 5-byte collation of [MS-TDS] 2.2.5.1.2. */
const COLLATION = Buffer.from([0x09, 0x04, 0xd0, 0x00, 0x34]);
const PLP_NULL = 0xffffffffffffffffn;
/** Days from 0001-01-01 to 1970-01-01: DATE/DATETIME2 count days from year 1 ([MS-TDS] 2.2.5.5.1.8). */
const EPOCH_DAYS = 719_162;
const DAY_MS = 86_400_000;

export type Fault =
  /** The server answers with this SQL error (and does not run the procedure). */
  | { kind: 'error'; number: number; message?: string; severity?: number }
  /** The server never answers until the client sends ATTENTION; `applied`: the effect happened first. */
  | { kind: 'hang'; applied: boolean }
  /** The server closes the connection; `applied`: the effect happened first. */
  | { kind: 'drop'; applied: boolean };

export interface RpcCall {
  proc: string;
  params: Record<string, SqlValue>;
  connection: number;
  /** What the fake did with it. */
  result: 'ok' | 'error' | 'hang' | 'drop';
}

/** What the token's issuer vouches for: Entra's aud, appid, oid and exp. */
export interface EntraTokenInfo {
  resource: string;
  appId: string;
  objectId: string;
  expiresOnMs: number;
}

export interface TdsEntraOptions {
  /** Looks a received token up at its issuer; undefined = not issued there. */
  tokens: (token: string) => EntraTokenInfo | undefined;
  /** Named in FEDAUTHINFO and required as the token's resource (default Azure SQL's). */
  spn?: string;
}

export interface TdsFakeOptions {
  user?: string;
  password?: string;
  database?: string;
  now?: () => Date;
  /** Accept Entra (FEDAUTH) logins with tokens from this issuer; without it only SQL logins work. */
  entra?: TdsEntraOptions;
  /** A fixed port (default: a free one). */
  port?: number;
}

export interface LoginAttempt {
  /** LOGIN7's user name (empty for Entra). */
  userName: string;
  /** LOGIN7 asked for Entra (FEDAUTH) authentication. */
  fedAuth: boolean;
  database: string;
  /** The Entra identity that logged in. */
  entra?: { appId: string; objectId: string };
  /** Why the fake refused the login (what the server keeps to itself). */
  refused?: string;
}

interface InjectedFault {
  proc: string;
  remaining: number;
  fault: Fault;
}

const TRANSIENT_MESSAGES: Record<number, string> = {
  40613: "Database 'autopilot' on server 'fake' is not currently available. Please retry the connection later.",
  1205: 'Transaction (Process ID 61) was deadlocked on lock resources with another process and has been chosen as the deadlock victim. Rerun the transaction.',
  40501: 'The service is currently busy. Retry the request after 10 seconds.',
};

export class TdsFake {
  readonly db: FakeSqlTarget;
  readonly calls: RpcCall[] = [];
  /** Successful logins so far (a new pooled connection logs in again). */
  logins = 0;
  /** Every LOGIN7 seen: who, whether it asked for Entra (FEDAUTH) authentication, and how it ended. */
  readonly loginAttempts: LoginAttempt[] = [];
  readonly batches: string[] = [];
  private readonly faults: InjectedFault[] = [];
  private readonly denied = new Set<string>();
  private loginFailures: { remaining: number; number: number; message: string }[] = [];
  private readonly sockets = new Set<net.Socket>();
  private connectionCount = 0;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    readonly options: Required<Omit<TdsFakeOptions, 'now' | 'entra' | 'port'>>,
    db: FakeSqlTarget,
    readonly entra: TdsEntraOptions | undefined,
  ) {
    this.db = db;
  }

  static async start(options: TdsFakeOptions = {}): Promise<TdsFake> {
    const opts = { user: options.user ?? 'autopilot', password: options.password ?? 'P@ssw0rd!fake', database: options.database ?? 'autopilot' };
    const db = new FakeSqlTarget(options.now);
    const ref: { fake?: TdsFake } = {};
    const server = net.createServer((socket) => ref.fake?.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as net.AddressInfo).port;
    ref.fake = new TdsFake(server, port, opts, db, options.entra);
    return ref.fake;
  }

  /** An ADO.NET-style connection string for the SQL login (encryption off: the fake has no TLS). */
  connectionString(overrides: Record<string, string> = {}): string {
    const parts: Record<string, string> = {
      Server: `tcp:127.0.0.1,${this.port}`,
      Database: this.options.database,
      'User Id': this.options.user,
      Password: this.options.password,
      Encrypt: 'false',
      ...overrides,
    };
    return Object.entries(parts)
      .map(([k, v]) => `${k}=${v}`)
      .join(';');
  }

  /** The next `times` calls of `proc` (e.g. "dbo.sp_Feature_Set", or "*" for any) meet `fault`. */
  inject(proc: string, fault: Fault, times = 1): void {
    this.faults.push({ proc: normaliseProc(proc), remaining: times, fault });
  }

  /** EXECUTE permission denied (error 229) on `proc` until `allow`. */
  deny(proc: string): void {
    this.denied.add(normaliseProc(proc));
  }

  allow(proc: string): void {
    this.denied.delete(normaliseProc(proc));
  }

  /** The next `times` logins fail with `number` (18456 login failed; 40613 is retried by tedious itself). */
  failLogin(times: number, number = 18456): void {
    const message = number === 18456 ? `Login failed for user '${this.options.user}'.` : (TRANSIENT_MESSAGES[number] ?? `Error ${number}`);
    this.loginFailures.push({ remaining: times, number, message });
  }

  clearFaults(): void {
    this.faults.length = 0;
    this.denied.clear();
    this.loginFailures = [];
  }

  /** Back to an empty database with no faults and no calls recorded (a test's starting point). */
  reset(): void {
    this.clearFaults();
    this.calls.length = 0;
    this.db.flags.clear();
    this.db.config.clear();
    this.db.audit.length = 0;
  }

  /** Calls of one procedure that reached the server (whatever the fake did with them). */
  callsOf(proc: string): RpcCall[] {
    const name = normaliseProc(proc);
    return this.calls.filter((c) => c.proc === name);
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    new Session(this, socket, ++this.connectionCount);
  }

  /** @internal Login decision for a session. */
  takeLoginFailure(): { number: number; message: string } | undefined {
    const f = this.loginFailures.find((x) => x.remaining > 0);
    if (!f) return undefined;
    f.remaining--;
    return f;
  }

  /** @internal The fault for this call, if any. */
  takeFault(proc: string): Fault | undefined {
    if (this.denied.has(proc)) {
      const object = proc.split('.').pop() ?? proc;
      return { kind: 'error', number: 229, severity: 14, message: `The EXECUTE permission was denied on the object '${object}', database '${this.options.database}', schema 'dbo'.` };
    }
    const f = this.faults.find((x) => x.remaining > 0 && (x.proc === proc || x.proc === '*'));
    if (!f) return undefined;
    f.remaining--;
    return f.fault;
  }
}

function normaliseProc(name: string): string {
  const bare = name.replace(/[[\]]/g, '').trim().toLowerCase();
  return bare === '*' || bare.includes('.') ? bare : `dbo.${bare}`;
}

/** One client connection: reassembles messages from packets and answers each in turn. */
class Session {
  private buffer = Buffer.alloc(0);
  private message: { type: number; parts: Buffer[] } | undefined;
  private state: 'prelogin' | 'login' | 'fedauth' | 'ready' = 'prelogin';
  /** An Entra login waiting for its FEDAUTH_TOKEN message. */
  private pending: { login: Login7; attempt: LoginAttempt } | undefined;
  private packetId = 1;
  /** A request that the fake is deliberately not answering (fault "hang"). */
  private hung = false;

  constructor(
    private readonly fake: TdsFake,
    private readonly socket: net.Socket,
    private readonly id: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  /** [MS-TDS] 2.2.3: an 8-byte header (type, status, big-endian length, SPID, packet id, window). */
  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 8) {
      const length = this.buffer.readUInt16BE(2);
      if (length < 8) return void this.socket.destroy();
      if (this.buffer.length < length) return;
      const type = this.buffer.readUInt8(0);
      const status = this.buffer.readUInt8(1);
      const data = this.buffer.subarray(8, length);
      this.buffer = this.buffer.subarray(length);
      // ATTENTION is out of band: it can arrive while a request is pending ([MS-TDS] 2.2.1.7).
      if (type === PKT.ATTENTION) {
        this.onAttention();
        continue;
      }
      this.message ??= { type, parts: [] };
      this.message.parts.push(data);
      if (status & STATUS_EOM) {
        const { type: t, parts } = this.message;
        this.message = undefined;
        // A message ended with IGNORE was abandoned by the client ([MS-TDS] 2.2.3.1.2): discard it.
        if (status & STATUS_IGNORE) this.send([done(TOKEN.DONE, DONE.FINAL)]);
        else this.onMessage(t, Buffer.concat(parts));
      }
    }
  }

  private onMessage(type: number, payload: Buffer): void {
    try {
      if (this.state === 'prelogin' && type === PKT.PRELOGIN) return this.onPrelogin();
      if (this.state === 'login' && type === PKT.LOGIN7) return this.onLogin(payload);
      if (this.state === 'fedauth' && type === PKT.FEDAUTH_TOKEN) return this.onFedAuthToken(payload);
      if (this.state === 'ready' && type === PKT.SQL_BATCH) return this.onBatch(payload);
      if (this.state === 'ready' && type === PKT.RPC) return this.onRpc(payload);
      this.socket.destroy();
    } catch (err) {
      // A request the fake cannot parse: answer like the server does to a malformed one.
      const e = err instanceof SqlError ? err : new SqlError(8009, `fake TDS server: ${errorText(err)}`);
      this.send([errorToken(e, ''), done(TOKEN.DONE, DONE.ERROR)]);
    }
  }

  /**
   * [MS-TDS] 2.2.6.5 PRELOGIN response: VERSION, ENCRYPTION = ENCRYPT_NOT_SUP, INSTOPT, THREADID
   * (empty) and MARS off, then the terminator.
   */
  private onPrelogin(): void {
    const options: [number, Buffer][] = [
      [0x00, Buffer.from([16, 0, 0x10, 0x00, 0, 0])],
      [0x01, Buffer.from([0x02])],
      [0x02, Buffer.from([0x00])],
      [0x03, Buffer.alloc(0)],
      [0x04, Buffer.from([0x00])],
    ];
    const head = Buffer.alloc(options.length * 5 + 1);
    let dataOffset = head.length;
    options.forEach(([token, data], i) => {
      head.writeUInt8(token, i * 5);
      head.writeUInt16BE(dataOffset, i * 5 + 1);
      head.writeUInt16BE(data.length, i * 5 + 3);
      dataOffset += data.length;
    });
    head.writeUInt8(0xff, options.length * 5);
    this.state = 'login';
    this.sendMessage(Buffer.concat([head, ...options.map(([, d]) => d)]));
  }

  /**
   * [MS-TDS] 2.2.6.4 LOGIN7: checks a SQL login and answers ENVCHANGEs, LOGINACK and DONE; an
   * Entra login gets FEDAUTHINFO and goes on in onFedAuthToken.
   */
  private onLogin(payload: Buffer): void {
    const login = parseLogin7(payload);
    const attempt: LoginAttempt = { userName: login.userName, fedAuth: login.fedAuth !== undefined, database: login.database };
    this.fake.loginAttempts.push(attempt);
    const failure = this.fake.takeLoginFailure();
    if (failure) return this.refuse(attempt, failure.number, failure.message, 'injected');
    if (login.fedAuth) {
      if (!this.fake.entra) return this.refuse(attempt, 18456, 'Login failed: the fake TDS server supports SQL logins only.', 'Entra is not configured');
      if (login.fedAuth.library !== FEDAUTH_LIBRARY_MSAL) return this.refuse(attempt, 18456, ENTRA_LOGIN_FAILED, `FEDAUTH library ${login.fedAuth.library}: the fake supports the MSAL workflow only`);
      this.pending = { login, attempt };
      this.state = 'fedauth';
      return this.send([fedAuthInfo(STS_URL, this.fake.entra.spn ?? AZURE_SQL_SPN)]);
    }
    const { user, password } = this.fake.options;
    if (login.userName !== user || login.password !== password) return this.refuse(attempt, 18456, `Login failed for user '${login.userName}'.`, 'wrong user name or password');
    this.loggedIn(login, attempt, false);
  }

  /**
   * [MS-TDS] 2.2.6.3 FEDAUTH_TOKEN: DataLen, then the token's byte length and the token (UCS-2).
   * Validated as Azure SQL does: issued by Entra (here: by the issuer), for the SPN, not expired.
   */
  private onFedAuthToken(payload: Buffer): void {
    const pending = this.pending;
    const entra = this.fake.entra;
    this.pending = undefined;
    this.state = 'login';
    if (!pending || !entra) return void this.socket.destroy();
    const r = new Reader(payload);
    r.skip(4);
    const token = r.take(r.take(4).readUInt32LE(0)).toString('ucs2');
    const info = entra.tokens(token);
    const spn = entra.spn ?? AZURE_SQL_SPN;
    const same = (a: string, b: string) => a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();
    const why = !info
      ? 'the token was not issued by the identity endpoint'
      : !same(info.resource, spn)
        ? `the token is for ${info.resource}, not ${spn}`
        : info.expiresOnMs <= Date.now()
          ? `the token expired at ${new Date(info.expiresOnMs).toISOString()}`
          : undefined;
    if (why || !info) return this.refuse(pending.attempt, 18456, ENTRA_LOGIN_FAILED, why);
    pending.attempt.entra = { appId: info.appId, objectId: info.objectId };
    this.loggedIn(pending.login, pending.attempt, true);
  }

  private refuse(attempt: LoginAttempt, number: number, message: string, why: string | undefined): void {
    attempt.refused = why ?? message;
    this.send([errorToken(new SqlError(number, message, 14, 1), ''), done(TOKEN.DONE, DONE.ERROR)]);
  }

  private loggedIn(login: Login7, attempt: LoginAttempt, fedAuth: boolean): void {
    const { database } = this.fake.options;
    if (login.database && login.database.toLowerCase() !== database.toLowerCase()) {
      return this.refuse(attempt, 4060, `Cannot open database "${login.database}" requested by the login. The login failed.`, 'no such database');
    }
    this.fake.logins++;
    this.state = 'ready';
    this.send([
      envChangeText(1, database, 'master'),
      envChangeBytes(7, COLLATION),
      loginAck(),
      ...(fedAuth ? [featureExtAckFedAuth()] : []),
      envChangeText(4, String(PACKET_SIZE), String(PACKET_SIZE)),
      done(TOKEN.DONE, DONE.FINAL),
    ]);
  }

  /**
   * [MS-TDS] 2.2.6.7 SQL batch: ALL_HEADERS then UCS-2 text. The fake understands the session
   * SET statements tedious sends after login and `SELECT 1` (health checks).
   */
  private onBatch(payload: Buffer): void {
    const text = payload.subarray(payload.readUInt32LE(0)).toString('ucs2').trim();
    this.fake.batches.push(text);
    if (/^select\s+1\s*;?$/i.test(text)) return this.send([...resultSet(selectOne()), done(TOKEN.DONE, DONE.COUNT, 1)]);
    if (/^(set\s[^;]*;?\s*)+$/i.test(text.replace(/\n/g, ' '))) return this.send([done(TOKEN.DONE, DONE.FINAL)]);
    this.send([errorToken(new SqlError(102, `fake TDS server: unsupported batch '${text.slice(0, 60)}'.`), ''), done(TOKEN.DONE, DONE.ERROR)]);
  }

  /** [MS-TDS] 2.2.6.6 RPC request: a procedure (by name, or id 10 = sp_executesql) and its parameters. */
  private onRpc(payload: Buffer): void {
    const rpc = parseRpc(payload);
    if (rpc.proc === 10) {
      // sp_executesql: mssql validates a pooled connection with `SELECT 1;` this way.
      const statement = String(rpc.params.get('@statement') ?? [...rpc.params.values()][0] ?? '').trim();
      if (/^select\s+1\s*;?$/i.test(statement)) return this.send([...resultSet(selectOne()), done(TOKEN.DONEINPROC, DONE.COUNT, 1), returnStatus(0), done(TOKEN.DONEPROC, DONE.FINAL)]);
      throw new SqlError(102, `fake TDS server: unsupported statement '${statement.slice(0, 60)}'.`);
    }
    if (typeof rpc.proc === 'number') throw new SqlError(2812, `fake TDS server: unsupported procedure id ${rpc.proc}.`);
    const proc = normaliseProc(rpc.proc);
    const call: RpcCall = { proc, params: rpc.named, connection: this.id, result: 'ok' };
    this.fake.calls.push(call);
    const fault = this.fake.takeFault(proc);

    if (fault?.kind === 'error') {
      call.result = 'error';
      const message = fault.message ?? TRANSIENT_MESSAGES[fault.number] ?? `Error ${fault.number}`;
      return this.send([errorToken(new SqlError(fault.number, message, fault.severity ?? 16), proc), done(TOKEN.DONEPROC, DONE.ERROR)]);
    }
    if (fault?.kind === 'hang' || fault?.kind === 'drop') {
      call.result = fault.kind;
      if (fault.applied) {
        try {
          this.fake.db.exec(proc, rpc.params);
        } catch {
          // the client never hears about it either way
        }
      }
      if (fault.kind === 'drop') return void this.socket.destroy();
      this.hung = true;
      return;
    }
    let sets: ResultSet[];
    try {
      sets = this.fake.db.exec(proc, rpc.params);
    } catch (err) {
      if (!(err instanceof SqlError)) throw err;
      call.result = 'error';
      return this.send([errorToken(err, proc), returnStatus(-6), done(TOKEN.DONEPROC, DONE.ERROR)]);
    }
    const tokens: Buffer[] = [];
    for (const set of sets) tokens.push(...resultSet(set), done(TOKEN.DONEINPROC, DONE.COUNT | DONE.MORE, set.rows.length));
    this.send([...tokens, returnStatus(0), done(TOKEN.DONEPROC, DONE.FINAL)]);
  }

  /**
   * ATTENTION ([MS-TDS] 2.2.1.7, 3.2.5.7): the server stops the request and acknowledges with a
   * DONE carrying DONE_ATTN. When a request was pending, its (cut short) response comes first, as
   * its own message, and the acknowledgement follows in a second one; tedious reads them so.
   */
  private onAttention(): void {
    if (this.hung) {
      this.hung = false;
      this.send([done(TOKEN.DONE, DONE.FINAL)]);
    }
    this.send([done(TOKEN.DONE, DONE.ATTN)]);
  }

  private send(tokens: Buffer[]): void {
    this.sendMessage(Buffer.concat(tokens));
  }

  /** Splits a message into packets of at most the negotiated size, the last one with EOM. */
  private sendMessage(data: Buffer): void {
    if (this.socket.destroyed) return;
    const room = PACKET_SIZE - 8;
    let offset = 0;
    do {
      const part = data.subarray(offset, offset + room);
      offset += part.length;
      const header = Buffer.alloc(8);
      header.writeUInt8(PKT.TABULAR_RESULT, 0);
      header.writeUInt8(offset >= data.length ? STATUS_EOM : 0, 1);
      header.writeUInt16BE(8 + part.length, 2);
      header.writeUInt16BE(0, 4);
      header.writeUInt8(this.packetId++ % 256, 6);
      this.socket.write(Buffer.concat([header, part]));
    } while (offset < data.length);
  }
}

// ---- parsing client messages ----

interface Login7 {
  userName: string;
  password: string;
  database: string;
  /** The FEDAUTH feature, when LOGIN7 asks for Entra authentication. */
  fedAuth: { library: number; workflow: number | undefined } | undefined;
}

/**
 * [MS-TDS] 2.2.6.4: a 36-byte fixed part, then (offset, length-in-characters) pairs into the
 * variable part: HostName at 36, UserName 40, Password 44, AppName 48, ServerName 52,
 * extension 56, CltIntName 60, Language 64, Database 68. The password is scrambled: every byte
 * had its nibbles swapped and was XORed with 0xA5.
 */
function parseLogin7(buf: Buffer): Login7 {
  const field = (at: number): Buffer => {
    const offset = buf.readUInt16LE(at);
    const chars = buf.readUInt16LE(at + 2);
    return buf.subarray(offset, offset + chars * 2);
  };
  const scrambled = Buffer.from(field(44));
  for (let i = 0; i < scrambled.length; i++) {
    const x = (scrambled[i] ?? 0) ^ 0xa5;
    scrambled[i] = ((x & 0x0f) << 4) | (x >> 4);
  }
  return {
    userName: field(40).toString('ucs2'),
    password: scrambled.toString('ucs2'),
    database: field(68).toString('ucs2'),
    fedAuth: fedAuthFeature(buf),
  };
}

/**
 * With fExtension set in OptionFlags3 (byte 27, bit 0x10), ibExtension (offset 56) points at a
 * DWORD holding the offset of the FeatureExt block: (FeatureId, DWORD length, data)* then 0xFF.
 * FeatureId 0x02 is FEDAUTH, which an Entra login requests: its first byte is the library
 * (bits 1-7: 0x01 security token inline, 0x02 MSAL/ADAL) and the echo bit; with MSAL a workflow
 * byte follows (tedious sends 0x02, "integrated", for every credential-based type).
 */
function fedAuthFeature(buf: Buffer): Login7['fedAuth'] {
  if ((buf.readUInt8(27) & 0x10) === 0) return undefined;
  let at = buf.readUInt32LE(buf.readUInt16LE(56));
  while (at < buf.length && buf.readUInt8(at) !== 0xff) {
    const length = buf.readUInt32LE(at + 1);
    if (buf.readUInt8(at) === FEATURE_FEDAUTH) {
      const library = buf.readUInt8(at + 5) >> 1;
      return { library, workflow: library === FEDAUTH_LIBRARY_MSAL && length >= 2 ? buf.readUInt8(at + 6) : undefined };
    }
    at += 5 + length;
  }
  return undefined;
}

interface Rpc {
  proc: string | number;
  /** By lower-case name (SQL Server matches parameter names case-insensitively). */
  params: Map<string, SqlValue>;
  /** As the client named them, without the @. */
  named: Record<string, SqlValue>;
}

/**
 * [MS-TDS] 2.2.6.6: ALL_HEADERS, the procedure (US_VARCHAR name, or 0xFFFF + a well-known id),
 * option flags, then parameters: B_VARCHAR name, status flags, TYPE_INFO and the value.
 */
function parseRpc(buf: Buffer): Rpc {
  const r = new Reader(buf);
  r.skip(buf.readUInt32LE(0));
  const nameLength = r.u16();
  const proc = nameLength === 0xffff ? r.u16() : r.ucs2(nameLength);
  r.u16(); // option flags
  const params = new Map<string, SqlValue>();
  const named: Record<string, SqlValue> = {};
  let index = 0;
  while (!r.done) {
    const name = r.ucs2(r.u8()) || `@p${index}`;
    r.u8(); // status flags (by-ref for OUTPUT parameters)
    const value = readParamValue(r);
    params.set(name.toLowerCase(), value);
    named[name.replace(/^@/, '')] = value;
    index++;
  }
  return { proc, params, named };
}

/** TYPE_INFO ([MS-TDS] 2.2.5.6) and the value of one parameter, for the types the adapter sends. */
function readParamValue(r: Reader): SqlValue {
  const type = r.u8();
  switch (type) {
    case TYPE.NVARCHAR:
    case TYPE.NCHAR: {
      const maxLength = r.u16();
      r.skip(5); // collation
      if (maxLength === 0xffff) return r.plpText();
      const length = r.u16();
      return length === 0xffff ? null : r.ucs2(length / 2);
    }
    case TYPE.BITN: {
      r.u8();
      const length = r.u8();
      return length === 0 ? null : r.u8() !== 0;
    }
    case TYPE.INTN: {
      r.u8();
      const length = r.u8();
      if (length === 0) return null;
      if (length === 1) return r.u8();
      if (length === 2) return r.take(2).readInt16LE(0);
      if (length === 4) return r.take(4).readInt32LE(0);
      return Number(r.take(8).readBigInt64LE(0));
    }
    case TYPE.DATETIME2N:
    case TYPE.DATETIMEOFFSETN: {
      const scale = r.u8();
      const length = r.u8();
      if (length === 0) return null;
      const offsetBytes = type === TYPE.DATETIMEOFFSETN ? 2 : 0;
      const timeBytes = length - 3 - offsetBytes;
      const time = r.uintLE(timeBytes);
      const days = r.uintLE(3);
      r.skip(offsetBytes); // DATETIMEOFFSET stores UTC time and date; the offset is for display
      return new Date((days - EPOCH_DAYS) * DAY_MS + time / 10 ** (scale - 3));
    }
    default:
      throw new SqlError(8016, `fake TDS server: parameter type 0x${type.toString(16)} is not supported.`);
  }
}

class Reader {
  private offset = 0;
  constructor(private readonly buf: Buffer) {}
  get done(): boolean {
    return this.offset >= this.buf.length;
  }
  take(n: number): Buffer {
    if (this.offset + n > this.buf.length) throw new Error('message ends too early');
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  skip(n: number): void {
    this.take(n);
  }
  u8(): number {
    return this.take(1).readUInt8(0);
  }
  u16(): number {
    return this.take(2).readUInt16LE(0);
  }
  uintLE(n: number): number {
    return n === 0 ? 0 : this.take(n).readUIntLE(0, n);
  }
  ucs2(chars: number): string {
    return this.take(chars * 2).toString('ucs2');
  }
  /** PLP ([MS-TDS] 2.2.5.2.3): total length (or PLP_NULL), then chunks of (length, bytes) up to a 0 length. */
  plpText(): string | null {
    const total = this.take(8).readBigUInt64LE(0);
    if (total === PLP_NULL) return null;
    const chunks: Buffer[] = [];
    for (;;) {
      const length = this.take(4).readUInt32LE(0);
      if (length === 0) break;
      chunks.push(this.take(length));
    }
    return Buffer.concat(chunks).toString('ucs2');
  }
}

// ---- writing tokens ----

function bVarchar(s: string): Buffer {
  const body = Buffer.from(s, 'ucs2');
  return Buffer.concat([Buffer.from([s.length]), body]);
}

function usVarchar(s: string): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16LE(s.length);
  return Buffer.concat([len, Buffer.from(s, 'ucs2')]);
}

/** A token with a USHORT length before its body (ENVCHANGE, LOGINACK, ERROR). */
function lengthPrefixed(token: number, body: Buffer): Buffer {
  const head = Buffer.alloc(3);
  head.writeUInt8(token, 0);
  head.writeUInt16LE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** [MS-TDS] 2.2.7.9 ENVCHANGE with B_VARCHAR values (1 database, 4 packet size). */
function envChangeText(type: number, next: string, previous: string): Buffer {
  return lengthPrefixed(TOKEN.ENVCHANGE, Buffer.concat([Buffer.from([type]), bVarchar(next), bVarchar(previous)]));
}

/** ENVCHANGE with B_VARBYTE values (7 SQL collation). */
function envChangeBytes(type: number, next: Buffer): Buffer {
  return lengthPrefixed(TOKEN.ENVCHANGE, Buffer.concat([Buffer.from([type, next.length]), next, Buffer.from([0])]));
}

/** [MS-TDS] 2.2.7.14 LOGINACK: interface SQL_TSQL, TDS 7.4 (big-endian), program name and version. */
function loginAck(): Buffer {
  const version = Buffer.alloc(4);
  version.writeUInt32BE(TDS_7_4);
  return lengthPrefixed(TOKEN.LOGINACK, Buffer.concat([Buffer.from([1]), version, bVarchar('Microsoft SQL Server'), Buffer.from([16, 0, 0x10, 0x00])]));
}

/**
 * [MS-TDS] 2.2.7.12 FEDAUTHINFO: DWORD length, CountOfInfoIDs, then per info its id (0x01 STS
 * URL, 0x02 SPN), data length and data offset (from CountOfInfoIDs), then the UCS-2 data.
 */
function fedAuthInfo(stsUrl: string, spn: string): Buffer {
  const infos: [number, Buffer][] = [
    [0x01, Buffer.from(stsUrl, 'ucs2')],
    [0x02, Buffer.from(spn, 'ucs2')],
  ];
  const head = Buffer.alloc(4 + infos.length * 9);
  head.writeUInt32LE(infos.length, 0);
  let offset = head.length;
  infos.forEach(([id, data], i) => {
    head.writeUInt8(id, 4 + i * 9);
    head.writeUInt32LE(data.length, 5 + i * 9);
    head.writeUInt32LE(offset, 9 + i * 9);
    offset += data.length;
  });
  const body = Buffer.concat([head, ...infos.map(([, d]) => d)]);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(TOKEN.FEDAUTHINFO, 0);
  prefix.writeUInt32LE(body.length, 1);
  return Buffer.concat([prefix, body]);
}

/** [MS-TDS] 2.2.7.11 FEATUREEXTACK for FEDAUTH with the MSAL library: no data (no nonce was exchanged), then the terminator. */
function featureExtAckFedAuth(): Buffer {
  const b = Buffer.alloc(7);
  b.writeUInt8(TOKEN.FEATUREEXTACK, 0);
  b.writeUInt8(FEATURE_FEDAUTH, 1);
  b.writeUInt32LE(0, 2);
  b.writeUInt8(0xff, 6);
  return b;
}

/** [MS-TDS] 2.2.7.10 ERROR: number, state, class, message, server, procedure, line. */
function errorToken(e: SqlError, proc: string): Buffer {
  const fixed = Buffer.alloc(6);
  fixed.writeInt32LE(e.number, 0);
  fixed.writeUInt8(e.state, 4);
  fixed.writeUInt8(e.severity, 5);
  const line = Buffer.alloc(4);
  line.writeInt32LE(1);
  return lengthPrefixed(TOKEN.ERROR, Buffer.concat([fixed, usVarchar(e.message), bVarchar('fake'), bVarchar(proc.split('.').pop() ?? ''), line]));
}

/** [MS-TDS] 2.2.7.6/7/8 DONE, DONEPROC, DONEINPROC: status, current command, 64-bit row count. */
function done(token: number, status: number, rowCount = 0): Buffer {
  const b = Buffer.alloc(13);
  b.writeUInt8(token, 0);
  b.writeUInt16LE(status, 1);
  b.writeUInt16LE(0xc1, 3);
  b.writeBigUInt64LE(BigInt(rowCount), 5);
  return b;
}

/** [MS-TDS] 2.2.7.18 RETURNSTATUS: the procedure's return value. */
function returnStatus(value: number): Buffer {
  const b = Buffer.alloc(5);
  b.writeUInt8(TOKEN.RETURNSTATUS, 0);
  b.writeInt32LE(value, 1);
  return b;
}

function selectOne(): ResultSet {
  return { columns: [{ name: '', type: 'int' }], rows: [[1]] };
}

/** [MS-TDS] 2.2.7.4 COLMETADATA then 2.2.7.19 ROW tokens. */
function resultSet(set: ResultSet): Buffer[] {
  const count = Buffer.alloc(3);
  count.writeUInt8(TOKEN.COLMETADATA, 0);
  count.writeUInt16LE(set.columns.length, 1);
  const meta = [count, ...set.columns.map(columnMetadata)];
  const rows = set.rows.map((row) => Buffer.concat([Buffer.from([TOKEN.ROW]), ...set.columns.map((c, i) => columnValue(c, row[i] ?? null))]));
  return [Buffer.concat(meta), ...rows];
}

/** UserType (ULONG), Flags (USHORT, nullable), TYPE_INFO, column name. */
function columnMetadata(c: Column): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt32LE(0, 0);
  head.writeUInt16LE(0x0001, 4);
  let typeInfo: Buffer;
  switch (c.type) {
    case 'nvarchar':
      typeInfo = Buffer.concat([Buffer.from([TYPE.NVARCHAR, 0x40, 0x1f]), COLLATION]); // nvarchar(4000): 8000 bytes
      break;
    case 'nvarchar(max)':
      typeInfo = Buffer.concat([Buffer.from([TYPE.NVARCHAR, 0xff, 0xff]), COLLATION]);
      break;
    case 'bit':
      typeInfo = Buffer.from([TYPE.BITN, 1]);
      break;
    case 'int':
      typeInfo = Buffer.from([TYPE.INTN, 4]);
      break;
    case 'bigint':
      typeInfo = Buffer.from([TYPE.INTN, 8]);
      break;
    case 'datetime2':
      typeInfo = Buffer.from([TYPE.DATETIME2N, 3]);
      break;
  }
  return Buffer.concat([head, typeInfo, bVarchar(c.name)]);
}

function columnValue(c: Column, v: SqlValue): Buffer {
  switch (c.type) {
    case 'nvarchar': {
      if (v === null) return Buffer.from([0xff, 0xff]);
      const body = Buffer.from(String(v).slice(0, 4000), 'ucs2');
      const len = Buffer.alloc(2);
      len.writeUInt16LE(body.length);
      return Buffer.concat([len, body]);
    }
    case 'nvarchar(max)': {
      const total = Buffer.alloc(8);
      if (v === null) {
        total.writeBigUInt64LE(PLP_NULL);
        return total;
      }
      const body = Buffer.from(String(v), 'ucs2');
      total.writeBigUInt64LE(BigInt(body.length));
      const chunk = Buffer.alloc(4);
      chunk.writeUInt32LE(body.length);
      return Buffer.concat(body.length ? [total, chunk, body, Buffer.alloc(4)] : [total, Buffer.alloc(4)]);
    }
    case 'bit':
      return v === null ? Buffer.from([0]) : Buffer.from([1, v ? 1 : 0]);
    case 'int': {
      if (v === null) return Buffer.from([0]);
      const b = Buffer.alloc(5);
      b.writeUInt8(4, 0);
      b.writeInt32LE(Number(v), 1);
      return b;
    }
    case 'bigint': {
      if (v === null) return Buffer.from([0]);
      const b = Buffer.alloc(9);
      b.writeUInt8(8, 0);
      b.writeBigInt64LE(BigInt(Number(v)), 1);
      return b;
    }
    case 'datetime2': {
      // Scale 3: 4 bytes of milliseconds since midnight, then 3 bytes of days since 0001-01-01.
      if (v === null) return Buffer.from([0]);
      const ms = (v instanceof Date ? v : new Date(String(v))).getTime();
      const days = Math.floor(ms / DAY_MS) + EPOCH_DAYS;
      const b = Buffer.alloc(8);
      b.writeUInt8(7, 0);
      b.writeUInt32LE(ms - Math.floor(ms / DAY_MS) * DAY_MS, 1);
      b.writeUIntLE(days, 5, 3);
      return b;
    }
  }
}
