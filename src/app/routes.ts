/**
 * The one way an HTTP function is registered: `httpRoute(name, options, handler)`. Every route
 * answers through the error envelope (src/http/envelope.ts); a route that names its `access`
 * action admits the caller (src/app/access.ts) before the handler runs and hands it the Caller;
 * `durableClient` binds the Durable client (orchestrations(context) reads it).
 *
 * The function's name is also what a function key opens in Azure, so a route with an access
 * action must be registered under one of that action's names (ACCESS_ACTIONS): checked here, at
 * load, rather than found out when a key opens the wrong function.
 */
import { app, type HttpMethod, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { withEnvelope } from '../http/envelope.js';
import { ACCESS_ACTIONS, admit, type AccessAction, type Caller } from './access.js';

export interface RouteOptions {
  route: string;
  methods: HttpMethod[];
  /** 'function': a function key (or Easy Auth) is needed; 'anonymous': the handler checks what it needs (a signed link, a webhook token). */
  authLevel: 'anonymous' | 'function';
  /** Bind the Durable client (start, raise, describe orchestrations). */
  durableClient?: boolean;
}

export type RouteHandler = (request: HttpRequest, context: InvocationContext, requestId: string) => Promise<HttpResponseInit>;
export type AdmittedRouteHandler = (request: HttpRequest, context: InvocationContext, requestId: string, caller: Caller) => Promise<HttpResponseInit>;

export function httpRoute(name: string, options: RouteOptions & { access: AccessAction }, handler: AdmittedRouteHandler): void;
export function httpRoute(name: string, options: RouteOptions, handler: RouteHandler): void;
export function httpRoute(name: string, options: RouteOptions & { access?: AccessAction }, handler: AdmittedRouteHandler): void {
  const { access, durableClient, ...http } = options;
  if (access && !(ACCESS_ACTIONS[access] as readonly string[]).includes(name)) {
    throw new Error(`Route ${name} is guarded by "${access}" but is not one of its functions (ACCESS_ACTIONS.${access}: ${ACCESS_ACTIONS[access].join(', ')}).`);
  }
  app.http(name, {
    ...http,
    ...(durableClient ? { extraInputs: [df.input.durableClient()] } : {}),
    handler: withEnvelope(access ? (request, context, requestId) => handler(request, context, requestId, admit(request, access)) : (handler as RouteHandler)),
  });
}
