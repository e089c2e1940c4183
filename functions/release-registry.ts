/**
 * HTTP routes of the release registry (handlers in src/app/release-api.ts): the last-known-good
 * pointer per environment + service and the deploy freeze per environment. Recording an LKG and
 * freezing are the admin role's (deploy pipelines hold its key); reading is every role's
 * (src/app/access.ts).
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { ACCESS_ACTIONS, admit, type AccessAction, type Caller } from '../src/app/access.js';
import { freezeAnnouncer, registryPorts } from '../src/app/app-service.js';
import { createReleaseApi } from '../src/app/release-api.js';
import { withEnvelope } from '../src/http/envelope.js';

const api = createReleaseApi({ registry: () => registryPorts(), announcer: freezeAnnouncer });

type Handler = (request: HttpRequest, context: InvocationContext, requestId: string, caller: Caller) => Promise<HttpResponseInit>;
const guarded = (action: AccessAction, handler: Handler) => withEnvelope((request, context, requestId) => handler(request, context, requestId, admit(request, action)));

app.http(ACCESS_ACTIONS.lkg[0], { route: 'lkg', methods: ['POST'], authLevel: 'function', handler: guarded('lkg', api.postLkg) });
app.http('lkgGet', { route: 'lkg/{env}/{service}', methods: ['GET'], authLevel: 'function', handler: guarded('read', api.getLkg) });
app.http('freezeGet', { route: 'freeze/{env}', methods: ['GET'], authLevel: 'function', handler: guarded('read', api.getFreeze) });
app.http(ACCESS_ACTIONS.freeze[0], { route: 'freeze/{env}', methods: ['POST'], authLevel: 'function', handler: guarded('freeze', api.postFreeze) });
