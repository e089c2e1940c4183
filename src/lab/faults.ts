/**
 * The lab's faults, by name: what each does to the simulated systems and how it is taken back.
 * The same names work on the command line (`npm start -- --lab --fault bad-release,breaking-flag`)
 * and over the lab's HTTP API (`POST /faults/bad-release`, `DELETE /faults/bad-release`).
 *
 *   bad-release      release r42 goes to production (deployed to staging, then swapped in): its
 *                    readiness is red and its jobs API answers 500; staging keeps r41, the LKG.
 *   breaking-flag    a person turns the service's flag (EnableLegacyHttpSse) on through the stored
 *                    procedure: the SSE stream turns slow and the effective config drifts from
 *                    what production must run with.
 *   slow-swap        slot swaps take `ms` (default 15000) of real time before ARM reports them done.
 *   throttled-graph  the next `count` (default 6) Graph requests answer 429 with Retry-After
 *                    `retryAfterSeconds` (default 2).
 */
import { BAD_BUILD, BAD_RELEASE_FAULTS, type Lab } from './lab.js';

export const LAB_FAULTS = ['bad-release', 'breaking-flag', 'slow-swap', 'throttled-graph'] as const;
export type LabFault = (typeof LAB_FAULTS)[number];

export class LabFaultError extends Error {
  override name = 'LabFaultError';
}

export function isLabFault(name: string): name is LabFault {
  return (LAB_FAULTS as readonly string[]).includes(name);
}

/** "bad-release,breaking-flag" (or repeated options) -> fault names; unknown names are an error that lists the known ones. */
export function parseFaults(values: readonly string[]): LabFault[] {
  const names = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  const unknown = names.filter((n) => !isLabFault(n));
  if (unknown.length) throw new LabFaultError(`Unknown lab fault(s): ${unknown.join(', ')}. Known: ${LAB_FAULTS.join(', ')}.`);
  return [...new Set(names as LabFault[])];
}

function positive(params: Record<string, unknown>, name: string, fallback: number, max: number): number {
  const v = params[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max) throw new LabFaultError(`${name} must be a number from 1 to ${max}.`);
  return v;
}

/** Injects a fault; returns what it did, in a sentence. */
export function applyFault(lab: Lab, name: LabFault, params: Record<string, unknown> = {}): string {
  let what: string;
  switch (name) {
    case 'bad-release': {
      if (lab.slotOf(BAD_BUILD) === 'production') {
        lab.target.setFault('production', BAD_RELEASE_FAULTS);
        what = `${BAD_BUILD.releaseTag} already runs in production: its faults are back (ready red, /api/jobs 500).`;
      } else {
        const previous = lab.target.build('production');
        lab.deployToProduction(BAD_BUILD, BAD_RELEASE_FAULTS);
        what = `Released ${BAD_BUILD.releaseTag} (build ${BAD_BUILD.buildId}) to production: ready red, /api/jobs 500. Staging now holds ${previous.releaseTag}.`;
      }
      break;
    }
    case 'breaking-flag':
      lab.setFlagAsPerson(true);
      what = `${lab.service.flag} turned on in ${lab.service.scope} through dbo.sp_Feature_Set (as a person): slow SSE, config drift.`;
      break;
    case 'slow-swap': {
      const ms = positive(params, 'ms', 15_000, 600_000);
      lab.arm.swapMs = ms;
      what = `Slot swaps now take ${ms} ms.`;
      break;
    }
    case 'throttled-graph': {
      const count = positive(params, 'count', 6, 1000);
      const retryAfter = positive(params, 'retryAfterSeconds', 2, 600);
      for (let i = 0; i < count; i++) lab.graph.inject({ kind: 'post', status: 429, retryAfter: String(retryAfter) });
      what = `The next ${count} Graph post(s) answer 429 (Retry-After ${retryAfter} s).`;
      break;
    }
  }
  lab.active.set(name, what);
  return what;
}

/** Takes a fault back; returns what it did. */
export function clearFault(lab: Lab, name: LabFault): string {
  lab.active.delete(name);
  switch (name) {
    case 'bad-release': {
      const slot = lab.slotOf(BAD_BUILD);
      if (slot) lab.target.setFault(slot, {});
      return slot ? `${BAD_BUILD.releaseTag} (in ${slot}) is healthy again.` : `${BAD_BUILD.releaseTag} is deployed nowhere: nothing to clear.`;
    }
    case 'breaking-flag':
      lab.setFlagAsPerson(false);
      return `${lab.service.flag} turned off through dbo.sp_Feature_Set.`;
    case 'slow-swap':
      lab.arm.swapMs = 0;
      return 'Slot swaps complete at once again.';
    case 'throttled-graph':
      lab.graph.faults.length = 0;
      return 'Graph answers normally again.';
  }
}
