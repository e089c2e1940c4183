/**
 * Redaction before evidence is written: every secret kind in the shapes it really takes (curl
 * lines, connection strings, alert payloads, log lines, serialised JSON), ordinary content left
 * alone, and two properties over generated input: redaction is idempotent and never copies a
 * secret into its output.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSecretField, redactJson, redactString } from '../../src/domain/redact.js';

// Realistic-looking, fake secrets (none of them valid anywhere).
const STORAGE_KEY = 'k2Jq8vR1mZ5xT0pL7wN3bC9dF4gH6jK2lM8nP1qR5sT7uV9wX3yZ0aB2cD4eF6gH8iJ0kL2mN4oP6qR8sT0u1a==';
const SB_KEY = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5PQ=';
const JWT =
  'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImtpZCI6Ik1yNS1BVWliZkJpaTdOZDFqQmViYXhib1hXMCJ9.' +
  'eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tIiwiaXNzIjoiaHR0cHM6Ly9zdHMud2luZG93cy5uZXQvIiwib2lkIjoiMTIzNCJ9.' +
  'Vf8qH3tK2l9mN0pQ1rS4uW5xY6zA7bC8dE9fG0hI1jK2lM3nO4pQ5rS6tU7vW8xY9zA0bC1dE2fG3hI4jK5lM6nO7p';
const FUNCTION_KEY = 'Yq3nZ0x4Lr8KcW1vB6tPq9sD2fG5hJ7kL0mN3bV8cX1zA4sD6fG9hJ2kL5mN8bV==';
const SAS_SIG = 'Qk3n8%2FrZtYv1XwP0aB5cD7eF9gH2jK4lM6nP8qR0sT%3D';
const CLIENT_SECRET = 'Xy78Q~aB3cD5eF7gH9iJ1kL3mN5oP7qR9sT1uV3w';
const OPAQUE_BEARER = 'ya29.a0AfH6SMBx3kq9ZtLw-7_Pq2Rn8Vb0Xc4Yd6Fe1Gh3Jk5Lm';
const SQL_PASSWORD = 'Tr0ub4dor&3x!';
const GH_TOKEN = 'ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R';
const PEM = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
  'VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK',
  'LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo',
  '-----END RSA PRIVATE KEY-----',
].join('\n');

interface Case {
  name: string;
  input: string;
  secrets: string[];
  kind: string;
  /** Text around the secret that must survive. */
  keeps: string[];
}

