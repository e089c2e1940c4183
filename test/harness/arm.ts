/**
 * A small evaluator of compiled ARM templates (what `bicep build` writes), for the template tests:
 * it expands a deployment for given parameters into the concrete resources it would send, nested
 * deployments (modules) included, with their names, conditions, scopes and properties computed.
 * It knows the template functions the project's Bicep compiles to; any other function fails the
 * evaluation loudly. Values that only Azure knows at deployment time (a principal id, an endpoint)
 * come back as `<runtime:...>` strings. uniqueString and guid are deterministic stand-ins.
 */
import { createHash } from 'node:crypto';

export interface ArmTemplate {
  parameters?: Record<string, { type: string; defaultValue?: unknown; minValue?: number; maxValue?: number; allowedValues?: unknown[] }>;
  variables?: Record<string, unknown>;
  resources: Record<string, ArmResource> | ArmResource[];
  outputs?: Record<string, { type: string; value: unknown }>;
}

export interface ArmResource {
  type: string;
  apiVersion?: string;
  name: unknown;
  condition?: unknown;
  existing?: boolean;
  scope?: unknown;
  copy?: { name: string; count: unknown };
  properties?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface DeployedResource {
  /** Module path and symbolic name, e.g. "storage/assignments[1]". */
  path: string;
  type: string;
  name: string;
  /** The evaluated scope expression (a resource id), when the resource has one. */
  scope: string | undefined;
  /** The resource group of the deployment it belongs to ("target" for another group). */
  resourceGroup: string;
  resource: Record<string, unknown>;
}

export interface Deployment {
  resources: DeployedResource[];
  outputs: Record<string, unknown>;
}

export const SUBSCRIPTION_ID = '00000000-0000-0000-0000-00000000000a';
export const RESOURCE_GROUP = 'rg-incident-autopilot';

class Runtime {
  constructor(readonly what: string) {}
  toString(): string {
    return `<runtime:${this.what}>`;
  }
}

function runtime(what: string): unknown {
  return new Proxy(new Runtime(what), {
    get(target, prop) {
      if (prop === 'toString' || prop === Symbol.toPrimitive) return () => `<runtime:${target.what}>`;
      if (prop === 'what') return target.what;
      if (typeof prop === 'symbol') return undefined;
      return runtime(`${target.what}.${prop}`);
    },
  });
}

function text(v: unknown): string {
  if (v instanceof Runtime) return String(v);
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/** A stand-in for uniqueString: 13 characters of [a-z0-9], stable for the same input. */
export function fakeUniqueString(...parts: string[]): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const h = createHash('sha256').update(parts.join('|')).digest();
  return Array.from(h.subarray(0, 13), (b) => alphabet[b % 32]).join('');
}

function fakeGuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('|')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

// ---------------------------------------------------------------------------------------------
// Expression parsing

type Node =
  | { kind: 'lit'; value: unknown }
  | { kind: 'call'; fn: string; args: Node[] }
  | { kind: 'prop'; target: Node; name: string }
  | { kind: 'index'; target: Node; index: Node };

function parse(expr: string): Node {
  let i = 0;
  const ws = () => {
    while (expr[i] === ' ') i++;
  };
  const primary = (): Node => {
    ws();
    if (expr[i] === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= expr.length) throw new Error(`unterminated string in ${expr}`);
        if (expr[i] === "'") {
          if (expr[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += expr[i++];
      }
      return { kind: 'lit', value: s };
    }
    const num = /^-?\d+/.exec(expr.slice(i));
    if (num) {
      i += num[0].length;
      return { kind: 'lit', value: Number(num[0]) };
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(expr.slice(i));
    if (!id) throw new Error(`cannot parse "${expr}" at ${i}`);
    i += id[0].length;
    ws();
    if (expr[i] !== '(') throw new Error(`expected ( after ${id[0]} in ${expr}`);
    i++;
    const args: Node[] = [];
    ws();
    if (expr[i] === ')') i++;
    else {
      for (;;) {
        args.push(postfix());
        ws();
        if (expr[i] === ',') {
          i++;
          continue;
        }
        if (expr[i] === ')') {
          i++;
          break;
        }
        throw new Error(`expected , or ) in ${expr} at ${i}`);
      }
    }
    return { kind: 'call', fn: id[0], args };
  };
  const postfix = (): Node => {
    let node = primary();
    for (;;) {
      ws();
      if (expr[i] === '.') {
        i++;
        const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(expr.slice(i));
        if (!name) throw new Error(`expected a property name in ${expr}`);
        i += name[0].length;
        node = { kind: 'prop', target: node, name: name[0] };
      } else if (expr[i] === '[') {
        i++;
        const index = postfix();
        ws();
        if (expr[i] !== ']') throw new Error(`expected ] in ${expr}`);
        i++;
        node = { kind: 'index', target: node, index };
      } else return node;
    }
  };
  const node = postfix();
  ws();
  if (i !== expr.length) throw new Error(`trailing text in ${expr}`);
  return node;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

interface Scope {
  template: ArmTemplate;
  params: Record<string, unknown>;
  vars: Map<string, unknown>;
  copyIndex: number | undefined;
  path: string;
  resourceGroup: string;
  subscriptionId: string;
  /** Outputs of the nested deployments of this template, by symbolic name. */
  modules: Map<string, Record<string, unknown>>;
}

function symbolic(template: ArmTemplate): Record<string, ArmResource> {
  if (!Array.isArray(template.resources)) return template.resources;
  return Object.fromEntries(template.resources.map((r, i) => [String(i), r]));
}

function rgId(scope: Scope): string {
  return `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}`;
}

function call(fn: string, args: unknown[], scope: Scope, raw: Node[]): unknown {
  const s = (n: number) => text(args[n]);
  switch (fn.toLowerCase()) {
    case 'parameters':
      if (!(s(0) in scope.params)) throw new Error(`${scope.path}: parameter ${s(0)} has no value`);
      return scope.params[s(0)];
    case 'variables':
      return variable(s(0), scope);
    case 'format':
      return s(0).replace(/\{(\d+)\}/g, (_, n: string) => text(args[Number(n) + 1]));
    case 'concat':
      return Array.isArray(args[0]) ? args.flatMap((a) => a as unknown[]) : args.map(text).join('');
    case 'tolower':
      return s(0).toLowerCase();
    case 'uniquestring':
      return fakeUniqueString(...args.map(text));
    case 'guid':
      return fakeGuid(...args.map(text));
    case 'subscription':
      return { id: `/subscriptions/${scope.subscriptionId}`, subscriptionId: scope.subscriptionId, tenantId: '00000000-0000-0000-0000-0000000000t1' };
    case 'resourcegroup':
      return { id: rgId(scope), name: scope.resourceGroup, location: 'westeurope' };
    case 'resourceid': {
      const type = s(0);
      const names = args.slice(1).map(text);
      const segments = type.split('/').slice(1);
      const tail = segments.map((seg, k) => `${seg}/${names[k] ?? '?'}`).join('/');
      return `${rgId(scope)}/providers/${type.split('/')[0]}/${tail}`;
    }
    case 'subscriptionresourceid':
      return `/subscriptions/${scope.subscriptionId}/providers/${s(0)}/${args.slice(1).map(text).join('/')}`;
    case 'reference': {
      const target = s(0);
      const outputs = scope.modules.get(target);
      if (outputs) return { outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { value: v }])) };
      return runtime(`${scope.path ? `${scope.path}/` : ''}${target}`);
    }
    case 'not':
      return !args[0];
    case 'and':
      return args.every(Boolean);
    case 'or':
      return args.some(Boolean);
    case 'equals':
      return text(args[0]) === text(args[1]);
    case 'empty':
      return args[0] === '' || args[0] === null || (Array.isArray(args[0]) && args[0].length === 0) || (typeof args[0] === 'object' && args[0] !== null && !(args[0] instanceof Runtime) && Object.keys(args[0]).length === 0);
    case 'if':
      return args[0] ? args[1] : args[2];
    case 'createarray':
      return args;
    case 'createobject': {
      const o: Record<string, unknown> = {};
      for (let k = 0; k < args.length; k += 2) o[text(args[k])] = args[k + 1];
      return o;
    }
    case 'union':
      return Object.assign({}, ...(args as object[]));
    case 'length':
      return Array.isArray(args[0]) ? args[0].length : typeof args[0] === 'string' ? args[0].length : Object.keys(args[0] as object).length;
    case 'split':
      return s(0).split(s(1));
    case 'replace':
      return s(0).split(s(1)).join(s(2));
    case 'take':
      return Array.isArray(args[0]) ? args[0].slice(0, Number(args[1])) : s(0).slice(0, Number(args[1]));
    case 'last':
      return Array.isArray(args[0]) ? args[0][args[0].length - 1] : s(0).slice(-1);
    case 'copyindex':
      if (scope.copyIndex === undefined) throw new Error(`${scope.path}: copyIndex() outside a copy loop`);
      return scope.copyIndex + (raw.length ? Number(args[0]) : 0);
    case 'true':
      return true;
    case 'false':
      return false;
    case 'null':
      return null;
    default:
      throw new Error(`${scope.path}: the test evaluator does not know the template function ${fn}()`);
  }
}

function evalNode(node: Node, scope: Scope): unknown {
  switch (node.kind) {
    case 'lit':
      return node.value;
    case 'call':
      return call(node.fn, node.args.map((a) => evalNode(a, scope)), scope, node.args);
    case 'prop': {
      const target = evalNode(node.target, scope);
      if (target instanceof Runtime) return (target as unknown as Record<string, unknown>)[node.name];
      if (target === null || typeof target !== 'object') throw new Error(`${scope.path}: .${node.name} of ${text(target)}`);
      return (target as Record<string, unknown>)[node.name];
    }
    case 'index': {
      const target = evalNode(node.target, scope) as Record<string, unknown> | unknown[];
      const index = evalNode(node.index, scope);
      // As ARM: a property that does not exist fails the evaluation (the deployment).
      if (target !== null && typeof target === 'object' && !(target instanceof Runtime) && !Array.isArray(target) && !(text(index) in target)) {
        throw new Error(`${scope.path}: the language expression property '${text(index)}' doesn't exist`);
      }
      return (target as Record<string, unknown>)[text(index)];
    }
  }
}

/** Evaluates a template value: strings in [brackets] are expressions, everything else is walked. */
export function evaluate(value: unknown, scope: Scope): unknown {
  if (typeof value === 'string') {
    if (value.startsWith('[[')) return value.slice(1);
    if (value.startsWith('[') && value.endsWith(']')) return evalNode(parse(value.slice(1, -1)), scope);
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => evaluate(v, scope));
  if (value !== null && typeof value === 'object' && !(value instanceof Runtime)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluate(v, scope)]));
  }
  return value;
}

