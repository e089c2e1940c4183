/**
 * Required JSON fields as dotted paths: "data.items", "items.0.id" or "items[0].id". A field whose
 * value is null is present (the contract says it exists); an absent one is missing.
 */

/** Splits "a.b[0].c" into ["a", "b", "0", "c"]; null when the path is malformed. */
export function parseFieldPath(path: string): string[] | null {
  const segments: string[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return null;
    const [, name = '', indexes = ''] = m;
    if (name === '' && indexes === '') return null;
    if (name !== '') segments.push(name);
    for (const idx of indexes.matchAll(/\[(\d+)\]/g)) segments.push(idx[1] as string);
  }
  return segments;
}

export function hasField(doc: unknown, path: string): boolean {
  const segments = parseFieldPath(path);
  if (!segments) return false;
  let cur: unknown = doc;
  for (const seg of segments) {
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(seg)) return false;
      const i = Number(seg);
      if (i >= cur.length) return false;
      cur = cur[i];
    } else if (cur !== null && typeof cur === 'object') {
      if (!Object.prototype.hasOwnProperty.call(cur, seg)) return false;
      cur = (cur as Record<string, unknown>)[seg];
    } else {
      return false;
    }
  }
  return true;
}

/** The value at a dotted path, or undefined when absent. */
export function getField(doc: unknown, path: string): unknown {
  const segments = parseFieldPath(path);
  if (!segments) return undefined;
  let cur: unknown = doc;
  for (const seg of segments) {
    if (Array.isArray(cur) && /^\d+$/.test(seg)) cur = cur[Number(seg)];
    else if (cur !== null && typeof cur === 'object' && !Array.isArray(cur) && Object.prototype.hasOwnProperty.call(cur, seg))
      cur = (cur as Record<string, unknown>)[seg];
    else return undefined;
  }
  return cur;
}

export function missingFields(doc: unknown, paths: readonly string[]): string[] {
  return paths.filter((p) => !hasField(doc, p));
}

/**
 * How deep a JSON document may nest (objects and arrays, the root counting as 1). Azure Monitor's
 * alerts nest under 10 levels and the API's bodies under 5; the code that walks documents
 * (redaction, serialisation, validation) recurses, so a deeper one is refused before it is read.
 */
export const MAX_JSON_DEPTH = 64;

/** The nesting depth of a parsed JSON value, counted without recursion; stops once past `limit`. */
export function jsonDepth(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== 'object') continue;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(node) ? node : Object.values(node as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return deepest;
}
