/**
 * Which service and environment an alert is about, by the policy's rules, in this order of trust:
 * custom properties the alert rule author set (`service` + `environment`, or the entry's own
 * `match.properties`), then the alert's target resource ids (equal, or inside a configured
 * resource group / resource), then alert rule name patterns.
 */
import type { ServiceEntry } from './policy.js';
import { property, type Signal } from './signal.js';

export type RouteMatch =
  | { matched: true; entry: ServiceEntry; by: 'properties' | 'target' | 'rule'; reason: string; alsoMatched: string[] }
  | { matched: false; reason: string };

const lower = (s: string): string => s.toLowerCase().replace(/\/+$/, '');

function targetMatches(target: string, configured: string): boolean {
  const t = lower(target);
  const c = lower(configured);
  return t === c || t.startsWith(c + '/');
}

function byProperties(signal: Signal, entry: ServiceEntry): boolean {
  const explicit = Object.entries(entry.match.properties);
  if (explicit.length) return explicit.every(([k, v]) => property(signal, k)?.toLowerCase() === v.toLowerCase());
  const service = property(signal, 'service');
  const environment = property(signal, 'environment');
  return (
    service !== undefined &&
    environment !== undefined &&
    service.toLowerCase() === entry.service.toLowerCase() &&
    environment.toLowerCase() === entry.environment.toLowerCase()
  );
}

export function routeSignal(signal: Signal, services: readonly ServiceEntry[]): RouteMatch {
  const label = (e: ServiceEntry): string => `${e.service}@${e.environment}`;
  const tiers: { by: 'properties' | 'target' | 'rule'; test: (e: ServiceEntry) => string | undefined }[] = [
    { by: 'properties', test: (e) => (byProperties(signal, e) ? 'its custom properties name it' : undefined) },
    {
      by: 'target',
      test: (e) => {
        for (const t of signal.targets) {
          const hit = e.match.targetResourceIds.find((c) => targetMatches(t, c));
          if (hit) return `its target ${t} is under ${hit}`;
        }
        return undefined;
      },
    },
    {
      by: 'rule',
      test: (e) => {
        if (!signal.rule) return undefined;
        const hit = e.match.rulePatterns.find((p) => new RegExp(p, 'i').test(signal.rule ?? ''));
        return hit ? `its rule "${signal.rule}" matches /${hit}/` : undefined;
      },
    },
  ];
  for (const tier of tiers) {
    const hits = services.map((e) => ({ e, why: tier.test(e) })).filter((h): h is { e: ServiceEntry; why: string } => h.why !== undefined);
    const first = hits[0];
    if (first) {
      return { matched: true, entry: first.e, by: tier.by, reason: `${label(first.e)}: ${first.why}`, alsoMatched: hits.slice(1).map((h) => label(h.e)) };
    }
  }
  const service = property(signal, 'service');
  const environment = property(signal, 'environment');
  return {
    matched: false,
    reason:
      service || environment
        ? `no service in the policy is ${service ?? '?'}@${environment ?? '?'}, and no target or rule pattern matches`
        : `no service in the policy matches targets [${signal.targets.join(', ')}] or rule "${signal.rule ?? ''}"`,
  };
}
