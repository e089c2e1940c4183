/**
 * Config parity: the effective configuration a target reports against the expected document,
 * key by key. Keys follow .NET configuration conventions: nested objects and flat
 * "Section:Key" names are the same key, "." and "__" are accepted as separators, and names are
 * compared case-insensitively (as the .NET configuration system does). Arrays are compared as
 * whole values.
 */
import { z } from 'zod';

/** A key name or glob: "*" matches within one section, "**" across sections. */
export const KeyPattern = z
  .string()
  .min(1)
  .max(300)
  .regex(/^[^\s]+$/, 'must not contain spaces');

/** Keys whose values are never shown in results (case-insensitive substrings of the key). */
export const DEFAULT_REDACT = ['password', 'secret', 'token', 'connectionstring', 'apikey', 'accountkey', 'credential', 'privatekey'] as const;

const SEP = ':';

/** The canonical form used for matching: ":"-separated, lower case. */
export function canonicalKey(key: string): string {
  return key.replace(/__/g, SEP).replace(/\./g, SEP).toLowerCase();
}

/** Leaves of a JSON document by ":"-joined key; arrays and empty objects are leaves. */
export function flattenConfig(doc: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (value: unknown, key: string): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, key === '' ? k : `${key}${SEP}${k}`);
      return;
    }
    out.set(key, value);
  };
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) walk(doc, prefix);
  else out.set(prefix, doc);
  return out;
}

const patternCache = new Map<string, RegExp>();

export function keyMatches(pattern: string, key: string): boolean {
  let re = patternCache.get(pattern);
  if (!re) {
    const canon = canonicalKey(pattern);
    let src = '';
    for (let i = 0; i < canon.length; i++) {
      const c = canon[i] as string;
      if (c === '*') {
        if (canon[i + 1] === '*') {
          src += '.*';
          i++;
        } else {
          src += '[^:]*';
        }
      } else {
        src += c.replace(/[\\^$+?.()|[\]{}]/g, '\\$&');
      }
    }
    re = new RegExp(`^${src}$`);
    if (patternCache.size > 1000) patternCache.clear();
    patternCache.set(pattern, re);
  }
  return re.test(canonicalKey(key));
}

export interface ParityOptions {
  critical: readonly string[];
  ignore: readonly string[];
  unlisted: 'critical' | 'non-critical';
  redact: readonly string[];
  looseScalars: boolean;
}

export interface DriftItem {
  key: string;
  change: 'changed' | 'missing' | 'unexpected';
  severity: 'critical' | 'non-critical';
  expected: string | null;
  actual: string | null;
}

export interface ParityDiff {
  keysCompared: number;
  /** Critical first, then by key. */
  drift: DriftItem[];
  criticalDrift: number;
  nonCriticalDrift: number;
}

const MAX_VALUE_TEXT = 200;

function show(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > MAX_VALUE_TEXT ? `${text.slice(0, MAX_VALUE_TEXT - 1)}…` : text;
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return /^(true|false)$/i.test(value) ? value.toLowerCase() : value;
  return undefined;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

export function sameValue(expected: unknown, actual: unknown, loose: boolean): boolean {
  if (loose) {
    const a = scalarText(expected);
    const b = scalarText(actual);
    if (a !== undefined && b !== undefined) return a === b;
  }
  return canonicalJson(expected) === canonicalJson(actual);
}

/** Compares the actual effective configuration with the expected one. */
export function diffConfig(expectedDoc: unknown, actualDoc: unknown, options: ParityOptions): ParityDiff {
  const expected = byCanonical(flattenConfig(expectedDoc));
  const actual = byCanonical(flattenConfig(actualDoc));
  const drift: DriftItem[] = [];
  let compared = 0;
  const severityOf = (key: string): DriftItem['severity'] =>
    options.critical.some((p) => keyMatches(p, key)) ? 'critical' : options.unlisted;
  const ignored = (key: string): boolean => options.ignore.some((p) => keyMatches(p, key));
  const secret = (key: string): boolean => {
    const lower = key.toLowerCase();
    return options.redact.some((r) => lower.includes(r.toLowerCase()));
  };
  const view = (key: string, value: unknown): string => (secret(key) ? '(redacted)' : show(value));

  for (const [canon, exp] of expected) {
    if (ignored(exp.key)) continue;
    compared++;
    const act = actual.get(canon);
    if (!act) {
      drift.push({ key: exp.key, change: 'missing', severity: severityOf(exp.key), expected: view(exp.key, exp.value), actual: null });
    } else if (!sameValue(exp.value, act.value, options.looseScalars)) {
      drift.push({ key: exp.key, change: 'changed', severity: severityOf(exp.key), expected: view(exp.key, exp.value), actual: view(exp.key, act.value) });
    }
  }
  for (const [canon, act] of actual) {
    if (expected.has(canon) || ignored(act.key)) continue;
    compared++;
    drift.push({ key: act.key, change: 'unexpected', severity: severityOf(act.key), expected: null, actual: view(act.key, act.value) });
  }
  drift.sort((a, b) => (a.severity === b.severity ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : a.severity === 'critical' ? -1 : 1));
  const criticalDrift = drift.filter((d) => d.severity === 'critical').length;
  return { keysCompared: compared, drift, criticalDrift, nonCriticalDrift: drift.length - criticalDrift };
}

function byCanonical(flat: Map<string, unknown>): Map<string, { key: string; value: unknown }> {
  const out = new Map<string, { key: string; value: unknown }>();
  for (const [key, value] of flat) out.set(canonicalKey(key), { key, value });
  return out;
}
