/**
 * Invokes a registered function through the app's own programming model, as the Node.js worker
 * does: the dev host builds the worker's invocation request (RPC typed data), and `@azure/functions`
 * turns it into the handler's arguments (HttpRequest, InvocationContext, extra inputs) and turns
 * the result back into RPC data. Hooks run around the handler with the worker's semantics.
 */
import { randomUUID } from 'node:crypto';
import {
  getProgrammingModel,
  type CoreInvocationContext,
  type Registration,
  type Registry,
  type RpcTypedData,
  triggerOf,
} from './core-api.js';
import type { Logger, LogLevel } from './logger.js';

export interface InvokeRequest {
  /** The trigger's value as the host would send it. */
  trigger: RpcTypedData;
  /** Extra input values keyed by binding type (e.g. `durableClient`). */
  extraInputs?: Record<string, RpcTypedData>;
  triggerMetadata?: Record<string, RpcTypedData>;
  /** Convert the result to the worker's RPC response too (needed for HTTP output). */
  wantResponse?: boolean;
  timeoutMs?: number;
}

export interface InvokeResult {
  result: unknown;
  returnValue?: RpcTypedData | null | undefined;
  invocationId: string;
}

export class FunctionTimeoutError extends Error {
  constructor(functionName: string, timeoutMs: number) {
    super(`Timeout value of ${formatTimeSpan(timeoutMs)} was exceeded by function: Functions.${functionName}`);
    this.name = 'FunctionTimeoutError';
  }
}

export class Invoker {
  /** Shared by every hook invocation of this app, like the worker's appHookData. */
  private readonly appHookData: Record<string, unknown> = {};
  /** Extra input values the host supplies to any function that declares them, by binding type. */
  private readonly supplied = new Map<string, () => RpcTypedData>();

  constructor(
    private readonly registry: Registry,
    private readonly logger: Logger,
  ) {}

  async runAppHooks(name: 'appStart' | 'appTerminate'): Promise<void> {
    for (const hook of this.registry.hooks[name]) {
      await hook({ hookData: {}, appHookData: this.appHookData });
    }
  }

  /** Supplies an extra input (the Durable client) to every invocation whose function declares one of `type`. */
  supplyInput(type: string, value: () => RpcTypedData): void {
    this.supplied.set(type, value);
  }

  async invoke(reg: Registration, request: InvokeRequest): Promise<InvokeResult> {
    const metadata = reg.metadata;
    const trigger = triggerOf(metadata);
    if (!trigger) throw new Error(`Function ${metadata.name} has no trigger binding.`);
    const invocationId = randomUUID();
    const inputData: { name: string; data: RpcTypedData }[] = [{ name: trigger.name, data: request.trigger }];
    for (const [name, binding] of Object.entries(metadata.bindings)) {
      if (name === trigger.name || binding.direction === 'out') continue;
      const value = request.extraInputs?.[binding.type] ?? this.supplied.get(binding.type)?.();
      if (value) inputData.push({ name, data: value });
    }
    const coreCtx: CoreInvocationContext = {
      invocationId,
      request: { invocationId, functionId: metadata.name, inputData, triggerMetadata: request.triggerMetadata ?? {} },
      metadata,
      state: 'preInvocationHooks',
      log: (level, category, message) => {
        this.logger.log(toLogLevel(level), category === 'system' ? 'Host.Worker' : `Function.${metadata.name}`, message);
      },
    };
    const model = getProgrammingModel().getInvocationModel(coreCtx);
    const { context, inputs: initialInputs } = await model.getArguments();

    const hookData: Record<string, unknown> = {};
    const pre = {
      hookData,
      appHookData: this.appHookData,
      invocationContext: context,
      inputs: initialInputs,
      functionCallback: reg.handler,
    };
    for (const hook of this.registry.hooks.preInvocation) await hook(pre);

    coreCtx.state = 'invocation';
    let result: unknown;
    let error: unknown;
    try {
      const running = model.invokeFunction(context, pre.inputs, pre.functionCallback);
      result = await withTimeout(running, request.timeoutMs, () => new FunctionTimeoutError(metadata.name, request.timeoutMs ?? 0));
    } catch (err) {
      error = err;
    }

    coreCtx.state = 'postInvocationHooks';
    const post = { hookData, appHookData: this.appHookData, invocationContext: context, inputs: pre.inputs, result, error };
    for (const hook of this.registry.hooks.postInvocation) await hook(post);
    if (post.error !== undefined) throw toError(post.error);

    const out: InvokeResult = { result: post.result, invocationId };
    if (request.wantResponse) {
      const response = await model.getResponse(context, post.result);
      out.returnValue = response.returnValue;
    }
    return out;
  }
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number | undefined, makeError: () => Error): Promise<T> {
  if (!timeoutMs) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(makeError()), timeoutMs);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function toLogLevel(level: string): LogLevel {
  switch (level) {
    case 'trace':
    case 'debug':
    case 'information':
    case 'warning':
    case 'error':
    case 'critical':
    case 'none':
      return level;
    default:
      return 'information';
  }
}

export function formatTimeSpan(ms: number): string {
  const total = Math.floor(ms / 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
}
