/**
 * Activities are declared once, with a name and zod contracts for input and output, and used from
 * both sides: orchestrators schedule them with `callActivity`/`activityTask` (validating the input
 * before scheduling and the output after, both deterministic), and function files register the
 * handler with `registerActivity` (validating again at the boundary, since the payload crossed a
 * queue).
 *
 * Names: `<capability>_<verbObject>`, the capability being the contracts file (appService_apiToLkg
 * in app-service.contracts.ts). A name, once shipped, is never changed: it is in the history of
 * every incident in flight, and replay compares it at each sequence number (see
 * test/lint/activity-names.test.ts, which keeps the convention and the closed list of older names).
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { z } from 'zod';

export interface RetryPolicy {
  firstRetryMs: number;
  maxAttempts: number;
  backoff?: number;
  maxRetryMs?: number;
}

export interface ActivityDef<I extends z.ZodType, O extends z.ZodType> {
  name: string;
  input: I;
  output: O;
  /** Durable retry for transient failures (the handler throws only for those). */
  retry?: RetryPolicy;
}

export function defineActivity<I extends z.ZodType, O extends z.ZodType>(def: ActivityDef<I, O>): ActivityDef<I, O> {
  return def;
}

function retryOptions(policy: RetryPolicy): df.RetryOptions {
  const options = new df.RetryOptions(policy.firstRetryMs, policy.maxAttempts);
  if (policy.backoff !== undefined) options.backoffCoefficient = policy.backoff;
  if (policy.maxRetryMs !== undefined) options.maxRetryIntervalInMilliseconds = policy.maxRetryMs;
  return options;
}

/** A scheduled activity as a Task, for Task.all / Task.any; read its result with `activityResult`. */
export function activityTask<I extends z.ZodType, O extends z.ZodType>(
  context: df.OrchestrationContext,
  def: ActivityDef<I, O>,
  input: z.input<I>,
): df.Task {
  const parsed = def.input.parse(input);
  return def.retry ? context.df.callActivityWithRetry(def.name, retryOptions(def.retry), parsed) : context.df.callActivity(def.name, parsed);
}

export function activityResult<I extends z.ZodType, O extends z.ZodType>(def: ActivityDef<I, O>, raw: unknown): z.output<O> {
  return def.output.parse(raw);
}

/** `const out = yield* callActivity(context, def, input)` inside an orchestrator. */
export function* callActivity<I extends z.ZodType, O extends z.ZodType>(
  context: df.OrchestrationContext,
  def: ActivityDef<I, O>,
  input: z.input<I>,
): Generator<df.Task, z.output<O>, unknown> {
  const raw: unknown = yield activityTask(context, def, input);
  return activityResult(def, raw);
}

/** Registers the handler of an activity (in a functions/ file). */
export function registerActivity<I extends z.ZodType, O extends z.ZodType>(
  def: ActivityDef<I, O>,
  handler: (input: z.output<I>, context: InvocationContext) => Promise<z.input<O>>,
): void {
  df.app.activity(def.name, {
    handler: async (raw: unknown, context: InvocationContext) => {
      const input = def.input.parse(raw);
      return def.output.parse(await handler(input, context));
    },
  });
}

/** What an activity's handlers need, built from the app settings; or the settings' problems (one a line, by setting name). */
export type Configured<P> = { ok: true; value: P } | { ok: false; problems: string };

/**
 * Registers activities whose handlers need the app settings, with the "not configured" outcome
 * built in: when `configure` reports problems, the activity logs them (`<settings> settings are
 * invalid:` and the list) and answers its `refused` outcome as data, never by throwing, so an
 * incident never stalls on retries of a configuration mistake.
 *
 *   const register = configuredActivities('Evidence', (context) => ...);
 *   register(sealPack, (ports, input) => ports.seal(input), (problems, input) => ({ result: 'refused', ... }));
 */
export function configuredActivities<P>(settings: string, configure: (context: InvocationContext) => Configured<P>) {
  return function register<I extends z.ZodType, O extends z.ZodType>(
    def: ActivityDef<I, O>,
    handler: (ports: P, input: z.output<I>, context: InvocationContext) => Promise<z.input<O>>,
    refused: (problems: string, input: z.output<I>) => z.input<O>,
  ): void {
    registerActivity(def, async (input, context) => {
      const built = configure(context);
      if (!built.ok) {
        context.error(`${settings} settings are invalid:\n${built.problems}`);
        return refused(built.problems, input);
      }
      return handler(built.value, input, context);
    });
  };
}
