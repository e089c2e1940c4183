/**
 * Settings of the alert intake. Secure webhook (Entra token) validation is on when a tenant and an
 * audience are set; the function key is always required too (the action group URL carries ?code=).
 */
import { z } from 'zod';
import { toIssues, type Issue } from './issues.js';

/** "AZNS AAD Webhook": the first-party app that Azure Monitor's secure webhook tokens come from. */
export const AZURE_MONITOR_WEBHOOK_APP_ID = '461e8683-5575-4561-ac7f-899cc907d62a';
/** The app role Microsoft's setup script creates; the role is the customer's own, so it can be renamed. */
export const SECURE_WEBHOOK_ROLE = 'ActionGroupsSecureWebhook';

const blankToUndefined = (v: unknown): unknown => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const list = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() !== '' ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined),
  z.array(z.string().min(1)).optional(),
);

const schema = z
  .object({
    SECURE_WEBHOOK_TENANT_ID: z.preprocess(blankToUndefined, z.string().regex(/^[0-9a-f-]{36}$/i, 'must be the tenant id (a GUID)').optional()),
    /** The API app registration's client id and/or application id URI (comma-separated). */
    SECURE_WEBHOOK_AUDIENCE: list,
    /** Override of the key set URL (tests, sovereign clouds). */
    SECURE_WEBHOOK_JWKS_URI: z.preprocess(blankToUndefined, z.url().optional()),
    /** Override of the accepted issuers (comma-separated; default: the tenant's v2 and v1 issuers). */
    SECURE_WEBHOOK_ISSUERS: list,
    SECURE_WEBHOOK_APP_IDS: list,
    /** The app role (its value) assigned to Azure Monitor's app on the API registration. */
    SECURE_WEBHOOK_ROLE: z.preprocess(blankToUndefined, z.string().trim().regex(/^[A-Za-z0-9._-]{1,120}$/, 'must be an app role value (letters, digits, ".", "_", "-")').optional()),
  })
  .superRefine((v, ctx) => {
    if (!!v.SECURE_WEBHOOK_TENANT_ID !== !!v.SECURE_WEBHOOK_AUDIENCE) {
      ctx.addIssue({
        code: 'custom',
        path: [v.SECURE_WEBHOOK_TENANT_ID ? 'SECURE_WEBHOOK_AUDIENCE' : 'SECURE_WEBHOOK_TENANT_ID'],
        message: 'secure webhook validation needs both SECURE_WEBHOOK_TENANT_ID and SECURE_WEBHOOK_AUDIENCE',
      });
    }
  });

export interface SecureWebhookSettings {
  tenantId: string;
  audiences: string[];
  jwksUri: string;
  issuers: string[];
  appIds: string[];
  /** The role the token must carry. */
  role: string;
}

export type IntakeSettings = { ok: true; secureWebhook: SecureWebhookSettings | undefined } | { ok: false; issues: Issue[] };

export function readIntakeSettings(env: NodeJS.ProcessEnv): IntakeSettings {
  const parsed = schema.safeParse(env);
  if (!parsed.success) return { ok: false, issues: toIssues(parsed.error) };
  const v = parsed.data;
  if (!v.SECURE_WEBHOOK_TENANT_ID || !v.SECURE_WEBHOOK_AUDIENCE) return { ok: true, secureWebhook: undefined };
  const tid = v.SECURE_WEBHOOK_TENANT_ID;
  return {
    ok: true,
    secureWebhook: {
      tenantId: tid,
      audiences: v.SECURE_WEBHOOK_AUDIENCE,
      jwksUri: v.SECURE_WEBHOOK_JWKS_URI ?? `https://login.microsoftonline.com/${tid}/discovery/v2.0/keys`,
      issuers: v.SECURE_WEBHOOK_ISSUERS ?? [`https://login.microsoftonline.com/${tid}/v2.0`, `https://sts.windows.net/${tid}/`],
      appIds: v.SECURE_WEBHOOK_APP_IDS ?? [AZURE_MONITOR_WEBHOOK_APP_ID],
      role: v.SECURE_WEBHOOK_ROLE ?? SECURE_WEBHOOK_ROLE,
    },
  };
}
