/**
 * Where each service's API and web run and how to put them back on the last known good release
 * (slot swap or republish hook), and how to read the build a slot runs. Value types of the policy
 * and the App Service settings: the domain, ports and activities speak them; src/config parses
 * them out of settings.
 */
import { z } from 'zod';
import { EnvName, ServiceName } from './release.js';

const httpsUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const settingName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/, 'must be an app setting name');

/** Where a slot's build id is read from. */
export const BuildSource = z.discriminatedUnion('from', [
  z.object({
    /** A non-sticky app setting that the deploy sets with the build (moves with the build on swap). */
    from: z.literal('setting'),
    name: settingName.default('APP_BUILD_ID'),
    /** Optional non-sticky setting with the release tag. */
    releaseName: settingName.optional(),
    /**
     * Non-sticky settings the deploy may set with the build: when it was deployed (ISO 8601) and
     * the database migrations it shipped (comma-separated). Read when present; the decision tree
     * uses them (a flag changed after the deploy points at the flag; a failing release with
     * migrations is rolled back app-only, with a forward fix).
     */
    deployedAtName: settingName.default('APP_DEPLOYED_AT'),
    migrationsName: settingName.default('APP_MIGRATIONS'),
  }).strict(),
  z.object({
    /** A GET endpoint of the app answering JSON (or plain text: the build id). */
    from: z.literal('version'),
    productionUrl: httpsUrl,
    /** The staging slot's own endpoint (absent for a republished static site: production only). */
    stagingUrl: httpsUrl.optional(),
    /** JSON field (dot path) holding the build id. */
    field: z.string().min(1).default('buildId'),
    releaseField: z.string().min(1).optional(),
    /** JSON fields (dot paths) with the deploy time and the migrations list (array or comma-separated). */
    deployedAtField: z.string().min(1).default('deployedAt'),
    migrationsField: z.string().min(1).default('migrations'),
  }).strict(),
]);
export type BuildSource = z.infer<typeof BuildSource>;

/** Environment and service names are compared case-insensitively. */
const common = {
  env: EnvName,
  service: ServiceName,
};

const SlotSwapTarget = z.object({
  ...common,
  /** Roll back by swapping the staging slot (which holds the previous release) into production. */
  strategy: z.literal('slot-swap'),
  subscriptionId: z.uuid({ error: 'must be a subscription id (a GUID)' }),
  resourceGroup: z.string().regex(/^[-\w._()]{1,90}$/, 'must be a resource group name'),
  site: z.string().regex(/^[A-Za-z0-9-]{2,60}$/, 'must be an App Service app name'),
  stagingSlot: z.string().regex(/^[A-Za-z0-9-]{1,59}$/, 'must be a slot name').default('staging'),
  /** Keep VNet integration with the slot (ARM's `preserveVnet`). */
  preserveVnet: z.boolean().default(true),
  build: BuildSource.prefault({ from: 'setting', name: 'APP_BUILD_ID' }),
});

const RepublishTarget = z.object({
  ...common,
  /** Roll back by asking a pipeline to republish the LKG static build (HTTP POST). */
  strategy: z.literal('republish'),
  hookUrl: httpsUrl,
  /** App setting that holds the hook's bearer token (a Key Vault reference in Azure). */
  hookTokenSetting: settingName.optional(),
  /** Optional: how to read the build production serves (only `productionUrl` is used). */
  build: BuildSource.optional(),
});

export const AppServiceTarget = z.discriminatedUnion('strategy', [SlotSwapTarget, RepublishTarget]);

/** A target as the policy file states it: the service entry supplies env and service. */
const lkgService = {
  /**
   * The name the LKG registry knows this target by (what the deploy pipeline posts to /api/lkg).
   * Default: the policy service name for the API, "<service>-web" for the web of the same service.
   */
  lkgService: ServiceName.optional(),
};
export const RollbackTarget = z.discriminatedUnion('strategy', [
  SlotSwapTarget.omit({ env: true, service: true }).extend(lkgService).strict(),
  RepublishTarget.omit({ env: true, service: true }).extend(lkgService).strict(),
]);
export type RollbackTarget = z.infer<typeof RollbackTarget>;
export type AppServiceTarget = z.infer<typeof AppServiceTarget>;
export type SlotSwapTarget = z.infer<typeof SlotSwapTarget>;
export type RepublishTarget = z.infer<typeof RepublishTarget>;
