/**
 * Redaction of secrets before anything reaches the evidence archive (which is immutable for a
 * year: a leaked secret there cannot be deleted, only rotated). Pure: strings and JSON values in,
 * redacted copies and a count of what was removed out.
 *
 * Two mechanisms:
 *  - patterns over text (bearer/basic credentials, function keys in URLs and headers, SAS
 *    signatures, connection-string keys and passwords, client secrets, JWTs, PEM private keys,
 *    storage account keys, common token formats), applied to every string, including JSON keys
 *    and JSON that sits serialised inside a string;
 *  - field names in JSON objects (password, secret, token, code, apiKey, authorization, ...): the
 *    value is replaced whatever it looks like (a secret without digits is still a secret).
 *
 * A removed value becomes `[REDACTED:<kind>]`. The marker never matches a pattern, so redaction
 * is idempotent (the text patterns run to a fixpoint as well, for the odd overlap). Bias: when a
 * match is ambiguous, remove it; a few lost characters in a log line are cheaper than a key in a
 * WORM archive. Ordinary content (GUIDs, commit SHAs, resource ids, URLs without secrets, prose
 * mentioning "password") is left alone: patterns need a key/value shape or a secret's format.
 */

import { MAX_JSON_DEPTH } from './json-fields.js';

export type RedactionKind =
  | 'private-key'
  | 'jwt'
  | 'bearer'
  | 'authorization'
  | 'function-key'
  | 'sas-signature'
  | 'account-key'
  | 'shared-access-key'
  | 'password'
  | 'client-secret'
  | 'storage-key'
  | 'api-key'
  | 'github-token'
  | 'aws-key'
  | 'secret-field';

export const REDACTED_PREFIX = '[REDACTED:';

export function marker(kind: RedactionKind): string {
  return `${REDACTED_PREFIX}${kind}]`;
}

export type RedactionCounts = Partial<Record<RedactionKind, number>>;

interface Rule {
  kind: RedactionKind;
  pattern: RegExp;
  /** The replacement keeps the capture groups named `keep` (the key, the separator) and drops the rest. */
  replace: (match: string, ...groups: (string | undefined)[]) => string;
}

// A value in a key=value list ends at these (connection strings, query strings, headers).
const VALUE = String.raw`[^\s;&"'<>,\[\]{}()|\\]+`;
// Quoted values: "..." or '...' (with escaped quotes inside).
const QUOTED = String.raw`"(?:[^"\\\r\n]|\\.)*"|'(?:[^'\\\r\n]|\\.)*'`;

const keepPrefix = (kind: RedactionKind) => (_m: string, prefix: string | undefined) => `${prefix ?? ''}${marker(kind)}`;
const whole = (kind: RedactionKind) => () => marker(kind);

/** Field names whose value is a secret whatever it looks like (compared without case, "-", "_", "."). */
const SECRET_FIELD_EXACT = new Set([
  'password',
  'passwd',
  'pwd',
  'pass',
  'passphrase',
  'secret',
  'clientsecret',
  'token',
  'apikey',
  'apitoken',
  'accesskey',
  'secretkey',
  'privatekey',
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'xfunctionskey',
  'functionkey',
  'functionskey',
  'masterkey',
  'hostkey',
  'code',
  'sig',
  'signature',
  'sas',
  'sastoken',
  'accountkey',
  'sharedaccesskey',
  'sharedaccesssignature',
  'connectionstring',
  'ocpapimsubscriptionkey',
  'subscriptionkey',
  'xapikey',
  'xmsclientsecret',
  'credential',
  'credentials',
]);
/** Suffixes that make a field secret too (accessToken, dbPassword, AzureWebJobsStorage connection strings...). */
const SECRET_FIELD_SUFFIXES = ['password', 'secret', 'token', 'apikey', 'accesskey', 'privatekey', 'connectionstring', 'sastoken', 'credentials'];

function normaliseField(name: string): string {
  return name.toLowerCase().replace(/[-_.\s]/g, '');
}

/** Is `name` the name of a field that holds a secret? */
export function isSecretField(name: string): boolean {
  const n = normaliseField(name);
  if (SECRET_FIELD_EXACT.has(n)) return true;
  // "tokenType", "secretName" and "passwordPolicy" are not secrets; "accessToken" is.
  return SECRET_FIELD_SUFFIXES.some((s) => n.endsWith(s) && n.length > s.length);
}

/** Key names in `key=value` / `key: value` text that hold a password-like value. */
const PASSWORD_KEYS = String.raw`password|passwd|pwd|passphrase|client[_-]?secret|clientsecret|secret[_-]?key|api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|id[_-]?token|auth[_-]?token`;

