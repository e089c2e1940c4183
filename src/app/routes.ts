/**
 * The one way an HTTP function is registered: `httpRoute(name, options, load)`. Every route
 * answers through the error envelope (src/http/envelope.ts); a route that names its `access`
 * action admits the caller (src/app/access.ts) before the handler runs and hands it the Caller;
 * `durableClient` binds the Durable client (orchestrations(context) reads it).
 *
 * `load` imports the handler on the route's first request, not when the Functions worker loads
 * the entry files: registration needs only the name, the route and the options, and the handlers
 * bring most of the app with them (intake, stores, the policy, zod schemas). The first request
 * after a cold start pays the load; a load that fails answers 500 through the envelope and is
 * tried again on the next request. This module imports only what registering needs.
 *
 * The function's name is also what a function key opens in Azure, so a route with an access
 * action must be registered under one of that action's names (ACCESS_ACTIONS): checked here, at
 * load, rather than found out when a key opens the wrong function.
 */
import { app, type HttpMethod, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { withEnvelope } from '../http/envelope.js';
import type { Caller } from './access.js';
import { ACCESS_ACTIONS, type AccessAction } from './access-actions.js';
import { loadOnce } from '../domain/load-once.js';

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

/** Imports (and builds, where it must) a route's handler: `async () => (await import('../src/app/x-routes.js')).handler`. */
export type RouteLoader<H> = () => Promise<H>;

export function httpRoute(name: string, options: RouteOptions & { access: AccessAction }, load: RouteLoader<AdmittedRouteHandler>): void;
export function httpRoute(name: string, options: RouteOptions, load: RouteLoader<RouteHandler>): void;
export function httpRoute(name: string, options: RouteOptions & { access?: AccessAction }, load: RouteLoader<AdmittedRouteHandler>): void {
  const { access, durableClient, ...http } = options;
  if (access && !(ACCESS_ACTIONS[access] as readonly string[]).includes(name)) {
    throw new Error(`Route ${name} is guarded by "${access}" but is not one of its functions (ACCESS_ACTIONS.${access}: ${ACCESS_ACTIONS[access].join(', ')}).`);
  }
  // Loaded once; a failed load is forgotten, so the next request tries again.
  const handler = loadOnce(load);
  app.http(name, {
    ...http,
    ...(durableClient ? { extraInputs: [df.input.durableClient()] } : {}),
    handler: withEnvelope(
      access
        ? async (request, context, requestId) => {
            // The caller is admitted before the handler is loaded or run.
            const caller = (await import('./access.js')).admit(request, access);
            return (await handler())(request, context, requestId, caller);
          }
        : async (request, context, requestId) => ((await handler()) as RouteHandler)(request, context, requestId),
    ),
  });
}