const cases: Case[] = [
  {
    name: 'bearer token in a curl line (RB-03 section 12)',
    input: `curl -fsS -H "Authorization: Bearer ${OPAQUE_BEARER}" https://api-prod.contoso.com/api/healthz`,
    secrets: [OPAQUE_BEARER],
    kind: 'bearer',
    keeps: ['curl -fsS -H "Authorization: Bearer ', 'https://api-prod.contoso.com/api/healthz'],
  },
  {
    name: 'JWT as a bearer token',
    input: `Authorization: Bearer ${JWT}`,
    secrets: [JWT, JWT.split('.')[1]!],
    kind: 'jwt',
    keeps: ['Authorization: Bearer '],
  },
  {
    name: 'short bearer token in an Authorization header',
    input: 'authorization: Bearer abc123',
    secrets: ['abc123'],
    kind: 'authorization',
    keeps: ['authorization: Bearer '],
  },
  {
    name: 'Basic credentials',
    input: 'Proxy-Authorization: Basic cG9ydGFsX2FwcDpodW50ZXIy',
    secrets: ['cG9ydGFsX2FwcDpodW50ZXIy'],
    kind: 'authorization',
    keeps: ['Proxy-Authorization: Basic '],
  },
  {
    name: 'storage SharedKey authorization in a logged request',
    input: 'PUT /incident-evidence/x.json Authorization: SharedKey stincidentprod:8mN3bV1cX0zA4sD6fG9hJ2kL5mN8bV=',
    secrets: ['stincidentprod:8mN3bV1cX0zA4sD6fG9hJ2kL5mN8bV='],
    kind: 'authorization',
    keeps: ['Authorization: SharedKey '],
  },
  {
    name: 'function key in a webhook URL (code=)',
    input: `https://func-incident-prod.azurewebsites.net/api/alerts?code=${FUNCTION_KEY}&clientId=default`,
    secrets: [FUNCTION_KEY],
    kind: 'function-key',
    keeps: ['https://func-incident-prod.azurewebsites.net/api/alerts?code=', '&clientId=default'],
  },
  {
    name: 'function key in an x-functions-key header',
    input: `POST /api/incidents HTTP/1.1\r\nx-functions-key: ${FUNCTION_KEY}\r\ncontent-type: application/json`,
    secrets: [FUNCTION_KEY],
    kind: 'function-key',
    keeps: ['x-functions-key: ', 'content-type: application/json'],
  },
  {
    name: 'SAS signature in a blob URL',
    input: `https://stincidentprod.blob.core.windows.net/incident-evidence/Prod/2026/01/inc-1/timeline.json?sv=2024-08-04&ss=b&srt=o&sp=r&se=2026-02-01T00:00:00Z&spr=https&sig=${SAS_SIG}`,
    secrets: [SAS_SIG],
    kind: 'sas-signature',
    keeps: ['sv=2024-08-04&ss=b&srt=o&sp=r&se=2026-02-01T00:00:00Z&spr=https&sig=', '/Prod/2026/01/inc-1/timeline.json'],
  },
  {
    name: 'SAS connection string',
    input: `BlobEndpoint=https://stincidentprod.blob.core.windows.net/;SharedAccessSignature=sv=2024-08-04&ss=b&srt=sco&sp=rl&sig=${SAS_SIG}`,
    secrets: [SAS_SIG],
    kind: 'sas-signature',
    keeps: ['BlobEndpoint=https://stincidentprod.blob.core.windows.net/;SharedAccessSignature=sv=2024-08-04'],
  },
  {
    name: 'storage connection string (AccountKey=)',
    input: `DefaultEndpointsProtocol=https;AccountName=stincidentprod;AccountKey=${STORAGE_KEY};EndpointSuffix=core.windows.net`,
    secrets: [STORAGE_KEY, STORAGE_KEY.slice(0, 40)],
    kind: 'account-key',
    keeps: ['AccountName=stincidentprod;AccountKey=', ';EndpointSuffix=core.windows.net'],
  },
  {
    name: 'SQL connection string (Password= with "&" and "!")',
    input: `Server=tcp:sql-portal-prod.database.windows.net,1433;Initial Catalog=Portal;User ID=portal_app;Password=${SQL_PASSWORD};Encrypt=True;`,
    secrets: [SQL_PASSWORD, '3x!'],
    kind: 'password',
    keeps: ['Server=tcp:sql-portal-prod.database.windows.net,1433;Initial Catalog=Portal;User ID=portal_app;Password=', ';Encrypt=True;'],
  },
  {
    name: 'SQL connection string with a quoted password containing ";"',
    input: 'Server=sql1;Database=Portal;Uid=bot;Pwd="p;ss w0rd";TrustServerCertificate=False',
    secrets: ['p;ss w0rd', 'ss w0rd'],
    kind: 'password',
    keeps: ['Uid=bot;Pwd=', ';TrustServerCertificate=False'],
  },
  {
    name: 'Service Bus connection string (SharedAccessKey=)',
    input: `Endpoint=sb://sb-incident-prod.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${SB_KEY}`,
    secrets: [SB_KEY],
    kind: 'shared-access-key',
    keeps: ['SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey='],
  },
  {
    name: 'password in serialised JSON inside a log line',
    input: 'login request body: {"user":"portal_admin","password":"Summer2026!Prod","remember":true}',
    secrets: ['Summer2026!Prod'],
    kind: 'password',
    keeps: ['{"user":"portal_admin","password":', ',"remember":true}'],
  },
  {
    name: 'password in YAML and in a URL',
    input: 'db:\n  user: app\n  password: S3cr3t-Pa55\nurl: https://app:Hunter2Pass@git.contoso.com/repo.git',
    secrets: ['S3cr3t-Pa55', 'Hunter2Pass'],
    kind: 'password',
    keeps: ['user: app', 'https://app:', '@git.contoso.com/repo.git'],
  },
  {
    name: 'client secret in an environment dump and bare',
    input: `AZURE_CLIENT_ID=11111111-2222-3333-4444-555555555555\nAZURE_CLIENT_SECRET=${CLIENT_SECRET}\nleaked: ${CLIENT_SECRET}`,
    secrets: [CLIENT_SECRET],
    kind: 'password',
    keeps: ['AZURE_CLIENT_ID=11111111-2222-3333-4444-555555555555'],
  },
  {
    name: 'JWT on its own (id_token in a redirect)',
    input: `https://portal.contoso.com/signin-oidc#id_token=${JWT}&state=abc`,
    secrets: [JWT],
    kind: 'jwt',
    keeps: ['https://portal.contoso.com/signin-oidc#id_token=', '&state=abc'],
  },
  {
    name: 'PEM private key',
    input: `key file contents:\n${PEM}\n(end)`,
    secrets: ['MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun', 'LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo'],
    kind: 'private-key',
    keeps: ['key file contents:\n', '\n(end)'],
  },
  {
    name: 'storage account key without its AccountKey=',
    input: `az storage blob list --account-key ${STORAGE_KEY} --container-name incident-evidence`,
    secrets: [STORAGE_KEY],
    kind: 'storage-key',
    keeps: ['--container-name incident-evidence'],
  },
  {
    name: 'GitHub token',
    input: `git clone https://x-access-token:${GH_TOKEN}@github.com/contoso/portal`,
    secrets: [GH_TOKEN],
    kind: 'password',
    keeps: ['github.com/contoso/portal'],
  },
];

