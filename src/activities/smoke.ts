/**
 * The smoke activity handler: resolves the target's credentials from settings, applies the
 * probing guards, runs the probe and judges the measurements with the environment's thresholds.
 */
import { hostAllowed, type SmokeSettingsResult } from '../config/smoke.js';
import { describeIssues } from '../config/issues.js';
import { notMeasured, type CheckResult, type ProbeError } from '../domain/smoke-checks.js';
import { judged } from '../domain/smoke-verdict.js';
import type { SmokeProbes } from '../ports/smoke-probes.js';
import type { z } from 'zod';
import type { RunSmokeCheckInput } from './smoke.contracts.js';
import { errorText } from '../domain/errors.js';

export interface SmokePorts {
  probes: SmokeProbes;
  settings: () => SmokeSettingsResult;
}

/** The activity input after parsing (defaults filled in). */
type Input = z.output<typeof RunSmokeCheckInput>;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i;

export interface SmokeActivities {
  runCheck(input: Input): Promise<CheckResult>;
}

export function createSmokeActivities(ports: SmokePorts): SmokeActivities {
  return {
    async runCheck(input: Input): Promise<CheckResult> {
      const { target, check, thresholds, requestedAt } = input;
      const base = { target: target.label, baseUrl: target.baseUrl, requestedAt };
      const refuse = (message: string): CheckResult => {
        const error: ProbeError = { code: 'refused', message };
        return judged(notMeasured(check, base, error), thresholds);
      };

      const read = ports.settings();
      if (!read.ok) return refuse(`the smoke settings are invalid: ${describeIssues(read.issues).replace(/\n/g, '; ')}`.slice(0, 500));
      const settings = read.settings;
      const url = new URL(target.baseUrl);
      if (!hostAllowed(url.hostname, settings.allowedHosts)) {
        const policy = settings.policyProblem ? `the policy cannot be read (${settings.policyProblem.slice(0, 200)}), so it names no host` : 'the policy does not name it';
        return refuse(`${url.hostname} is not a host probes may reach: ${policy}, nor does SMOKE_ALLOWED_HOSTS`);
      }
      const headers: Record<string, string> = {};
      if (target.auth.kind === 'setting') {
        const value = settings.secret(target.auth.setting);
        if (value === undefined) return refuse(`the app setting ${target.auth.setting} (credentials for ${target.label}) is not set`);
        if (url.protocol !== 'https:' && !LOOPBACK.test(url.hostname)) {
          return refuse(`refusing to send credentials to ${url.hostname} over plain HTTP`);
        }
        headers[target.auth.header] = target.auth.scheme ? `${target.auth.scheme} ${value}` : value;
      }

      try {
        const measured = await ports.probes.probe({ label: target.label, baseUrl: target.baseUrl, headers }, check, { requestedAt });
        return judged(measured, thresholds);
      } catch (err) {
        // A probe bug must not fail the whole suite (Task.all fails fast): report it as a result.
        const message = errorText(err);
        return judged(notMeasured(check, base, { code: 'internal', message: `the probe failed: ${message}`.slice(0, 500) }), thresholds);
      }
    },
  };
}
