/**
 * The product world (test/harness/product.ts: the fakes, the policy, the helpers) with the app on
 * the real Durable extension instead of the dev host. Time is real: the world's policy is scaled
 * down (WorldOptions.timeScale) so that a runbook of minutes takes seconds.
 */
import { repoRoot } from '../../harness/devhost.js';
import type { HostStarter, WorldHost } from '../../harness/product.js';
import { RealHost } from './real-host.js';

export interface RealWorldHost extends WorldHost {
  readonly real: RealHost;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const realEngineStarter: HostStarter<RealWorldHost> = async (w) => {
  // An episode or activity cut off by a restart runs again once its queue message reappears: 5 min
  // in Azure, 1 min here (the extension's least for control queues).
  const real = await RealHost.start({ azurite: w.azurite, appRoot: repoRoot, hubName: w.hubName, env: w.env, controlVisibilityMs: 60_000, workItemVisibilityMs: 60_000 });
  const host: RealWorldHost = {
    real,
    get baseUrl() {
      return real.baseUrl;
    },
    fetch: (p, init) => real.fetch(p, init),
    json: (p, init) => real.json(p, init),
    // Nothing to drain on a real engine but the app's own handlers running right now.
    settle: () => real.quiet(100),
    async advance(ms) {
      await sleep(ms);
      await real.quiet(100);
    },
    stop: () => real.stop(),
  };
  return { host, now: () => Date.now() };
};