const RULES: Rule[] = [
  // PEM private keys (RSA, EC, OpenSSH, PKCS#8, encrypted), whole block; a truncated block to the end.
  {
    kind: 'private-key',
    pattern: /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$(?![\s\S]))/g,
    replace: whole('private-key'),
  },
  // PEM inside JSON text, with literal "\n" escapes: same idea, already covered by [\s\S]. Keep order.
  // JWTs (also id/access tokens that are not preceded by "Bearer"): three base64url segments.
  {
    kind: 'jwt',
    pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
    replace: whole('jwt'),
  },
  // Authorization: Bearer <token>. Prose like "a bearer token" has no digits or separators in the
  // next word, so the token must contain one and be long enough.
  {
    kind: 'bearer',
    pattern: /(\bBearer\s+)(?=[A-Za-z0-9._~+/-]*[0-9._~+/-])[A-Za-z0-9._~+/-]{12,}=*/gi,
    replace: keepPrefix('bearer'),
  },
  // Authorization headers, whatever the scheme (Basic, SharedKey account:signature,
  // SharedAccessSignature ..., a bare token): the scheme word stays, the credential goes.
  {
    kind: 'authorization',
    // The scheme word is taken atomically ((?=(x))\2), so it cannot be given back to the value.
    pattern: /(\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?(?:(?=([A-Za-z-]+[ \t]+))\2|(?![A-Za-z-]+[ \t]+)))(?!\[REDACTED)[^\s"',;][^\r\n"',;]*/gi,
    replace: keepPrefix('authorization'),
  },
  // Function keys: ?code=... / &code=... in URLs, x-functions-key headers.
  {
    kind: 'function-key',
    pattern: new RegExp(String.raw`([?&](?:amp;)?code=)(?!\[REDACTED)${VALUE}`, 'gi'),
    replace: keepPrefix('function-key'),
  },
  {
    kind: 'function-key',
    pattern: new RegExp(String.raw`(\bx-functions-key["']?\s*[:=]\s*["']?)(?!\[REDACTED)${VALUE}`, 'gi'),
    replace: keepPrefix('function-key'),
  },
  // A query string without its "?" (a form body, a URL fragment, a "query" field, parameters in a
  // log line): code= at the start or after a separator, when a "&" follows its value (it is a
  // query string) or the value is key material (20+ key characters). "code=origin_forbidden," in
  // prose is neither.
  {
    kind: 'function-key',
    pattern: new RegExp(String.raw`((?:^|[\s"'(,;#])code=)(?!\[REDACTED)(?:${VALUE}(?=&)|[A-Za-z0-9_+/=%.~-]{20,}(?![^\s;&"'<>,\[\]{}()|\\]))`, 'gim'),
    replace: keepPrefix('function-key'),
  },
  // SAS signatures: sig=... in URLs, SAS tokens and SharedAccessSignature connection strings.
  {
    kind: 'sas-signature',
    pattern: new RegExp(String.raw`((?:^|[?&;\s"'=])(?:amp;)?sig=)(?!\[REDACTED)${VALUE}`, 'gim'),
    replace: keepPrefix('sas-signature'),
  },
  // Storage / Service Bus / Event Hubs / Cosmos connection strings.
  {
    kind: 'account-key',
    pattern: new RegExp(String.raw`(\b(?:AccountKey|AccessKey|PrimaryKey|SecondaryKey)\s*=\s*)(?!\[REDACTED)${VALUE}`, 'gi'),
    replace: keepPrefix('account-key'),
  },
  {
    kind: 'shared-access-key',
    pattern: new RegExp(String.raw`(\bSharedAccessKey(?!Name)\s*=\s*)(?!\[REDACTED)${VALUE}`, 'gi'),
    replace: keepPrefix('shared-access-key'),
  },
  // SQL-style Password=...; values may contain spaces and "&" and are quoted when they contain ";",
  // so an unquoted value runs to the next ";" or the end of the line.
  {
    kind: 'password',
    pattern: new RegExp(String.raw`(\b(?:Password|Pwd)\s*=\s*)(?!\[REDACTED)(?:${QUOTED}|\{[^}\r\n]*\}|[^;\r\n"']+)`, 'gi'),
    replace: keepPrefix('password'),
  },
  // Credentials in URLs: scheme://user:password@host.
  {
    kind: 'password',
    pattern: /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/?#@"'<>]+:)(?!\[REDACTED)[^\s@/?#"'<>]+(?=@)/gi,
    replace: keepPrefix('password'),
  },
  // "password": "..." inside serialised JSON, and password: value / password=value in logs,
  // query strings and YAML. The key shape is required: prose about passwords has neither ":" nor "=".
  {
    kind: 'password',
    pattern: new RegExp(String.raw`((?:${PASSWORD_KEYS})["']?\s*[:=]\s*)(?!["']?\[REDACTED)(?:${QUOTED}|[^\s,;&"'<>}\]]+)`, 'gi'),
    replace: keepPrefix('password'),
  },
  // Secrets as query parameters (OAuth and API-key styles), in a URL or in a query string anywhere
  // (a fragment, a form body, the start of a line): these names are secrets whatever the value.
  {
    kind: 'password',
    pattern: new RegExp(String.raw`((?:^|[?&#\s"'(,;])(?:amp;)?(?:token|access_token|id_token|refresh_token|api[_-]?key|client_secret|password|secret|subscription-key|x-functions-key)=)(?!\[REDACTED)${VALUE}`, 'gim'),
    replace: keepPrefix('password'),
  },
  // Entra ID client secrets: 3 characters, a digit, "Q~", then 31-34 characters.
  {
    kind: 'client-secret',
    pattern: /(?<![A-Za-z0-9_~.-])[A-Za-z0-9_.-]{3}[0-9]Q~[A-Za-z0-9_.~-]{31,34}(?![A-Za-z0-9_~.-])/g,
    replace: whole('client-secret'),
  },
  // Storage account keys without their "AccountKey=" (512-bit keys: 86 base64 characters + "==").
  {
    kind: 'storage-key',
    pattern: /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])/g,
    replace: whole('storage-key'),
  },
  // Well-known token formats: GitHub, AWS access key ids.
  {
    kind: 'github-token',
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b/g,
    replace: whole('github-token'),
  },
  {
    kind: 'aws-key',
    pattern: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
    replace: whole('aws-key'),
  },
  // API-key headers.
  {
    kind: 'api-key',
    pattern: new RegExp(String.raw`(\b(?:ocp-apim-subscription-key|x-api-key|api-key)["']?\s*[:=]\s*["']?)(?!\[REDACTED)${VALUE}`, 'gi'),
    replace: keepPrefix('api-key'),
  },
];

