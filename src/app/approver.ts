/**
 * Who is approving, when the app sits behind App Service Authentication (Easy Auth): the platform
 * authenticates the person and passes `x-ms-client-principal` (base64 JSON with the token's
 * claims) plus `x-ms-client-principal-id` / `-name`. These headers are only trustworthy behind
 * Easy Auth (which strips them from incoming requests), so callers read them only when it is on
 * (`callerOf` in access.ts).
 *
 * Parsed here rather than through `request.user` of @azure/functions: that getter requires all of
 * -id, -name and -idp next to the principal header and throws when one is missing.
 */
import { z } from 'zod';

const MAX_PRINCIPAL_CHARS = 32 * 1024;

const ClientPrincipal = z.object({
  auth_typ: z.string().optional(),
  claims: z.array(z.object({ typ: z.string(), val: z.string() })).max(2000).default([]),
  name_typ: z.string().optional(),
  role_typ: z.string().optional(),
});

export interface Principal {
  /** Entra object id (or the platform's principal id). */
  id: string;
  /** UPN / preferred username, for people reading the timeline. */
  name: string | undefined;
  /** Lower-cased values that approver entries may match: ids, UPNs, e-mails, "group:x", "role:y". */
  identifiers: Set<string>;
  /** The Entra app roles of the token (`roles` claims), as the app registration spells them. */
  roles: string[];
}

const OID = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'];
const NAMES = ['preferred_username', 'upn', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', 'email', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', 'unique_name'];
const GROUPS = ['groups', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups'];
const ROLES = ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];

export type PrincipalResult = { ok: true; principal: Principal } | { ok: false; reason: 'absent' | 'invalid' };

export function principalFromHeaders(headers: { get(name: string): string | null }): PrincipalResult {
  const encoded = headers.get('x-ms-client-principal');
  const headerId = headers.get('x-ms-client-principal-id')?.trim() || undefined;
  const headerName = headers.get('x-ms-client-principal-name')?.trim() || undefined;
  if (!encoded) return headerId ? { ok: false, reason: 'invalid' } : { ok: false, reason: 'absent' };
  if (encoded.length > MAX_PRINCIPAL_CHARS) return { ok: false, reason: 'invalid' };
  let parsed: z.infer<typeof ClientPrincipal>;
  try {
    parsed = ClientPrincipal.parse(JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')));
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  const claim = (types: string[]) => parsed.claims.filter((c) => types.includes(c.typ)).map((c) => c.val);
  const roleTypes = parsed.role_typ ? [...ROLES, parsed.role_typ] : ROLES;
  const oid = claim(OID)[0];
  const id = oid ?? headerId;
  if (!id) return { ok: false, reason: 'invalid' };
  const names = claim(NAMES);
  const identifiers = new Set<string>([id.toLowerCase(), ...(headerId ? [headerId.toLowerCase()] : []), ...names.map((n) => n.toLowerCase())]);
  if (headerName) identifiers.add(headerName.toLowerCase());
  for (const g of claim(GROUPS)) identifiers.add(`group:${g.toLowerCase()}`);
  const roles = claim(roleTypes);
  for (const r of roles) identifiers.add(`role:${r.toLowerCase()}`);
  return { ok: true, principal: { id, name: headerName ?? names[0], identifiers, roles } };
}

/** True when one of the approver entries (lower-cased: id, UPN, "group:<id>", "role:<name>") matches. */
export function inApproverList(principal: Principal, approvers: readonly string[]): boolean {
  return approvers.some((a) => principal.identifiers.has(a.toLowerCase()));
}
