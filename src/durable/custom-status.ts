/**
 * The Durable extension's limit on an orchestration's custom status: its JSON, as UTF-16 (two bytes
 * per code unit), must stay under 17 KB counted in whole KB rounded down, i.e. at most 8,703 UTF-16
 * code units. At 8,704 the extension fails the orchestration ("The UTF-16 size of the
 * JSON-serialized payload must not exceed 16 KB"); an emoji counts as two code units. Proven on the
 * real extension by test/conformance/durable-behaviour.test.ts.
 *
 * Pure and deterministic: an orchestrator can call boundCustomStatus on every turn.
 */
export const CUSTOM_STATUS_MAX_UNITS = 8703;

/** The size the extension measures: UTF-16 code units of the JSON text (0 for undefined). */
export function customStatusUnits(value: unknown): number {
  return JSON.stringify(value)?.length ?? 0;
}

export function fitsCustomStatus(value: unknown, max = CUSTOM_STATUS_MAX_UNITS): boolean {
  return customStatusUnits(value) <= max;
}

const ELLIPSIS = '…';
const MIN_KEPT = 40;

/**
 * The value itself when it fits; otherwise a copy in which the longest strings are shortened (ending
 * in "…") and the longest lists cut (ending in "(n more)"), step by step, until it fits. What the
 * person reads first (short fields: phase, decision, deadlines) survives; long reasons and lists give
 * way. `truncated` says whether anything was cut.
 */
export function boundCustomStatus<T>(value: T, max = CUSTOM_STATUS_MAX_UNITS): { value: T; truncated: boolean } {
  if (fitsCustomStatus(value, max)) return { value, truncated: false };
  let copy = JSON.parse(JSON.stringify(value)) as unknown;
  for (let guard = 0; guard < 10_000 && !fitsCustomStatus(copy, max); guard++) {
    const biggest = largest(copy);
    if (!biggest) break;
    if (!shrink(biggest)) break;
  }
  if (!fitsCustomStatus(copy, max)) copy = { truncated: true, note: 'custom status too large to show' };
  return { value: copy as T, truncated: true };
}

type Slot = { parent: Record<string, unknown> | unknown[]; key: string | number; size: number };

/** The largest string or array (by its JSON size) anywhere in the value. */
function largest(root: unknown): Slot | undefined {
  let best: Slot | undefined;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach((child, i) => consider(node, i, child));
      node.forEach(visit);
    } else if (node && typeof node === 'object') {
      const rec = node as Record<string, unknown>;
      for (const [k, child] of Object.entries(rec)) consider(rec, k, child);
      Object.values(rec).forEach(visit);
    }
  };
  const consider = (parent: Slot['parent'], key: string | number, child: unknown): void => {
    const shrinkable = (typeof child === 'string' && child.length > MIN_KEPT + 1) || (Array.isArray(child) && child.length > 1);
    if (!shrinkable) return;
    const size = customStatusUnits(child);
    if (!best || size > best.size) best = { parent, key, size };
  };
  visit(root);
  return best;
}

function shrink(slot: Slot): boolean {
  const get = (): unknown => (Array.isArray(slot.parent) ? slot.parent[slot.key as number] : slot.parent[slot.key as string]);
  const set = (v: unknown): void => {
    if (Array.isArray(slot.parent)) slot.parent[slot.key as number] = v;
    else slot.parent[slot.key as string] = v;
  };
  const v = get();
  if (typeof v === 'string') {
    const keep = Math.max(MIN_KEPT, Math.floor(v.length / 2));
    if (keep >= v.length - 1) return false;
    // Never split a surrogate pair.
    const cut = /[\uD800-\uDBFF]/.test(v.charAt(keep - 1)) ? keep - 1 : keep;
    set(v.slice(0, cut) + ELLIPSIS);
    return true;
  }
  if (Array.isArray(v)) {
    const marker = typeof v.at(-1) === 'string' && /^\(\d+ more\)$/.test(v.at(-1) as string);
    const items: unknown[] = marker ? v.slice(0, -1) : v;
    const before = marker ? Number(/\d+/.exec(v.at(-1) as string)?.[0] ?? 0) : 0;
    if (items.length <= 1) return false;
    const keep = Math.floor(items.length / 2);
    set([...items.slice(0, keep), `(${before + items.length - keep} more)`]);
    return true;
  }
  return false;
}
