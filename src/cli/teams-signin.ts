#!/usr/bin/env node
/**
 * `npm run teams:signin` (node dist/src/cli/teams-signin.js): signs the delegated identity for
 * Teams channel posts in once, with the device code flow, and stores its refresh token in the
 * configured secret store (Key Vault secret, or a local file for development). Prints who signed
 * in and where the sign-in went; never prints a token.
 *
 * Reads the same settings as the app (environment, then local.settings.json Values).
 */
import { parseArgs } from 'node:util';
import { readTeamsSettings } from '../config/teams.js';
import { describeIssues } from '../config/issues.js';
import { signInWithDeviceCode } from '../adapters/delegated-token.js';
import { FileSecretStore, type SecretStore } from '../adapters/secret-store.js';
import { applyLocalSettings } from '../app/settings.js';
import { tokenStore } from '../app/teams.js';
import { errorText } from '../domain/errors.js';

const usage = `Usage: npm run teams:signin -- [options]

Signs in the account that posts incident messages to the Teams channel (device code flow) and
stores its refresh token where the app reads it (TEAMS_TOKEN_KEYVAULT_URL + TEAMS_TOKEN_SECRET_NAME,
or TEAMS_TOKEN_FILE for development). Needs TEAMS_TENANT_ID and TEAMS_CLIENT_ID (an app
registration with "Allow public client flows" and the delegated ChannelMessage.Send permission).

  --file <path>   store in this file instead (development only)
  --help`;

export interface SignInIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Overrides for tests (fast polling). */
  sleep?: (ms: number) => Promise<void>;
  store?: SecretStore;
}

export async function runSignIn(argv: string[], env: NodeJS.ProcessEnv, io: SignInIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { file: { type: 'string' }, help: { type: 'boolean' } }, strict: true });
  if (values.help) {
    io.out(usage);
    return 0;
  }
  const effective: NodeJS.ProcessEnv = { ...env, TEAMS_DELIVERY: 'channel', ...(values.file ? { TEAMS_TOKEN_FILE: values.file, TEAMS_TOKEN_KEYVAULT_URL: '' } : {}) };
  const result = readTeamsSettings(effective);
  if (!result.ok || result.settings.delivery !== 'channel') {
    io.err(`Cannot sign in: the Teams settings are incomplete.\n${result.ok ? '' : describeIssues(result.issues, '  ')}`);
    return 2;
  }
  const d = result.settings.delegated;
  const store = io.store ?? (values.file ? new FileSecretStore(d.store.kind === 'file' ? d.store.path : values.file) : tokenStore(d.store, result.settings.graph.timeoutMs));
  io.out(`Signing in for Teams channel posts (tenant ${d.tenantId}, app ${d.clientId}).`);
  io.out(`Scopes: ${d.scopes.join(' ')}`);
  const signIn = await signInWithDeviceCode({
    loginUrl: d.loginUrl,
    tenantId: d.tenantId,
    clientId: d.clientId,
    scopes: d.scopes,
    timeoutMs: result.settings.graph.timeoutMs,
    prompt: (p) => io.out(`\n${p.message}\n(The code expires in ${Math.round(p.expiresInSec / 60)} minutes.)\n`),
    ...(io.sleep ? { sleep: io.sleep } : {}),
  });
  await store.write(JSON.stringify(signIn));
  const who = signIn.account.upn ?? signIn.account.oid ?? 'the signed-in account';
  io.out(`Signed in as ${who}. The sign-in is stored in ${store.description}.`);
  io.out(`Channel messages will be posted as ${who}: make sure this account is a member of the incident channel.`);
  return 0;
}

if (require.main === module) {
  applyLocalSettings(process.cwd());
  runSignIn(process.argv.slice(2), process.env, { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) }).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`Sign-in failed: ${errorText(err)}\n`);
      process.exit(1);
    },
  );
}
