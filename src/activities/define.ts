/**
 * Activities are declared once, with a name and zod contracts for input and output, and used from
 * both sides: orchestrators schedule them with `callActivity`/`activityTask` (validating the input
 * before scheduling and the output after, both deterministic), and function files register the
 * handlers with `activityHandlers` (validating again at the boundary, since the payload crossed a
 * queue; the handlers loaded on first use).
 *
 * Names: `<capability>_<verbObject>`, the capability being the contracts file (appService_apiToLkg
 * in app-service.contracts.ts). A name, once shipped, is never changed: it is in the history of
 * every incident in flight, and replay compares it at each sequence number (see
 * test/lint/activity-names.test.ts, which keeps the convention and the closed list of older names).
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { z } from 'zod';
import { loadOnce } from '../domain/load-once.js';

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

/**
 * An activity as a functions/ file registers it: its name, and its contract loaded on the first
 * invocation. Registering needs the name only, so the contracts' schemas (and the domain they are
 * made of) are no part of the cold import; the first invocation checks that the contract it loads
 * has this name (test/activities/define.test.ts checks them all).
 *
 *   register(activityNamed('smokeRunCheck', async () => (await import('../src/activities/smoke.contracts.js')).runSmokeCheck), ...)
 */
export interface NamedActivity<I extends z.ZodType, O extends z.ZodType> {
  name: string;
  contract: () => Promise<ActivityDef<I, O>>;
}

export function activityNamed<I extends z.ZodType, O extends z.ZodType>(name: string, contract: () => Promise<ActivityDef<I, O>>): NamedActivity<I, O> {
  return { name, contract };
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

/** What an activity's handlers need, built from the app settings; or the settings' problems (one a line, by setting name). */
export type Configured<P> = { ok: true; value: P } | { ok: false; problems: string };

type Handler<P, I extends z.ZodType, O extends z.ZodType> = (handlers: P, input: z.output<I>, context: InvocationContext) => Promise<z.input<O>>;

/** Registers one activity of the group: its contract (or its name, the contract loaded when it runs) and the call to make on the group's handlers. */
export type RegisterActivity<P> = <I extends z.ZodType, O extends z.ZodType>(def: ActivityDef<I, O> | NamedActivity<I, O>, handler: Handler<P, I, O>) => void;

/** As RegisterActivity, with the activity's `refused` outcome for when the group's settings are invalid. */
export type RegisterConfiguredActivity<P> = <I extends z.ZodType, O extends z.ZodType>(
  def: ActivityDef<I, O> | NamedActivity<I, O>,
  handler: Handler<P, I, O>,
  refused: (problems: string, input: z.output<I>) => z.input<O> | Promise<z.input<O>>,
) => void;

/**
 * The one way a functions/ file registers activities: a group of activities of one capability,
 * whose handlers `load` brings on the first invocation (with a dynamic `import()`), not when the
 * Functions worker loads the entry files: registration needs only the contracts (the names), so
 * a cold start costs neither the handlers nor their adapters. Without settings, `load` runs once
 * per process (the group's handlers are kept; a load that failed is tried again at the next
 * invocation): an incident calls its activities on every step, and importing and building the
 * handlers each time cost about a millisecond a call. With settings, `load` runs per invocation
 * (it gets the invocation's context, for its log; Node caches the modules it imports).
 *
 * Every activity validates its input and output at the boundary (the payload crossed a queue).
 *
 * With `settings` (the name people know them by: "App Service", "Evidence"), `load` answers
 * `Configured`: when the settings are invalid the activity logs the problems (`<settings>
 * settings are invalid:` and the list) and answers its `refused` outcome as data, never by
 * throwing, so an incident never stalls on retries of a configuration mistake.
 *
 *   const register = activityHandlers('Evidence', async (context) => (await import('../src/app/evidence.js')).appEvidenceActivities(...));
 *   register(sealPack, (pack, input) => pack.seal(input), (problems, input) => ({ result: 'refused', ... }));
 *
 * Without it, `load` cannot fail on settings: its handlers read theirs per call and answer their
 * problems themselves (Teams, SQL, signals, smoke, status page).
 */
export function activityHandlers<P>(load: () => Promise<P>): RegisterActivity<P>;
export function activityHandlers<P>(settings: string, load: (context: InvocationContext) => Promise<Configured<P>>): RegisterConfiguredActivity<P>;
export function activityHandlers<P>(
  settingsOrLoad: string | (() => Promise<P>),
  configure?: (context: InvocationContext) => Promise<Configured<P>>,
): RegisterActivity<P> | RegisterConfiguredActivity<P> {
  if (typeof settingsOrLoad !== 'string') {
    const load = settingsOrLoad;
    // The group's handlers, loaded by the first invocation; a failed load is not kept: the next
    // invocation tries again (this one fails, and Durable retries it).
    const handlers = loadOnce(load);
    const register: RegisterActivity<P> = (def, handler) => registerOne(def, async (input, context) => handler(await handlers(), input, context));
    return register;
  }
  const settings = settingsOrLoad;
  if (!configure) throw new Error(`activityHandlers('${settings}', load): the loader is missing.`);
  const register: RegisterConfiguredActivity<P> = (def, handler, refused) =>
    registerOne(def, async (input, context) => {
      const built = await configure(context);
      if (!built.ok) {
        context.error(`${settings} settings are invalid:\n${built.problems}`);
        return refused(built.problems, input);
      }
      return handler(built.value, input, context);
    });
  return register;
}

function registerOne<I extends z.ZodType, O extends z.ZodType>(
  def: ActivityDef<I, O> | NamedActivity<I, O>,
  run: (input: z.output<I>, context: InvocationContext) => Promise<z.input<O>>,
): void {
  const contract = contractOf(def);
  df.app.activity(def.name, {
    handler: async (raw: unknown, context: InvocationContext) => {
      const c = await contract();
      return c.output.parse(await run(c.input.parse(raw), context));
    },
  });
}

/** The contract, loaded once (a failed load is tried again on the next invocation). */
function contractOf<I extends z.ZodType, O extends z.ZodType>(def: ActivityDef<I, O> | NamedActivity<I, O>): () => Promise<ActivityDef<I, O>> {
  if (!('contract' in def)) return () => Promise.resolve(def);
  return loadOnce(async () => {
    const c = await def.contract();
    if (c.name !== def.name) throw new Error(`The activity registered as '${def.name}' loaded the contract of '${c.name}'.`);
    return c;
  });
}