describe('redaction of every secret kind', () => {
  it.each(cases)('$name', ({ input, secrets, kind, keeps }) => {
    const out = redactString(input);
    for (const s of secrets) expect(out.value).not.toContain(s);
    for (const k of keeps) expect(out.value).toContain(k);
    expect(out.value).toContain('[REDACTED:');
    expect(out.counts[kind as keyof typeof out.counts]).toBeGreaterThan(0);
    // Idempotent on the sample too.
    expect(redactString(out.value).value).toBe(out.value);
    expect(redactString(out.value).total).toBe(0);
  });

  it('redacts JSON values by field name, recursively, whatever they look like', () => {
    const payload = {
      schemaId: 'azureMonitorCommonAlertSchema',
      data: {
        essentials: { alertId: '/subscriptions/0000/providers/Microsoft.AlertsManagement/alerts/9f1c', severity: 'Sev1' },
        customProperties: { environment: 'Prod', apiKey: 'plain-words', 'x-functions-key': 'short', dbPassword: 'pw' },
        request: {
          headers: { Authorization: ['Bearer abc', 'Basic Zm9v'], 'Ocp-Apim-Subscription-Key': 1234567, cookie: 'ARRAffinity=abc; .AspNetCore.Session=xyz' },
          body: { client_secret: CLIENT_SECRET, accessToken: JWT, refreshToken: '0.AXoA1x', credentials: { user: 'svc', password: 'pw2' } },
        },
        settings: { AzureWebJobsStorage: `DefaultEndpointsProtocol=https;AccountName=x;AccountKey=${STORAGE_KEY}`, SqlConnectionString: 'Server=s;Password=pw3;' },
      },
    };
    const out = redactJson(payload);
    const text = JSON.stringify(out.value);
    for (const s of ['plain-words', '"short"', '"pw"', 'Bearer abc', 'Zm9v', '1234567', '.AspNetCore.Session=xyz', CLIENT_SECRET, JWT, '0.AXoA1x', 'pw2', STORAGE_KEY, 'pw3']) {
      expect(text).not.toContain(s);
    }
    expect(out.value.data.essentials).toEqual(payload.data.essentials);
    expect(out.value.data.customProperties.environment).toBe('Prod');
    expect(out.value.data.request.body.credentials).toEqual({ user: 'svc', password: '[REDACTED:secret-field]' });
    expect(out.value.data.settings.AzureWebJobsStorage).toBe('DefaultEndpointsProtocol=https;AccountName=x;AccountKey=[REDACTED:account-key]');
    expect(out.total).toBeGreaterThanOrEqual(12);
    expect(redactJson(out.value)).toEqual({ value: out.value, counts: {}, total: 0 });
  });

  it('names secret fields by suffix but leaves look-alikes alone', () => {
    for (const n of ['password', 'Password', 'db_password', 'clientSecret', 'CLIENT_SECRET', 'accessToken', 'x-functions-key', 'apiKey', 'api-key', 'Authorization', 'sasToken', 'StorageConnectionString']) {
      expect(isSecretField(n), n).toBe(true);
    }
    for (const n of ['tokenType', 'secretName', 'passwordPolicy', 'maxTokens', 'keyVaultUri', 'FlagKey', 'alertId', 'requestId', 'authorizationUri']) {
      expect(isSecretField(n), n).toBe(false);
    }
  });
});