function variable(name: string, scope: Scope): unknown {
  if (!scope.vars.has(name)) {
    const raw = scope.template.variables?.[name];
    if (raw === undefined) throw new Error(`${scope.path}: no variable ${name}`);
    scope.vars.set(name, evaluate(raw, { ...scope, copyIndex: undefined }));
  }
  return scope.vars.get(name);
}

function run(template: ArmTemplate, given: Record<string, unknown>, path: string, resourceGroup: string, subscriptionId: string): Deployment {
  const params: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(template.parameters ?? {})) {
    if (name in given) params[name] = given[name];
    else if ('defaultValue' in def) params[name] = def.defaultValue;
    else throw new Error(`${path || 'main'}: parameter ${name} is required`);
  }
  const scope: Scope = { template, params: {}, vars: new Map(), copyIndex: undefined, path, resourceGroup, subscriptionId, modules: new Map() };
  // Defaults may be expressions (resourceGroup().location).
  for (const [k, v] of Object.entries(params)) scope.params[k] = evaluate(v, scope);
  const out: DeployedResource[] = [];
  for (const [sym, res] of Object.entries(symbolic(template))) {
    const count = res.copy ? Number(evaluate(res.copy.count, scope)) : undefined;
    for (const index of count === undefined ? [undefined] : Array.from({ length: count }, (_, k) => k)) {
      const s: Scope = { ...scope, copyIndex: index };
      const label = `${path ? `${path}/` : ''}${sym}${index === undefined ? '' : `[${index}]`}`;
      if (res.condition !== undefined && !evaluate(res.condition, s)) continue;
      if (res.existing) continue;
      if (res.type === 'Microsoft.Resources/deployments') {
        const props = res.properties as { template: ArmTemplate; parameters?: Record<string, unknown> };
        // Each entry is { value } or an expression that yields one (a conditional module output).
        const values = Object.fromEntries(Object.entries(props.parameters ?? {}).map(([k, v]) => [k, (evaluate(v, s) as { value: unknown }).value]));
        const rg = res.resourceGroup !== undefined ? text(evaluate(res.resourceGroup, s)) : resourceGroup;
        const sub = res.subscriptionId !== undefined ? text(evaluate(res.subscriptionId, s)) : subscriptionId;
        const child = run(props.template, values, label, rg, sub);
        out.push(...child.resources);
        if (index === undefined) scope.modules.set(sym, child.outputs);
        continue;
      }
      const evaluated = evaluate(Object.fromEntries(Object.entries(res).filter(([k]) => k !== 'copy' && k !== 'condition' && k !== 'dependsOn')), s) as Record<string, unknown>;
      out.push({
        path: label,
        type: res.type,
        name: text(evaluated.name),
        scope: evaluated.scope === undefined ? undefined : text(evaluated.scope),
        resourceGroup: resourceGroup,
        resource: evaluated,
      });
    }
  }
  const outputs = Object.fromEntries(Object.entries(template.outputs ?? {}).map(([k, o]) => [k, evaluate(o.value, scope)]));
  return { resources: out, outputs };
}

/** The resources a deployment of `template` with `params` would send, modules expanded. */
export function deploy(template: ArmTemplate, params: Record<string, unknown>): Deployment {
  return run(template, params, '', RESOURCE_GROUP, SUBSCRIPTION_ID);
}

/** Whether a value is (or contains) something only Azure knows at deployment time. */
export function isRuntime(value: unknown): boolean {
  return value instanceof Runtime || (typeof value === 'string' && value.includes('<runtime:'));
}
