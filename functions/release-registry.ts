/**
 * HTTP routes of the release registry (handlers in src/app/release-api.ts): the last-known-good
 * pointer per environment + service and the deploy freeze per environment. Recording an LKG and
 * freezing are the admin role's (deploy pipelines hold its key); reading is every role's
 * (src/app/access.ts).
 */
import { ACCESS_ACTIONS } from '../src/app/access-actions.js';
import { httpRoute } from '../src/app/routes.js';

/** The API over the registry, loaded on a route's first request (each route keeps the one it loaded). */
async function api() {
  const [{ registryPorts }, { createReleaseApi }, { loadFreezeAnnouncer }] = await Promise.all([
    import('../src/app/app-service.js'),
    import('../src/app/release-api.js'),
    import('../src/app/freeze-announcer-choice.js'),
  ]);
  return createReleaseApi({ registry: () => registryPorts(), announcer: await loadFreezeAnnouncer() });
}

httpRoute(ACCESS_ACTIONS.lkg[0], { route: 'lkg', methods: ['POST'], authLevel: 'function', access: 'lkg' }, async () => (await api()).postLkg);
httpRoute('lkgGet', { route: 'lkg/{env}/{service}', methods: ['GET'], authLevel: 'function', access: 'read' }, async () => (await api()).getLkg);
httpRoute('freezeGet', { route: 'freeze/{env}', methods: ['GET'], authLevel: 'function', access: 'read' }, async () => (await api()).getFreeze);
httpRoute(ACCESS_ACTIONS.freeze[0], { route: 'freeze/{env}', methods: ['POST'], authLevel: 'function', access: 'freeze' }, async () => (await api()).postFreeze);
