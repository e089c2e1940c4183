/**
 * HTTP trigger route templates with the Functions host's (ASP.NET Core) rules: literal segments
 * match case-insensitively; `{name}`, `{name?}`, `{name:constraint}`, `{name=default}` and a trailing
 * catch-all `{*rest}`; more specific routes win over less specific ones.
 */

export interface CompiledRoute {
  template: string;
  regex: RegExp;
  params: { name: string; constraint: ((value: string) => boolean) | undefined; defaultValue: string | undefined }[];
  /** Per-segment precedence (lower is more specific), compared lexicographically. */
  precedence: number[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function constraintFor(spec: string, template: string): (value: string) => boolean {
  const m = /^([a-z]+)(?:\((.*)\))?$/i.exec(spec);
  if (!m) throw new Error(`Route "${template}": cannot read the constraint "${spec}".`);
  const name = (m[1] ?? '').toLowerCase();
  const arg = m[2] ?? '';
  const nums = arg.split(',').map((s) => Number(s.trim()));
  const n0 = nums[0] ?? NaN;
  const n1 = nums[1] ?? NaN;
  switch (name) {
    case 'int':
    case 'long':
      return (v) => /^-?\d+$/.test(v);
    case 'bool':
      return (v) => /^(true|false)$/i.test(v);
    case 'guid':
      return (v) => GUID.test(v);
    case 'alpha':
      return (v) => /^[a-z]+$/i.test(v);
    case 'double':
    case 'decimal':
    case 'float':
      return (v) => v.trim() !== '' && Number.isFinite(Number(v));
    case 'datetime':
      return (v) => !Number.isNaN(Date.parse(v));
    case 'minlength':
      return (v) => v.length >= n0;
    case 'maxlength':
      return (v) => v.length <= n0;
    case 'length':
      return Number.isNaN(n1) ? (v) => v.length === n0 : (v) => v.length >= n0 && v.length <= n1;
    case 'min':
      return (v) => /^-?\d+$/.test(v) && Number(v) >= n0;
    case 'max':
      return (v) => /^-?\d+$/.test(v) && Number(v) <= n0;
    case 'range':
      return (v) => /^-?\d+$/.test(v) && Number(v) >= n0 && Number(v) <= n1;
    case 'regex': {
      const re = new RegExp(arg, 'i');
      return (v) => re.test(v);
    }
    default:
      throw new Error(`Route "${template}": the constraint "${spec}" is not supported by the dev host.`);
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function compileRoute(template: string): CompiledRoute {
  const clean = template.replace(/^\/+|\/+$/g, '');
  const params: CompiledRoute['params'] = [];
  const precedence: number[] = [];
  let pattern = '^';
  const segments = clean === '' ? [] : clean.split('/');
  segments.forEach((segment, index) => {
    const parts = segment.split(/(\{[^}]+\})/).filter((p) => p !== '');
    let segPattern = '';
    let optionalSegment = false;
    let rank = 0;
    for (const part of parts) {
      if (!part.startsWith('{')) {
        segPattern += escapeRegex(part);
        continue;
      }
      let body = part.slice(1, -1);
      const catchAll = body.startsWith('*');
      if (catchAll) {
        if (index !== segments.length - 1) throw new Error(`Route "${template}": a catch-all must be the last segment.`);
        body = body.replace(/^\*+/, '');
      }
      let defaultValue: string | undefined;
      const eq = body.indexOf('=');
      if (eq >= 0) {
        defaultValue = body.slice(eq + 1);
        body = body.slice(0, eq);
      }
      const optional = body.endsWith('?');
      if (optional) body = body.slice(0, -1);
      const [name = '', ...specs] = body.split(':');
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`Route "${template}": bad parameter name "${name}".`);
      const checks = specs.map((s) => constraintFor(s, template));
      const constraint = checks.length ? (v: string): boolean => checks.every((c) => c(v)) : undefined;
      params.push({ name, constraint, defaultValue });
      segPattern += catchAll ? '(.*)' : '([^/]+)';
      if (optional || defaultValue !== undefined || catchAll) optionalSegment = parts.length === 1;
      rank = Math.max(rank, catchAll ? 4 : checks.length ? 2 : 3);
    }
    precedence.push(rank === 0 ? 1 : rank);
    const sep = index === 0 ? '' : '/';
    pattern += optionalSegment ? `(?:${sep}${segPattern.replace('([^/]+)', '([^/]*)')})?` : sep + segPattern;
  });
  pattern += '/?$';
  return { template: clean, regex: new RegExp(pattern, 'i'), params, precedence };
}

/** Returns the decoded parameters when `path` (no prefix, no query) matches, else undefined. */
export function matchRoute(route: CompiledRoute, path: string): Record<string, string> | undefined {
  const m = route.regex.exec(path.replace(/^\/+/, ''));
  if (!m) return undefined;
  const out: Record<string, string> = {};
  for (let i = 0; i < route.params.length; i++) {
    const param = route.params[i];
    if (!param) continue;
    const raw = m[i + 1];
    let value: string | undefined;
    try {
      value = raw === undefined || raw === '' ? param.defaultValue : decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (value === undefined) continue;
    if (param.constraint && !param.constraint(value)) return undefined;
    out[param.name] = value;
  }
  return out;
}

/** Orders routes so that the most specific template is tried first. */
export function compareRoutes(a: CompiledRoute, b: CompiledRoute): number {
  const n = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < n; i++) {
    const x = a.precedence[i] ?? 0;
    const y = b.precedence[i] ?? 0;
    if (x !== y) return x - y;
  }
  return b.precedence.length - a.precedence.length;
}