describe('no false removal of ordinary content', () => {
  const ordinary = [
    'Incident inc-prod-api-3f2a9c01de declared at 2026-01-14T09:12:03Z by incident-bot.',
    'Correlation 8f4e2c1a-3b5d-4e6f-9a7b-0c1d2e3f4a5b, request 0HN1GJ8K4T3UQ:00000001.',
    'Release r41 is commit 3f2a9c01de5b7a8c9d0e1f2a3b4c5d6e7f8a9b0c (build 20260114.3).',
    '/subscriptions/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e/resourceGroups/rg-portal-prod/providers/Microsoft.Web/sites/api-prod/slots/staging',
    'https://api-prod.contoso.com/api/healthz?probe=1&region=westeurope',
    'https://portal.azure.com/#@contoso.onmicrosoft.com/resource/subscriptions/0b1c/resourceGroups/rg/overview',
    'https://stincidentprod.blob.core.windows.net/incident-evidence/Prod/2026/01/inc-prod-api-3f2a9c01de/manifest.json',
    'Rotate the SQL password after the incident; the token cache was flushed and the secret store is healthy.',
    'Bearer token validation failed for 3 requests (audience mismatch); see the authorization policy.',
    'HTTP 401: missing Authorization header. Envelope code=origin_forbidden, requestId=7c9e6679.',
    'EXEC dbo.sp_Feature_Set @FlagKey=N\'EnableLegacyHttpSse\', @IsEnabled=0, @Scope=N\'Prod\', @Actor=N\'incident-bot\', @RequestId=N\'inc-1:contain\';',
    'SSE TTFB 182 ms median, heartbeat 9.8 s, p95 JSON 540 ms; 5xx 0.4 % over 5 min.',
    'The keyboard shortcut for the passwords page is Ctrl+P; the signature on the ADR is pending.',
    'Signal: {"code":"BlobAlreadyExists","message":"The specified blob already exists."}',
  ];
  it.each(ordinary)('%s', (text) => {
    expect(redactString(text)).toEqual({ value: text, counts: {}, total: 0 });
  });

  it('keeps an Azure Monitor alert payload as it is when it holds no secret', async () => {
    const { readFileSync, readdirSync } = await import('node:fs');
    const dir = new URL('../fixtures/azure-monitor/', import.meta.url);
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
      const payload = JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as unknown;
      expect(redactJson(payload).value, f).toEqual(payload);
    }
  });
});

// Generators for the properties: secrets in their real formats, prose around them.
const b64 = (min: number, max: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9+/]{${min},${max}}$`));
const b64url = (min: number, max: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{${min},${max}}$`));
const withDigit = (arb: fc.Arbitrary<string>) => arb.filter((s) => /[0-9]/.test(s) && /[A-Za-z]/.test(s));
const prose = fc.lorem({ maxCount: 8 });

