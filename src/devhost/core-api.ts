/**
 * The `@azure/functions-core` module that the real Node.js worker injects into an app.
 *
 * `@azure/functions` requires this module lazily at the first registration; when the require
 * fails it silently enters "test mode" and registers nothing. The dev host therefore answers that
 * require itself (the worker does the same) and records every registration, the programming model
 * and the hooks, so the app runs unchanged with the real library.
 *
 * The module is process-global (Node caches it), so registrations go to whichever registry is
 * "capturing" while an app's entry files are being required.
 */
import Module from 'node:module';

export type RpcTypedData = Record<string, unknown>;

export interface BindingInfo {
  type: string;
  direction?: 'in' | 'out' | 'inout';
  [key: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  bindings: Record<string, BindingInfo>;
  retryOptions?: unknown;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

export interface Registration {
  metadata: FunctionMetadata;
  handler: FunctionCallback;
}

export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation';
export type HookCallback = (context: Record<string, unknown>) => unknown;

/** What the real programming model (from `@azure/functions`) gives the worker. */
export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreCtx: CoreInvocationContext): InvocationModel;
}

export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], handler: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<{ returnValue?: RpcTypedData | null; outputData?: unknown[] }>;
}

export interface CoreInvocationContext {
  invocationId: string;
  request: {
    invocationId: string;
    functionId: string;
    inputData: { name: string; data: RpcTypedData }[];
    triggerMetadata: Record<string, RpcTypedData>;
  };
  metadata: FunctionMetadata;
  state?: 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';
  log(level: string, category: string, message: string): void;
}

export class Disposable {
  #onDispose: (() => void) | undefined;
  constructor(onDispose: () => void) {
    this.#onDispose = onDispose;
  }
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => {
      for (const item of items) item.dispose();
    });
  }
  dispose(): void {
    this.#onDispose?.();
    this.#onDispose = undefined;
  }
}

/** Registrations captured from one app. */
export class Registry {
  readonly functions = new Map<string, Registration>();
  readonly hooks: Record<HookName, Set<HookCallback>> = {
    appStart: new Set(),
    appTerminate: new Set(),
    preInvocation: new Set(),
    postInvocation: new Set(),
  };

  byTrigger(type: string): Registration[] {
    return [...this.functions.values()].filter((r) => triggerOf(r.metadata)?.type === type);
  }
}

/** Binding names are `type + hash`, so bindings are found by their type, never by their name. */
export function triggerOf(metadata: FunctionMetadata): (BindingInfo & { name: string }) | undefined {
  for (const [name, binding] of Object.entries(metadata.bindings)) {
    if (binding.direction !== 'out' && binding.type.toLowerCase().endsWith('trigger')) return { ...binding, name };
  }
  return undefined;
}

const VALID_FUNCTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,127}$/;

let capturing: Registry | undefined;
let programmingModel: ProgrammingModel | undefined;

const coreApi = {
  version: '3.10.1',
  hostVersion: '4.1000.0',
  Disposable,
  registerFunction(metadata: FunctionMetadata, handler: FunctionCallback): Disposable {
    const registry = requireCapturing(`function "${metadata.name}"`);
    // The Functions host refuses other names at start-up; refusing them here too keeps a name
    // that works locally from failing only in Azure.
    if (!VALID_FUNCTION_NAME.test(metadata.name)) {
      throw new Error(`The function name "${metadata.name}" is invalid: Azure Functions names must match ${String(VALID_FUNCTION_NAME)} (letters, digits, "_" and "-", starting with a letter, at most 128).`);
    }
    const key = metadata.name.toLowerCase();
    if (registry.functions.has(key)) {
      throw new Error(`A function with the name "${metadata.name}" has already been registered.`);
    }
    registry.functions.set(key, { metadata, handler });
    return new Disposable(() => registry.functions.delete(key));
  },
  registerHook(name: string, callback: HookCallback): Disposable {
    if (!isHookName(name)) {
      // The real worker answers unknown hooks (e.g. "log" on an old host) with a RangeError.
      const error = new RangeError(`Unrecognized hook "${name}"`) as RangeError & { isAzureFunctionsSystemError: boolean };
      error.isAzureFunctionsSystemError = true;
      throw error;
    }
    const registry = requireCapturing(`${name} hook`);
    registry.hooks[name].add(callback);
    return new Disposable(() => registry.hooks[name].delete(callback));
  },
  setProgrammingModel(model: ProgrammingModel): void {
    programmingModel = model;
  },
  getProgrammingModel(): ProgrammingModel | undefined {
    return programmingModel;
  },
  // No `log` export on purpose: its presence tells `@azure/functions` that the host supports
  // HTTP streaming, which the dev host does not implement.
};

function isHookName(name: string): name is HookName {
  return name === 'appStart' || name === 'appTerminate' || name === 'preInvocation' || name === 'postInvocation';
}

function requireCapturing(what: string): Registry {
  if (!capturing) {
    throw new Error(`The dev host received a registration for ${what} outside of app loading.`);
  }
  return capturing;
}

let installed = false;

/** Makes `require('@azure/functions-core')` answer with the dev host's core API (once per process). */
export function installCoreApi(): void {
  if (installed) return;
  installed = true;
  const mod = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
  const originalLoad = mod._load;
  mod._load = function load(this: unknown, request: string, parent: unknown, isMain: boolean): unknown {
    if (request === '@azure/functions-core') return coreApi;
    return originalLoad.call(this, request, parent, isMain);
  };
}

/** Runs `load` with `registry` receiving every registration made meanwhile. */
export function captureInto<T>(registry: Registry, load: () => T): T {
  const previous = capturing;
  capturing = registry;
  try {
    return load();
  } finally {
    capturing = previous;
  }
}

/** Later registrations (rare: apps that register lazily) go to the most recently loaded app. */
export function keepCapturing(registry: Registry): void {
  capturing = registry;
}

export function getProgrammingModel(): ProgrammingModel {
  if (!programmingModel) {
    throw new Error('The app registered no functions through @azure/functions, so no programming model is set.');
  }
  return programmingModel;
}