function count(counts: RedactionCounts, kind: RedactionKind, n = 1): void {
  counts[kind] = (counts[kind] ?? 0) + n;
}

function applyRules(text: string, counts: RedactionCounts): string {
  let out = text;
  for (const rule of RULES) {
    rule.pattern.lastIndex = 0;
    out = out.replace(rule.pattern, (match: string, ...rest: unknown[]) => {
      const groups = rest.slice(0, -2).filter((g): g is string | undefined => typeof g === 'string' || g === undefined);
      const replaced = rule.replace(match, ...groups);
      if (replaced !== match) count(counts, rule.kind);
      return replaced;
    });
  }
  return out;
}

/** Redacts secrets in a string; idempotent. */
export function redactText(text: string, counts: RedactionCounts = {}): string {
  let out = text;
  // A fixpoint: one replacement can reveal a shape another rule matches (rare); stop when stable.
  for (let i = 0; i < 4; i++) {
    const next = applyRules(out, counts);
    if (next === out) break;
    out = next;
  }
  return out;
}

export interface Redacted<T> {
  value: T;
  counts: RedactionCounts;
  total: number;
}

function total(counts: RedactionCounts): number {
  return Object.values(counts).reduce((s, n) => s + (n ?? 0), 0);
}

/** Deeper values are replaced whole: the HTTP layer refuses deeper bodies before they get here. */
const MAX_DEPTH = MAX_JSON_DEPTH;

function redactValue(value: unknown, counts: RedactionCounts, depth: number): unknown {
  if (typeof value === 'string') return redactText(value, counts);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return marker('secret-field');
  if (Array.isArray(value)) return value.map((v) => redactValue(v, counts, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const key = redactText(k, counts);
    // Defined, not assigned: JSON.parse makes "__proto__" an own key, and `out[key] = v` would
    // make the value the copy's prototype instead of copying it.
    Object.defineProperty(out, key, { value: redactField(k, v, counts, depth), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function redactField(name: string, v: unknown, counts: RedactionCounts, depth: number): unknown {
  if (!isSecretField(name) || v === null || v === undefined || typeof v === 'boolean') return redactValue(v, counts, depth + 1);
  // Whatever the value looks like: "token": "lettersonly" is as secret as one with digits.
  if (typeof v === 'string') {
    if (v === '' || v.startsWith(REDACTED_PREFIX)) return v;
    count(counts, 'secret-field');
    return marker('secret-field');
  }
  if (typeof v === 'number') {
    count(counts, 'secret-field');
    return marker('secret-field');
  }
  // A list under a secret name (["Bearer ...", "Basic ..."]): each item is such a value. An object
  // is described by its own fields (the Activity Log's "authorization": {action, scope} is not a
  // credential), so it is redacted field by field.
  if (Array.isArray(v)) {
    if (depth > MAX_DEPTH) return marker('secret-field');
    return v.map((x) => redactField(name, x, counts, depth + 1));
  }
  return redactValue(v, counts, depth + 1);
}

/** Redacts a JSON value (recursively: every string, every key, every secret-named field). Idempotent. */
export function redactJson<T>(value: T): Redacted<T> {
  const counts: RedactionCounts = {};
  const out = redactValue(value, counts, 0) as T;
  return { value: out, counts, total: total(counts) };
}

/** Redacts a string and reports what was removed. */
export function redactString(text: string): Redacted<string> {
  const counts: RedactionCounts = {};
  const out = redactText(text, counts);
  return { value: out, counts, total: total(counts) };
}
