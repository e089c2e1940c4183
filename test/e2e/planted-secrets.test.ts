/**
 * End to end: an alert carrying secrets of every kind (a function key, a SAS signature, a bearer
 * token, a JWT, a storage account key, SQL and field passwords, an Entra client secret, a PEM
 * private key, GitHub and AWS keys, a token of letters only, a code= outside a URL, an API-key
 * header) runs as a real incident to its sealed evidence pack. Then every place the app writes is
 * searched: the function logs, the Teams messages, the API's answers, the raw payload archive,
 * every evidence blob and every table row (timeline, summaries, Durable history). None is found.
 */
import { TableClient, TableServiceClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertFixture, withAlertId } from '../harness/alerts.js';
import { APPROVER, MINUTE, ProductWorld, principal } from '../harness/product.js';

const SECRETS = {
  functionKey: 'pL4nt3dFunct10nKeyAaaaAaaaAaaaAaaaAaaaAaaaAaaaAa==',
  sasSignature: 'pL4nt3dSa5S1gnatureBbbbBbbbBbbbBbbbBbbbBbb%3D',
  bearer: 'pL4nt3dBear3rT0kenCcccCcccCccc',
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkLXNlY3JldCJ9.pL4nt3dJwtS1gnatureDdddDddd',
  accountKey: `pL4nt3dAcc0untKey${'E'.repeat(69)}==`,
  sqlPassword: 'pL4nt3d-Sql-Passw0rd!',
  fieldPassword: 'pL4nt3dF1eldPassword',
  clientSecret: 'abc8Q~pL4nt3dCl1entSecretFfffFfffFfffFff',
  privateKeyBody: 'MIIEvQIBADANpL4nt3dPr1vateKeyG',
  githubToken: `ghp_pL4nt3dG1tHubT0ken${'h'.repeat(19)}`,
  awsKey: 'AKIAPL4NT3DAWSKEY123',
  lettersToken: 'plantedlettersonlytokenvaluekkk',
  bareCode: 'pL4nt3dBareC0deValueLlllLlllLlll',
  apiKey: 'pL4nt3dAp1KeyMmmmMmmmMmmm',
} as const;

let w: ProductWorld;

beforeAll(async () => {
  w = await ProductWorld.start({ logLevel: 'information' });
  expect((await w.recordLkg()).status).toBe(201);
});
afterAll(async () => {
  await w?.stop();
});

function plantedAlert(): Record<string, unknown> {
  const doc = withAlertId(alertFixture('metric-5xx-fired.json'), 'planted', {
    firedDateTime: new Date(w.now() - 30_000).toISOString(),
    description:
      `Webhook https://func-x.azurewebsites.net/api/hook?code=${SECRETS.functionKey} failed; ` +
      `blob https://st.blob.core.windows.net/c/b.json?sv=2024-08-04&sp=r&sig=${SECRETS.sasSignature}; ` +
      `replay with curl -H "Authorization: Bearer ${SECRETS.bearer}" -H "Ocp-Apim-Subscription-Key: ${SECRETS.apiKey}"`,
    investigationLink: `https://portal.contoso.example/signin-oidc#id_token=${SECRETS.jwt}&state=1`,
  }) as { data: { customProperties: Record<string, string>; alertContext: { properties: Record<string, string> } } };
  doc.data.customProperties = {
    service: 'admin-api',
    environment: 'Prod',
    token: SECRETS.lettersToken,
    dbPassword: SECRETS.fieldPassword,
    callback: `code=${SECRETS.bareCode}&state=xyz`,
    storage: `DefaultEndpointsProtocol=https;AccountName=stprod;AccountKey=${SECRETS.accountKey};EndpointSuffix=core.windows.net`,
    sql: `Server=tcp:sql-prod.database.windows.net,1433;User ID=app;Password=${SECRETS.sqlPassword};Encrypt=True`,
  };
  doc.data.alertContext.properties = {
    ...doc.data.alertContext.properties,
    note: `found client secret ${SECRETS.clientSecret}, ${SECRETS.githubToken} and ${SECRETS.awsKey} in the deploy log`,
    pem: `-----BEGIN PRIVATE KEY-----\n${SECRETS.privateKeyBody}\n-----END PRIVATE KEY-----`,
  };
  return doc;
}

