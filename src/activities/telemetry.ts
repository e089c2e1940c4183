/**
 * Emits a resolved incident's metrics once: at most once, since a metric counted twice (an MTTR
 * in the workbook twice) misleads more than one missing after a crash. The step ledger records
 * the emission; an attempt that started and never finished is taken as possibly emitted.
 */
import type { z } from 'zod';
import { incidentPoints } from '../domain/telemetry.js';
import type { StepLedger } from '../ports/ledger.js';
import type { Telemetry } from '../ports/telemetry.js';
import { once } from './once.js';
import type { recordIncidentTelemetry } from './telemetry.contracts.js';

type Output = z.input<typeof recordIncidentTelemetry.output>;

export const INCIDENT_TELEMETRY_STEP = 'telemetry/resolved';

export function createTelemetryActivities(deps: { ledger: () => StepLedger; telemetry: () => Telemetry; now: () => Date }) {
  return {
    async recordIncident(input: z.output<typeof recordIncidentTelemetry.input>): Promise<Output> {
      const { outcome } = await once<Output>({
        ledger: deps.ledger(),
        key: { incidentId: input.incidentId, step: INCIDENT_TELEMETRY_STEP },
        now: deps.now().toISOString(),
        act: () => {
          const t = deps.telemetry();
          const points = incidentPoints(input);
          for (const p of points) {
            if ('by' in p) t.count(p.metric, p.attributes, p.by);
            else t.record(p.metric, p.value, p.attributes);
          }
          return Promise.resolve({ emitted: true, points: points.length, summary: `${points.length} metric points for ${input.incidentId}.` });
        },
        reconcile: () => Promise.resolve({ emitted: false, points: 0, summary: 'An earlier attempt may have emitted them; not emitted again.' }),
      });
      return outcome;
    },
  };
}
