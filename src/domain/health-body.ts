/**
 * Reads what a health or readiness endpoint says about itself, whatever the writer: ASP.NET Core
 * health checks (plain "Healthy"/"Degraded"/"Unhealthy", or JSON with `status` and `entries`),
 * and the common JSON shapes (`status` plus `components` / `checks` / `dependencies`, as a list of
 * { name, status } or a map of name to status or { status }).
 */
import type { HealthState } from './smoke-checks.js';

const GREEN = new Set(['healthy', 'ok', 'up', 'pass', 'passed', 'green', 'ready', 'true', 'available']);
const DEGRADED = new Set(['degraded', 'warn', 'warning', 'yellow', 'amber', 'partial']);
const RED = new Set(['unhealthy', 'down', 'fail', 'failed', 'failing', 'red', 'critical', 'error', 'false', 'notready', 'not_ready', 'unavailable']);

export function healthState(raw: unknown): HealthState {
  const text = typeof raw === 'boolean' ? String(raw) : typeof raw === 'string' ? raw.trim().toLowerCase().replace(/[\s-]+/g, '') : '';
  if (GREEN.has(text)) return 'green';
  if (DEGRADED.has(text)) return 'degraded';
  if (RED.has(text)) return 'red';
  return 'unknown';
}

export interface HealthBody {
  status: HealthState | null;
  rawStatus: string | null;
  components: { name: string; status: HealthState; raw: string | null }[];
}

const MAX_COMPONENTS = 50;

function rawText(value: unknown): string | null {
  if (typeof value === 'string') return value.slice(0, 100);
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return null;
}

function statusOf(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    return o.status ?? o.Status ?? o.state ?? o.healthy;
  }
  return value;
}

export function readHealthBody(contentType: string | null, text: string): HealthBody {
  const trimmed = text.trim();
  const looksJson = /json/i.test(contentType ?? '') || trimmed.startsWith('{');
  if (!looksJson) {
    // ASP.NET Core's default writer: the status word alone.
    if (/^[A-Za-z_ -]{1,30}$/.test(trimmed)) {
      const state = healthState(trimmed);
      return { status: state === 'unknown' ? null : state, rawStatus: state === 'unknown' ? null : trimmed, components: [] };
    }
    return { status: null, rawStatus: null, components: [] };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(trimmed) as unknown;
  } catch {
    return { status: null, rawStatus: null, components: [] };
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return { status: null, rawStatus: null, components: [] };
  const o = doc as Record<string, unknown>;
  const rawStatus = o.status ?? o.Status ?? o.overallStatus ?? o.healthy;
  const list = o.components ?? o.entries ?? o.checks ?? o.dependencies ?? o.results;
  const components: HealthBody['components'] = [];
  if (Array.isArray(list)) {
    for (const [i, item] of list.entries()) {
      const rec = item !== null && typeof item === 'object' ? (item as Record<string, unknown>) : {};
      const name = rawText(rec.name ?? rec.key ?? rec.component ?? rec.id) ?? `#${i}`;
      const s = statusOf(item);
      components.push({ name: name.slice(0, 100), status: healthState(s), raw: rawText(s) });
    }
  } else if (list !== null && typeof list === 'object') {
    for (const [name, item] of Object.entries(list as Record<string, unknown>)) {
      const s = statusOf(item);
      components.push({ name: name.slice(0, 100), status: healthState(s), raw: rawText(s) });
    }
  }
  return {
    status: rawStatus === undefined ? null : healthState(rawStatus),
    rawStatus: rawText(rawStatus),
    components: components.slice(0, MAX_COMPONENTS),
  };
}
