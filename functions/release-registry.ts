/**
 * HTTP routes of the release registry (handlers in src/app/release-api.ts): the last-known-good
 * pointer per environment + service and the deploy freeze per environment. Function keys:
 * deploy pipelines hold one.
 */
import { app } from '@azure/functions';
import { freezeAnnouncer, registryPorts } from '../src/app/app-service.js';
import { createReleaseApi } from '../src/app/release-api.js';
import { withEnvelope } from '../src/http/envelope.js';

const api = createReleaseApi({ registry: () => registryPorts(), announcer: freezeAnnouncer });

app.http('lkgRecord', { route: 'lkg', methods: ['POST'], authLevel: 'function', handler: withEnvelope(api.postLkg) });
app.http('lkgGet', { route: 'lkg/{env}/{service}', methods: ['GET'], authLevel: 'function', handler: withEnvelope(api.getLkg) });
app.http('freezeGet', { route: 'freeze/{env}', methods: ['GET'], authLevel: 'function', handler: withEnvelope(api.getFreeze) });
app.http('freezeSet', { route: 'freeze/{env}', methods: ['POST'], authLevel: 'function', handler: withEnvelope(api.postFreeze) });