/** [the secret, a context that embeds it]. */
const secretInContext: fc.Arbitrary<[string, string]> = fc.oneof(
  withDigit(b64url(20, 60)).map((t): [string, string] => [t, `-H "Authorization: Bearer ${t}"`]),
  withDigit(b64url(6, 30)).map((t): [string, string] => [t, `authorization: Bearer ${t}`]),
  fc.tuple(b64url(10, 40), b64url(10, 80), b64url(10, 80)).map(([a, b, c]): [string, string] => [`eyJ${a}.${b}.${c}`, `token eyJ${a}.${b}.${c} seen`]),
  withDigit(b64url(20, 56)).map((k): [string, string] => [k, `https://func.azurewebsites.net/api/alerts?code=${k}==&clientId=default`]),
  withDigit(b64url(20, 56)).map((k): [string, string] => [k, `x-functions-key: ${k}`]),
  withDigit(b64(20, 44)).map((s): [string, string] => [s, `https://st.blob.core.windows.net/c/b.json?sv=2024-08-04&sp=r&sig=${s}%3D`]),
  withDigit(b64(86, 86)).map((k): [string, string] => [`${k}==`, `DefaultEndpointsProtocol=https;AccountName=st;AccountKey=${k}==;EndpointSuffix=core.windows.net`]),
  withDigit(b64(43, 43)).map((k): [string, string] => [`${k}=`, `Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=${k}=`]),
  withDigit(fc.stringMatching(/^[A-Za-z0-9!@#$%^&*_+-]{10,24}$/)).map((p): [string, string] => [p, `Server=tcp:s.database.windows.net;User ID=app;Password=${p};Encrypt=True`]),
  withDigit(fc.stringMatching(/^[A-Za-z0-9!#$%^&*_+-]{10,24}$/)).map((p): [string, string] => [p, `{"user":"a","password":"${p}"}`]),
  fc.tuple(fc.stringMatching(/^[A-Za-z0-9_.-]{3}$/), fc.integer({ min: 0, max: 9 }), fc.stringMatching(/^[A-Za-z0-9_.~-]{34}$/)).map(([a, d, b]): [string, string] => [
    `${a}${d}Q~${b}`,
    `secret ${a}${d}Q~${b} found`,
  ]),
  withDigit(b64(64, 64)).map((k): [string, string] => [k, `-----BEGIN PRIVATE KEY-----\n${k}\n-----END PRIVATE KEY-----`]),
);

describe('properties', () => {
  it('never copies a secret into the output (whatever prose surrounds it)', () => {
    fc.assert(
      fc.property(secretInContext, prose, prose, ([secret, context], before, after) => {
        const out = redactString(`${before}\n${context}\n${after}`).value;
        return !out.includes(secret);
      }),
      { numRuns: 2000 },
    );
  });

  it('never copies a secret found under a secret field name, at any depth', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('password', 'clientSecret', 'accessToken', 'apiKey', 'Authorization', 'x-functions-key', 'connectionString'),
        withDigit(b64url(8, 40)),
        fc.array(fc.string({ minLength: 1, maxLength: 6 }).filter((k) => !k.includes('__proto__')), { maxLength: 4 }),
        (field, secret, path) => {
          let value: unknown = { [field]: secret };
          for (const key of path) value = { [key]: [value] };
          return !JSON.stringify(redactJson(value).value).includes(secret);
        },
      ),
    );
  });

  const fragments = fc.constantFrom(
    'Bearer ', 'Authorization: ', 'authorization=', 'Basic ', '?code=', '&code=', 'x-functions-key: ', 'sig=', '&sig=', 'AccountKey=',
    'SharedAccessKey=', 'SharedAccessKeyName=', 'Password=', 'Pwd=', 'password: ', '"password":"', '"', "'", ';', '&', '=', ' ', '\n', '[REDACTED:jwt]',
    '[REDACTED:', 'eyJhbGciOiJIUzI1NiJ9', '.', 'eyJzdWIiOiIxMjM0NTY3ODkwIn0', 'Q~', 'abc8', '-----BEGIN PRIVATE KEY-----', '-----END PRIVATE KEY-----',
    'https://a:b@h/', 'ghp_', 'AKIA', '0123456789abcdef', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '==',
  );
  const mixed = fc.array(fc.oneof(fragments, fc.string({ maxLength: 12 })), { maxLength: 24 }).map((parts) => parts.join(''));

  it('is idempotent on strings (random and made of secret-shaped fragments)', () => {
    fc.assert(
      fc.property(fc.oneof(mixed, fc.string({ maxLength: 200 })), (text) => {
        const once = redactString(text).value;
        return redactString(once).value === once;
      }),
      { numRuns: 3000 },
    );
  });

  it('is idempotent on JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.dictionary(fc.constantFrom('password', 'token', 'code', 'note', 'apiKey'), mixed), (value, extra) => {
        const doc = { value, extra };
        const once = redactJson(doc).value;
        return JSON.stringify(redactJson(once).value) === JSON.stringify(once);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('hostile keys', () => {
  it('copies an own "__proto__" key as data, never as the copy\'s prototype', () => {
    const parsed = JSON.parse('{"a":{"__proto__":[1,2],"b":"x"}}') as { a: Record<string, unknown> };
    const out = redactJson(parsed).value;
    expect(Object.getPrototypeOf(out.a)).toBe(Object.prototype);
    expect(Object.keys(out.a)).toEqual(['__proto__', 'b']);
    expect(JSON.stringify(out)).toBe('{"a":{"__proto__":[1,2],"b":"x"}}');
  });
});