function leaks(where: string, text: string): string[] {
  return Object.entries(SECRETS)
    .filter(([, secret]) => text.includes(secret))
    .map(([kind]) => `${kind} in ${where}`);
}

describe('secrets planted in an alert', () => {
  it('are nowhere: logs, Teams, API answers, the payload archive, the evidence pack, the tables', async () => {
    w.breakProduction();
    const answers: string[] = [];
    const alert = await w.post<{ kind: string; incidentId: string }>('/api/alerts', plantedAlert());
    answers.push(JSON.stringify(alert.body));
    expect(alert.body.kind).toBe('declared');
    const id = alert.body.incidentId;

    await w.until(id, (r) => r.runtime.customStatus?.phase === 'deciding', 'the decision');
    const decided = await w.post(`/api/incidents/${id}/decision`, { choice: 'accept-proposal', proposalId: 'proposal-1' }, principal(APPROVER.upn, APPROVER.oid));
    expect(decided.status).toBe(202);
    answers.push(JSON.stringify(decided.body));
    await w.until(id, (r) => r.runtime.customStatus?.phase === 'monitoring', 'monitoring');
    await w.advance(30 * MINUTE);
    answers.push(JSON.stringify(await w.resolved(id)));
    const evidence = BlobServiceClient.fromConnectionString(w.azurite.connectionString).getContainerClient('incident-evidence');
    await expect.poll(() => evidence.getBlobClient(`Prod/2026/11/${id}/manifest.json`).exists(), { timeout: 20_000 }).toBe(true);
    for (const p of [`/api/incidents/${id}`, '/api/incidents', '/api/alerts/unmatched', '/api/freeze/Prod', '/api/lkg/Prod/admin-api']) {
      answers.push(JSON.stringify((await w.host.json(p)).body));
    }

    const found: string[] = [];
    found.push(...leaks('API answers', answers.join('\n')));
    found.push(...leaks('function logs', w.host.logs.map((l) => `${l.category} ${l.message}`).join('\n')));
    found.push(...leaks('Teams messages', JSON.stringify(await w.teams(id))));

    const blobs = BlobServiceClient.fromConnectionString(w.azurite.connectionString);
    let archived = 0;
    let packed = 0;
    for (const container of ['incident-alert-payloads', 'incident-evidence']) {
      const client = blobs.getContainerClient(container);
      for await (const b of client.listBlobsFlat()) {
        if (container === 'incident-evidence') packed++;
        else archived++;
        found.push(...leaks(`${container}/${b.name}`, (await client.getBlobClient(b.name).downloadToBuffer()).toString('utf8')));
      }
    }
    expect(archived).toBeGreaterThan(0);
    expect(packed).toBeGreaterThan(5);

    const tables = TableServiceClient.fromConnectionString(w.azurite.connectionString, { allowInsecureConnection: true });
    let rows = 0;
    for await (const t of tables.listTables()) {
      const client = TableClient.fromConnectionString(w.azurite.connectionString, t.name ?? '', { allowInsecureConnection: true });
      for await (const row of client.listEntities()) {
        rows++;
        found.push(...leaks(`table ${t.name ?? ''}`, JSON.stringify(row)));
      }
    }
    expect(rows).toBeGreaterThan(10);

    expect(found).toEqual([]);

    // The alert really was read and kept: redacted, not dropped.
    const payloads: string[] = [];
    const archive = blobs.getContainerClient('incident-alert-payloads');
    for await (const b of archive.listBlobsFlat()) payloads.push((await archive.getBlobClient(b.name).downloadToBuffer()).toString('utf8'));
    expect(payloads.join('\n')).toContain('[REDACTED:');
    expect(payloads.join('\n')).toContain('func-x.azurewebsites.net/api/hook?code=[REDACTED:function-key]');
  }, 120_000);
});
