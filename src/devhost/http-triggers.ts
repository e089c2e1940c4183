/**
 * HTTP triggers: the route table (prefix, templates, methods), function keys, and the conversion
 * between Node's HTTP messages and the worker's RPC HTTP data that `@azure/functions` consumes.
 */
import { timingSafeEqual } from 'node:crypto';
import { triggerOf, type Registration, type RpcTypedData } from './core-api.js';
import type { Invoker } from './invoker.js';
import { compareRoutes, compileRoute, matchRoute, type CompiledRoute } from './routes.js';

export interface HttpRoute {
  reg: Registration;
  route: CompiledRoute;
  methods: string[] | undefined;
  authLevel: 'anonymous' | 'function' | 'admin';
}

export interface Keys {
  enforce: boolean;
  /** Keys that open every function-level function (Azure's host keys). */
  functionKeys: string[];
  /** Keys that open one function only (Azure's function keys), by lower-cased function name. */
  perFunction?: Map<string, string[]>;
  masterKey: string;
}

/**
 * DEVHOST_FUNCTION_KEYS: comma-separated; `<key>` opens every function (a host key),
 * `<function>:<key>` opens that function only (a function key, as Azure scopes them).
 */
export function parseFunctionKeys(value: string | undefined): Pick<Keys, 'functionKeys' | 'perFunction'> {
  const functionKeys: string[] = [];
  const perFunction = new Map<string, string[]>();
  for (const entry of (value ?? '').split(',').map((k) => k.trim()).filter(Boolean)) {
    const m = /^([A-Za-z][A-Za-z0-9_-]{0,127}):(.+)$/.exec(entry);
    if (!m) {
      functionKeys.push(entry);
      continue;
    }
    const name = (m[1] ?? '').toLowerCase();
    perFunction.set(name, [...(perFunction.get(name) ?? []), m[2] ?? '']);
  }
  return { functionKeys, perFunction };
}

export interface IncomingExchange {
  method: string;
  url: URL;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface OutgoingResponse {
  status: number;
  headers: [string, string][];
  body: Buffer;
}

export function buildRoutes(regs: Registration[]): HttpRoute[] {
  const routes = regs.map((reg) => {
    const trigger = triggerOf(reg.metadata);
    const template = typeof trigger?.route === 'string' && trigger.route !== '' ? trigger.route : reg.metadata.name;
    const methods = Array.isArray(trigger?.methods) ? (trigger.methods as string[]).map((m) => m.toUpperCase()) : undefined;
    const level = typeof trigger?.authLevel === 'string' ? trigger.authLevel.toLowerCase() : 'function';
    const authLevel = level === 'anonymous' || level === 'admin' ? level : 'function';
    return { reg, route: compileRoute(template), methods, authLevel } satisfies HttpRoute;
  });
  return routes.sort((a, b) => compareRoutes(a.route, b.route));
}

export function findRoute(
  routes: HttpRoute[],
  method: string,
  path: string,
): { route: HttpRoute; params: Record<string, string> } | 'methodNotAllowed' | undefined {
  let methodMismatch = false;
  for (const route of routes) {
    const params = matchRoute(route.route, path);
    if (!params) continue;
    if (route.methods && !route.methods.includes(method.toUpperCase())) {
      methodMismatch = true;
      continue;
    }
    return { route, params };
  }
  return methodMismatch ? 'methodNotAllowed' : undefined;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function presentedKey(ex: IncomingExchange): string | undefined {
  const header = ex.headers['x-functions-key'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  return fromHeader ?? ex.url.searchParams.get('code') ?? undefined;
}

/** Core Tools does not check keys; with `--enforce-keys` the dev host does, as Azure would. */
export function authorized(level: HttpRoute['authLevel'] | 'system', keys: Keys, ex: IncomingExchange, functionName?: string): boolean {
  if (!keys.enforce || level === 'anonymous') return true;
  const key = presentedKey(ex);
  if (!key) return false;
  if (safeEqual(key, keys.masterKey)) return true;
  if (level !== 'function') return false;
  const own = functionName ? (keys.perFunction?.get(functionName.toLowerCase()) ?? []) : [];
  return [...keys.functionKeys, ...own].some((k) => safeEqual(key, k));
}

/** The worker's representation of an incoming request. */
export function toRpcHttp(ex: IncomingExchange, params: Record<string, string>): RpcTypedData {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(ex.headers)) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  // A Map, then own properties: a parameter named like an Object member (constructor, __proto__)
  // is an ordinary parameter, never merged with or assigned onto the prototype.
  const merged = new Map<string, string>();
  for (const [k, v] of ex.url.searchParams) merged.set(k, merged.has(k) ? `${merged.get(k)},${v}` : v);
  const query: Record<string, string> = Object.fromEntries(merged);
  const http: Record<string, unknown> = {
    method: ex.method.toUpperCase(),
    url: ex.url.toString(),
    headers,
    query,
    params,
    identities: [],
  };
  if (ex.body.length > 0) http.body = { bytes: ex.body };
  return { http };
}

interface RpcHttpResponse {
  statusCode?: string;
  headers?: Record<string, string>;
  cookies?: {
    name: string;
    value: string;
    domain?: { value: string };
    path?: { value: string };
    expires?: { value: { seconds: number | string; nanos?: number } };
    secure?: { value: boolean };
    httpOnly?: { value: boolean };
    sameSite?: string;
    maxAge?: { value: number };
  }[];
  body?: { bytes?: Uint8Array; string?: string } | null;
}

/** The worker's representation of a response, back to status, headers and bytes. */
export function fromRpcHttp(returnValue: RpcTypedData | null | undefined): OutgoingResponse {
  const http = (returnValue as { http?: RpcHttpResponse } | null | undefined)?.http;
  if (!http) return { status: 204, headers: [], body: Buffer.alloc(0) };
  const headers: [string, string][] = Object.entries(http.headers ?? {});
  for (const c of http.cookies ?? []) {
    let cookie = `${c.name}=${c.value}`;
    if (c.domain?.value) cookie += `; Domain=${c.domain.value}`;
    if (c.path?.value) cookie += `; Path=${c.path.value}`;
    if (c.expires?.value) cookie += `; Expires=${new Date(Number(c.expires.value.seconds) * 1000).toUTCString()}`;
    if (c.maxAge?.value !== undefined) cookie += `; Max-Age=${c.maxAge.value}`;
    if (c.secure?.value) cookie += '; Secure';
    if (c.httpOnly?.value) cookie += '; HttpOnly';
    if (c.sameSite === 'lax') cookie += '; SameSite=Lax';
    else if (c.sameSite === 'strict') cookie += '; SameSite=Strict';
    else if (c.sameSite === 'explicitNone') cookie += '; SameSite=None';
    headers.push(['set-cookie', cookie]);
  }
  const body = http.body?.bytes ? Buffer.from(http.body.bytes) : http.body?.string ? Buffer.from(http.body.string) : Buffer.alloc(0);
  return { status: Number(http.statusCode ?? 200), headers, body };
}

export async function invokeHttp(
  invoker: Invoker,
  route: HttpRoute,
  ex: IncomingExchange,
  params: Record<string, string>,
  timeoutMs: number | undefined,
): Promise<OutgoingResponse> {
  const { returnValue } = await invoker.invoke(route.reg, {
    trigger: toRpcHttp(ex, params),
    wantResponse: true,
    ...(timeoutMs ? { timeoutMs } : {}),
  });
  return fromRpcHttp(returnValue);
}
