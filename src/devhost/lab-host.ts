/**
 * The dev host with the lab (src/lab) beside it: the lab's simulators start first (their addresses
 * go into the app's settings), then the app on the dev host, then the lab records its release as
 * the last known good through the app's API, as a deploy pipeline would. Used by
 * `npm start -- --lab`, `npm run demo` and `npm run drill -- --lab`.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LAB_ENVIRONMENT, Lab, LabSetupError, type LabPorts } from '../lab/lab.js';
import { applyFault, type LabFault } from '../lab/faults.js';
import { LabServer } from '../lab/lab-server.js';
import type { Clock } from './clock.js';
import { DevHost, type DevHostOptions } from './host.js';

export interface LabHostOptions extends Omit<DevHostOptions, 'clock'> {
  clock: Clock;
  /** Fixed ports for the lab (its page first), or 'free'. */
  labPorts?: Partial<LabPorts> | 'free';
  /** Where the lab writes the files the app reads (certificates, the Teams sign-in). */
  labDir: string;
  faults?: LabFault[];
  /** Told what the lab did (policy used, faults injected). */
  say?: (line: string) => void;
}

export interface LabHost {
  host: DevHost;
  lab: Lab;
  page: LabServer;
  stop(): Promise<void>;
}

/**
 * The policy the lab simulates: the app's own (POLICY_JSON or POLICY_PATH) when it has a Lab
 * service, else the app's policy.sample.json, which has one.
 */
export function labPolicyDocument(appRoot: string, env: NodeJS.ProcessEnv): { document: unknown; source: string } {
  const candidates: { source: string; text: () => string }[] = [];
  if (env.POLICY_JSON?.trim()) candidates.push({ source: 'POLICY_JSON', text: () => env.POLICY_JSON ?? '' });
  else if (env.POLICY_PATH?.trim()) {
    const file = path.resolve(appRoot, env.POLICY_PATH.trim());
    candidates.push({ source: file, text: () => readFileSync(file, 'utf8') });
  }
  const sample = path.join(appRoot, 'policy.sample.json');
  if (existsSync(sample)) candidates.push({ source: sample, text: () => readFileSync(sample, 'utf8') });
  for (const c of candidates) {
    let document: unknown;
    try {
      document = JSON.parse(c.text());
    } catch {
      continue;
    }
    const services = (document as { services?: { environment?: unknown }[] } | null)?.services;
    if (Array.isArray(services) && services.some((s) => typeof s.environment === 'string' && s.environment.toLowerCase() === LAB_ENVIRONMENT.toLowerCase())) {
      return { document, source: c.source };
    }
  }
  throw new LabSetupError(`Neither the app's policy nor ${sample} has a service in the ${LAB_ENVIRONMENT} environment: the lab simulates that service.`);
}

export async function startLabHost(o: LabHostOptions): Promise<LabHost> {
  const say = o.say ?? (() => undefined);
  const env = process.env;
  const { document, source } = labPolicyDocument(o.appRoot, env);
  const lab = await Lab.start({ policyDocument: document, dir: o.labDir, ports: o.labPorts ?? {}, now: () => o.clock.now() });
  let page: LabServer | undefined;
  try {
    page = await LabServer.start(lab, o.labPorts === 'free' ? 0 : (o.labPorts?.page ?? 7080));
    // The overlay wins over local.settings.json for what the lab provides; everything else stays.
    for (const [k, v] of Object.entries(lab.settings(env))) env[k] = v;
    say(`Lab: ${lab.service.service}@${lab.service.environment} from ${source}; page ${page.url}`);
    const host = await DevHost.start({ ...o, clock: o.clock });
    try {
      await lab.recordLkg(host.baseUrl);
      for (const f of o.faults ?? []) say(`Lab fault ${f}: ${applyFault(lab, f)}`);
    } catch (err) {
      await host.stop();
      throw err;
    }
    const shown = page;
    return {
      host,
      lab,
      page: shown,
      async stop() {
        await host.stop();
        await shown.stop();
        await lab.stop();
      },
    };
  } catch (err) {
    await page?.stop();
    await lab.stop();
    throw err;
  }
}
